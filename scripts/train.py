#!/usr/bin/python3
"""Train a small ViT-MAE from a folder of photos, on CPU or on a CUDA GPU (--device).

Two phases share one AdamW run and one warm-up + cosine schedule:
  1. windows: each step sees a random G/2 x G/2 window of patches cut from a full-size crop, with
     the position rows of that window, so patches keep their real scale and position codes while
     a step costs about a quarter of a full one;
  2. full: whole images at the model's size, as the app will feed them.
Pixel loss without norm-pix, so the decoder's output can be shown directly.

    /usr/bin/python3 -m scripts.train --data ../shared/data/photos/train --out checkpoints/mae-small

Continuing the bundled model with one whole package held out for selection (issue 15):

    /usr/bin/python3 -m scripts.train --data ../shared/data/photos/train --out checkpoints/run \
        --init-onnx models/mae-small --holdout-package tuxpaint-data --window-steps 0 --full-steps 600 \
        --lr 2e-4 --warmup 100 --loss log-mse --ema 0.995 --color-jitter 0.15 --threads 2 \
        --baselines eval-of-mae-small-on-tuxpaint.json

On a GPU (scripts/gpu_train.sh runs this on the device machine) the photos live on the GPU, the
crops and resizes run there, and the forward pass runs in bfloat16 autocast; --max-minutes ends a
run in time to score and save it.

The held-out package is scored every --eval-every steps with the eval's own masks and
metric (mae/heldout.py); the best weights by that PSNR go to best.pth, everything needed to go on
(weights, EMA, optimiser, step, random state) to last.pth, so `--resume` continues a killed run.
"""

import argparse
import copy
import csv
import dataclasses
import itertools
import json
import math
import os
import random
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from PIL import Image

from scripts.mae.heldout import HeldOut, eval_baselines
from scripts.mae.loaders import load_checkpoint
from scripts.mae.model import MaeConfig, MaskedAutoencoder
from scripts.mae.onnx_weights import load_model

IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

# Issue 15: photos from these are an untouched test set, never trained, tuned or selected on.
RESERVED_PACKAGES = {
    "palapeli-data",
    "python3-scipy",
    "python3-sklearn",
    "python-matplotlib-data",
    "lomiri-wallpapers-20.04",
}
RESERVED_PATHS = ("/activities/details/",)  # gcompris-qt-data's `details` activity

# With --max-minutes, the steps timed before the schedule is fitted to the budget.
TIMING_STEPS = 50


def read_manifest(path: Path) -> dict:
    """File name -> manifest row (package, path_in_package, licence, credit ...)."""
    with open(path, newline="") as f:
        return {Path(row["file"]).name: row for row in csv.DictReader(f)}


def split_by_package(paths, photos, manifest: dict, holdout_package: str):
    """The whole `holdout_package` is held out; a reserved photo anywhere is an error."""
    train, held = [], []
    for path, photo in zip(paths, photos):
        row = manifest.get(path.name)
        if row is None:
            raise SystemExit(f"{path.name}: not in the manifest, so its package and licence are unknown")
        if row["package"] in RESERVED_PACKAGES or any(p in row["path_in_package"] for p in RESERVED_PATHS):
            raise SystemExit(
                f"{path.name}: from a reserved package ({row['package']}); remove it from the data"
            )
        (held if row["package"] == holdout_package else train).append((path, photo))
    if not held:
        raise SystemExit(f"no photo of package {holdout_package!r} in the data")
    return train, held


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


def colour_jitter(crop, strength: float, rng: random.Random):
    """Brightness, contrast and saturation each scaled by a factor in [1 - s, 1 + s] (torchvision's
    ColorJitter rules), on [1, 3, S, S] in 0..255: more looks per photo from a small data set."""
    if strength <= 0:
        return crop
    crop = crop * rng.uniform(1 - strength, 1 + strength)
    luma = torch.tensor([0.299, 0.587, 0.114], device=crop.device).view(1, 3, 1, 1)
    grey = (crop * luma).sum(1, keepdim=True)
    crop = grey.mean() + (crop - grey.mean()) * rng.uniform(1 - strength, 1 + strength)
    grey = (crop * luma).sum(1, keepdim=True)
    crop = grey + (crop - grey) * rng.uniform(1 - strength, 1 + strength)
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
    return (pixels / 255.0 - IMAGENET_MEAN.to(pixels.device)) / IMAGENET_STD.to(pixels.device)


def make_batch(
    train,
    batch_size: int,
    cfg: MaeConfig,
    rng: random.Random,
    window: int,
    min_scale: float,
    jitter: float = 0.0,
):
    """window == grid: whole images; else a random window x window patch window of each crop."""
    crops = [
        colour_jitter(random_resized_crop(photo, cfg.image_size, rng, scale=(min_scale, 1.0)), jitter, rng)
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


def on_cpu(model):
    """`model` itself on the CPU, else a CPU copy: the held-out scoring runs there."""
    return model if next(model.parameters()).device.type == "cpu" else copy.deepcopy(model).cpu()


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


def training_loss(model, imgs, mask_ratio: float, kind: str, positions=None, autocast=False):
    """mse: upstream's mean over images of the masked MSE. log-mse: mean of log(masked MSE) per
    image. The eval averages PSNR = 10 log10(255^2 / MSE) over images, i.e. -10 log10(MSE) up to a
    constant, so log-mse is the metric itself (in normalised pixels); plain MSE lets the few
    hardest images (foliage, gravel) dominate the gradient, where a smooth fill is beaten least."""
    with torch.autocast(device_type=imgs.device.type, dtype=torch.bfloat16, enabled=autocast):
        per_image = model.loss_per_image(imgs, mask_ratio, positions).float()  # [B]
    if kind == "log-mse":
        return per_image.clamp(min=1e-6).log().mean(), per_image.mean()
    return per_image.mean(), per_image.mean()


ENCODER_PREFIXES = ("patch_embed.", "cls_token", "pos_embed", "blocks.", "norm.")


def with_new_decoder(model, sizes: MaeConfig):
    """`model`'s encoder with a freshly initialised decoder of `sizes`' decoder dimensions."""
    cfg = dataclasses.replace(
        model.cfg,
        decoder_embed_dim=sizes.decoder_embed_dim,
        decoder_depth=sizes.decoder_depth,
        decoder_num_heads=sizes.decoder_num_heads,
    )
    fresh = MaskedAutoencoder(cfg).train()
    encoder = {k: v for k, v in model.state_dict().items() if k.startswith(ENCODER_PREFIXES)}
    missing, unexpected = fresh.load_state_dict(encoder, strict=False)
    assert not unexpected and all(not k.startswith(ENCODER_PREFIXES) for k in missing)
    return fresh


def with_added_decoder_blocks(model, count: int):
    """`model` with `count` more decoder blocks after its own, each starting as the identity (the
    residual branches' output layers zeroed), so training goes on from the same reconstructions
    with more capacity where the cost per token is lowest."""
    cfg = dataclasses.replace(model.cfg, decoder_depth=model.cfg.decoder_depth + count)
    grown = MaskedAutoencoder(cfg).train()
    missing, unexpected = grown.load_state_dict(model.state_dict(), strict=False)
    assert not unexpected and all(k.startswith("decoder_blocks.") for k in missing)
    for block in list(grown.decoder_blocks)[model.cfg.decoder_depth :]:
        for layer in (block.attn.proj, block.mlp.fc2):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
    return grown


def set_encoder_trainable(model, trainable: bool):
    for name, param in model.named_parameters():
        if name.startswith(ENCODER_PREFIXES):
            param.requires_grad_(trainable)


def save_checkpoint(model, path: Path, train_info: dict, **extra):
    """Our checkpoint format (scripts/export_onnx.py reads it); `extra` for resuming only. The
    weights are stored on the CPU, so a checkpoint trained on a GPU loads anywhere."""
    tmp = path.with_suffix(".tmp")
    weights = {name: value.cpu() for name, value in model.state_dict().items()}
    torch.save({"model": weights, "config": model.cfg.to_dict(), "train": train_info, **extra}, tmp)
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
    parser.add_argument(
        "--holdout-package",
        help="hold out this whole package instead (needs the manifest); "
        "scored with the eval's masks and baselines, best weights to best.pth",
    )
    parser.add_argument("--manifest", type=Path, help="manifest.csv (default: beside the data folder)")
    parser.add_argument(
        "--baselines",
        type=Path,
        help="`npm run --silent eval -- --json` of the held-out package "
        "(seeds 0,1,2): its per-image baselines give the logged win counts",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads (OpenBLAS threads separately)")
    parser.add_argument(
        "--init", type=Path, help="start from this checkpoint's weights (fine-tuning; sizes from it)"
    )
    parser.add_argument("--init-onnx", type=Path, help="start from an exported model folder's ONNX weights")
    parser.add_argument(
        "--new-decoder",
        action="store_true",
        help="with --init-onnx: keep its encoder, start a fresh decoder of the --decoder-* sizes",
    )
    parser.add_argument(
        "--add-decoder-blocks",
        type=int,
        default=0,
        help="with --init/--init-onnx: append this many decoder blocks that start as the identity",
    )
    parser.add_argument(
        "--freeze-encoder-steps", type=int, default=0, help="train the decoder alone for this many steps"
    )
    parser.add_argument("--resume", action="store_true", help="go on from OUT/last.pth (same arguments)")
    parser.add_argument("--loss", choices=["mse", "log-mse"], default="mse", help="see training_loss")
    parser.add_argument(
        "--ema",
        type=float,
        default=0.0,
        help="also keep an exponential moving average of "
        "the weights with this decay (0: none); it is scored and can be the best",
    )
    parser.add_argument(
        "--color-jitter", type=float, default=0.0, help="brightness/contrast/saturation strength"
    )
    parser.add_argument(
        "--device", default="cuda" if torch.cuda.is_available() else "cpu", help="cpu, cuda, cuda:1, ..."
    )
    parser.add_argument(
        "--bf16",
        action="store_true",
        help="bfloat16 autocast on the CPU too (always on a GPU): on a CPU with AVX512-BF16 a step "
        "of the bundled model's size ran 4.5x faster (docs/heldout-tuxpaint.md)",
    )
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=0,
        help="train for about this many minutes (0: no limit): after the first steps the schedule is "
        "shortened to the steps that fit, and the step reached at the limit is scored and saved",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--eval-every", type=int, default=500)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    on_gpu = device.type == "cuda"
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
    elif args.init_onnx:
        model = load_model(args.init_onnx).train()
        if args.new_decoder:
            model = with_new_decoder(model, cfg)
        cfg = model.cfg
    else:
        model = MaskedAutoencoder(cfg).train()
    if args.add_decoder_blocks:
        model = with_added_decoder_blocks(model, args.add_decoder_blocks)
        cfg = model.cfg
    model.to(device)
    paths, photos = load_photos(args.data)
    heldout = None
    if args.holdout_package:
        manifest = read_manifest(args.manifest or args.data.parent / "manifest.csv")
        train, held = split_by_package(paths, photos, manifest, args.holdout_package)
        heldout = HeldOut(
            [p for p, _ in held],
            cfg.image_size,
            cfg.patch_size,
            IMAGENET_MEAN.flatten().tolist(),
            IMAGENET_STD.flatten().tolist(),
            args.mask_ratio,
            baselines=eval_baselines(json.loads(args.baselines.read_text())) if args.baselines else None,
        )
        start = heldout.evaluate(on_cpu(model))
        print(
            json.dumps(
                {
                    "held_out_start": {
                        "psnr": start.model_psnr,
                        "baselines": start.baselines,
                        "wins": start.wins,
                        "per_image": start.per_image,
                    }
                }
            ),
            flush=True,
        )
    else:
        train, held = split_holdout(paths, photos, args.holdout_every)
    # Crops, resizes and jitter run where the photos are: on a GPU the CPU would be the bottleneck.
    train = [(path, photo.to(device)) for path, photo in train]
    (args.out / "holdout.txt").write_text("".join(f"{p.name}\n" for p, _ in held))
    (args.out / "training-files.txt").write_text("".join(f"{p.name}\n" for p, _ in train))
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{len(train)} training photos, {len(held)} held out; {n_params / 1e6:.2f}M parameters", flush=True)

    optimizer = torch.optim.AdamW(param_groups(model, args.weight_decay), lr=args.lr, betas=(0.9, 0.95))
    ema = copy.deepcopy(model).eval() if args.ema > 0 else None
    total = args.window_steps + args.full_steps
    log = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "config": cfg.to_dict(),
        "params": n_params,
        "train_photos": len(train),
        "held_out_photos": len(held),
        "steps": [],
        "validation": [],
        "held_out": [],
        # The start's score and the baselines' means, for the curves (scripts/plot_loss.py).
        "held_out_start": None
        if heldout is None
        else {"psnr": start.model_psnr, "baselines": start.baselines},
    }
    first_step, best_psnr = 0, -math.inf
    if args.resume:
        state = torch.load(args.out / "last.pth", map_location="cpu")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if ema is not None:
            ema.load_state_dict(state["ema"])
        rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        if on_gpu and state.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(state["cuda_rng"], device)
        log, first_step, best_psnr = state["log"], state["train"]["step"], state["best_psnr"]
        # A resumed run may change the schedule (e.g. --full-steps): record what it went on with.
        log.setdefault("resumed", []).append(
            {"step": first_step, "args": {k: str(v) for k, v in vars(args).items()}}
        )
    started, running = time.time() - log.get("elapsed_s", 0), []
    loop_started = time.time()
    for step in itertools.count(first_step):
        if step >= total:
            break
        if args.max_minutes > 0 and step == first_step + TIMING_STEPS:
            # The schedule's cosine ends when the time does: as many steps as the budget holds.
            per_step = (time.time() - loop_started) / TIMING_STEPS
            left = args.max_minutes * 60 - (time.time() - loop_started)
            total = min(total, step + max(1, int(left / per_step)))
            log["total_steps_in_time"] = total
            print(json.dumps({"steps_in_time": total, "s_per_step": round(per_step, 4)}), flush=True)
        window = cfg.grid_size // 2 if step < args.window_steps else cfg.grid_size
        batch_size = args.window_batch if step < args.window_steps else args.full_batch
        set_encoder_trainable(model, step >= args.freeze_encoder_steps)
        imgs, positions = make_batch(
            train, batch_size, cfg, rng, window, args.min_crop_scale, args.color_jitter
        )
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, total, args.warmup, args.lr, args.min_lr)
        loss, mse = training_loss(
            model, imgs, args.mask_ratio, args.loss, positions, autocast=on_gpu or args.bf16
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if ema is not None:
            with torch.no_grad():
                for average, current in zip(ema.state_dict().values(), model.state_dict().values()):
                    if average.dtype.is_floating_point:
                        average.mul_(args.ema).add_(current, alpha=1 - args.ema)
        running.append(mse.item())
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
        out_of_time = args.max_minutes > 0 and time.time() - started > args.max_minutes * 60
        if (step + 1) % args.eval_every == 0 or step + 1 == total or out_of_time:
            info = {"step": step + 1, "total_steps": total}
            if heldout is None:
                val = validation_loss(on_cpu(model), held, args.mask_ratio)
                log["validation"].append({"step": step + 1, "loss": val})
                print(json.dumps({"step": step + 1, "validation_loss": val}), flush=True)
            else:
                for name, candidate in [("weights", model), ("ema", ema)]:
                    if candidate is None:
                        continue
                    scores = heldout.evaluate(on_cpu(candidate))
                    entry = {
                        "step": step + 1,
                        "weights": name,
                        "psnr": round(scores.model_psnr, 4),
                        "wins": scores.wins,
                        "per_image": {k: round(v, 3) for k, v in scores.per_image.items()},
                    }
                    log["held_out"].append(entry)
                    print(json.dumps({k: v for k, v in entry.items() if k != "per_image"}), flush=True)
                    if scores.model_psnr > best_psnr:
                        best_psnr = scores.model_psnr
                        save_checkpoint(
                            candidate,
                            args.out / "best.pth",
                            {
                                **info,
                                "weights": name,
                                "held_out_psnr": scores.model_psnr,
                                "held_out_package": args.holdout_package,
                                "wins": scores.wins,
                            },
                        )
            log["elapsed_s"] = round(time.time() - started, 1)
            save_checkpoint(model, args.out / "checkpoint.pth", info)
            save_checkpoint(
                model,
                args.out / "last.pth",
                info,
                optimizer=optimizer.state_dict(),
                ema=None if ema is None else ema.state_dict(),
                rng=rng.getstate(),
                torch_rng=torch.get_rng_state(),
                cuda_rng=torch.cuda.get_rng_state(device) if on_gpu else None,
                log=log,
                best_psnr=best_psnr,
            )
            (args.out / "train_log.json").write_text(json.dumps(log, indent=1))
            if out_of_time:
                print(
                    json.dumps({"stopped": f"--max-minutes {args.max_minutes}", "step": step + 1}), flush=True
                )
                break


if __name__ == "__main__":
    main()
