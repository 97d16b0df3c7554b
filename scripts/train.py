#!/usr/bin/python3
"""Train a small ViT-MAE on CPU from a folder of photos.

Two phases share one AdamW run and one warm-up + cosine schedule:
  1. windows: each step sees a random G/2 x G/2 window of patches cut from a full-size crop, with
     the position rows of that window, so patches keep their real scale and position codes while
     a step costs about a quarter of a full one;
  2. full: whole images at the model's size, as the app will feed them.
Pixel loss without norm-pix, so the decoder's output can be shown directly.

    /usr/bin/python3 -m scripts.train --data ../shared/data/photos/train --out checkpoints/mae-small
"""

import argparse
import json
import math
import os
import random
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from scripts.mae.loaders import load_checkpoint
from scripts.mae.model import MaeConfig, MaskedAutoencoder

IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def load_photos(folder: Path):
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    photos = []
    for path in paths:
        with Image.open(path) as img:
            photos.append(
                torch.from_numpy(np.array(img.convert("RGB"))).permute(2, 0, 1).contiguous()
            )  # [3, H, W] uint8
    return paths, photos


def split_holdout(paths, photos, every: int):
    """Every `every`-th photo (by sorted name) is held out for an honest validation number."""
    train, held = [], []
    for index, (path, photo) in enumerate(zip(paths, photos)):
        (held if every > 0 and index % every == every // 2 else train).append((path, photo))
    return train, held


def random_resized_crop(photo, size: int, rng: random.Random, scale=(0.35, 1.0), ratio=(3 / 4, 4 / 3)):
    """torchvision's RandomResizedCrop logic, then an antialiased bicubic resize to size x size."""
    _, H, W = photo.shape
    for _ in range(10):
        area = H * W * rng.uniform(*scale)
        aspect = math.exp(rng.uniform(math.log(ratio[0]), math.log(ratio[1])))
        w, h = int(round(math.sqrt(area * aspect))), int(round(math.sqrt(area / aspect)))
        if 0 < w <= W and 0 < h <= H:
            top, left = rng.randint(0, H - h), rng.randint(0, W - w)
            break
    else:  # central crop, as torchvision's fallback
        h = w = min(H, W)
        top, left = (H - h) // 2, (W - w) // 2
    crop = photo[:, top : top + h, left : left + w].float().unsqueeze(0)
    crop = F.interpolate(crop, size=(size, size), mode="bicubic", align_corners=False, antialias=True)
    if rng.random() < 0.5:
        crop = crop.flip(-1)
    return crop.clamp(0, 255)


def center_crop(photo, size: int):
    """Shorter side to `size` (bicubic), then the central size x size square: the app's preprocessing."""
    _, H, W = photo.shape
    short = min(H, W)
    new_h, new_w = (size, int(size * W / short)) if H <= W else (int(size * H / short), size)
    resized = F.interpolate(
        photo.float().unsqueeze(0), size=(new_h, new_w), mode="bicubic", align_corners=False, antialias=True
    ).clamp(0, 255)
    top, left = round((new_h - size) / 2), round((new_w - size) / 2)
    return resized[:, :, top : top + size, left : left + size]


def normalize(pixels):  # [B, 3, S, S] in 0..255
    return (pixels / 255.0 - IMAGENET_MEAN) / IMAGENET_STD


def make_batch(train, batch_size: int, cfg: MaeConfig, rng: random.Random, window: int, min_scale: float):
    """window == grid: whole images; else a random window x window patch window of each crop."""
    crops = [
        random_resized_crop(photo, cfg.image_size, rng, scale=(min_scale, 1.0))
        for _, photo in rng.sample(train, batch_size)
    ]
    imgs = torch.cat(crops)
    if window == cfg.grid_size:
        return normalize(imgs), None
    row0, col0 = rng.randint(0, cfg.grid_size - window), rng.randint(0, cfg.grid_size - window)
    P = cfg.patch_size
    imgs = imgs[:, :, row0 * P : (row0 + window) * P, col0 * P : (col0 + window) * P]
    rows, cols = torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")
    positions = ((rows + row0) * cfg.grid_size + (cols + col0)).reshape(-1)  # window token -> grid patch
    return normalize(imgs), positions


@torch.no_grad()
def validation_loss(model, held, mask_ratio: float, seeds=(0, 1, 2)):
    if not held:
        return float("nan")
    imgs = normalize(torch.cat([center_crop(photo, model.cfg.image_size) for _, photo in held]))
    model.eval()
    losses = []
    for seed in seeds:
        torch.manual_seed(seed)
        losses.append(model.loss(imgs, mask_ratio).item())
    model.train()
    return float(np.mean(losses))


def lr_at(step: int, total: int, warmup: int, base_lr: float, min_lr: float):
    if step < warmup:
        return base_lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return min_lr + (base_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))


def param_groups(model, weight_decay: float):
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        (no_decay if param.ndim <= 1 or name.endswith("_token") else decay).append(param)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def save_checkpoint(model, path: Path, train_info: dict):
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "config": model.cfg.to_dict(), "train": train_info}, tmp)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", required=True, type=Path, help="folder of photos")
    parser.add_argument(
        "--out", required=True, type=Path, help="folder for checkpoint.pth and train_log.json"
    )
    parser.add_argument("--window-steps", type=int, default=6000, help="phase 1 steps (patch windows)")
    parser.add_argument("--full-steps", type=int, default=2000, help="phase 2 steps (whole images)")
    parser.add_argument("--window-batch", type=int, default=32)
    parser.add_argument("--full-batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--min-lr", type=float, default=1e-5)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--weight-decay", type=float, default=0.05)
    parser.add_argument("--mask-ratio", type=float, default=0.75)
    parser.add_argument(
        "--min-crop-scale", type=float, default=0.35, help="smallest crop area, as a fraction of the photo"
    )
    parser.add_argument("--embed-dim", type=int, default=256)
    parser.add_argument("--depth", type=int, default=6)
    parser.add_argument("--num-heads", type=int, default=8)
    parser.add_argument("--decoder-embed-dim", type=int, default=128)
    parser.add_argument("--decoder-depth", type=int, default=3)
    parser.add_argument("--decoder-num-heads", type=int, default=4)
    parser.add_argument("--holdout-every", type=int, default=12, help="hold out every Nth photo (0: none)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (OpenBLAS threads separately)")
    parser.add_argument(
        "--init", type=Path, help="start from this checkpoint's weights (fine-tuning; sizes from it)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--eval-every", type=int, default=500)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)

    cfg = MaeConfig(
        embed_dim=args.embed_dim,
        depth=args.depth,
        num_heads=args.num_heads,
        decoder_embed_dim=args.decoder_embed_dim,
        decoder_depth=args.decoder_depth,
        decoder_num_heads=args.decoder_num_heads,
        norm_pix_loss=False,
    )
    if args.init:
        model, _ = load_checkpoint(str(args.init))
        cfg = model.cfg
        model.train()
    else:
        model = MaskedAutoencoder(cfg).train()
    paths, photos = load_photos(args.data)
    train, held = split_holdout(paths, photos, args.holdout_every)
    (args.out / "holdout.txt").write_text("".join(f"{p.name}\n" for p, _ in held))
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{len(train)} training photos, {len(held)} held out; {n_params / 1e6:.2f}M parameters", flush=True)

    optimizer = torch.optim.AdamW(param_groups(model, args.weight_decay), lr=args.lr, betas=(0.9, 0.95))
    total = args.window_steps + args.full_steps
    log = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "config": cfg.to_dict(),
        "params": n_params,
        "train_photos": len(train),
        "held_out_photos": len(held),
        "steps": [],
        "validation": [],
    }
    started, running = time.time(), []
    for step in range(total):
        window = cfg.grid_size // 2 if step < args.window_steps else cfg.grid_size
        batch_size = args.window_batch if step < args.window_steps else args.full_batch
        imgs, positions = make_batch(train, batch_size, cfg, rng, window, args.min_crop_scale)
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, total, args.warmup, args.lr, args.min_lr)
        loss = model.loss(imgs, args.mask_ratio, positions)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        running.append(loss.item())
        if (step + 1) % args.log_every == 0:
            entry = {
                "step": step + 1,
                "phase": "window" if window < cfg.grid_size else "full",
                "loss": float(np.mean(running)),
                "lr": optimizer.param_groups[0]["lr"],
                "elapsed_s": round(time.time() - started, 1),
            }
            log["steps"].append(entry)
            running = []
            print(json.dumps(entry), flush=True)
        if (step + 1) % args.eval_every == 0 or step + 1 == total:
            val = validation_loss(model, held, args.mask_ratio)
            log["validation"].append({"step": step + 1, "loss": val})
            print(json.dumps({"step": step + 1, "validation_loss": val}), flush=True)
            log["elapsed_s"] = round(time.time() - started, 1)
            save_checkpoint(model, args.out / "checkpoint.pth", {"step": step + 1, "total_steps": total})
            (args.out / "train_log.json").write_text(json.dumps(log, indent=1))


if __name__ == "__main__":
    main()
