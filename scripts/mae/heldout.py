"""The model's masked-patch PSNR on a held-out folder, computed as `npm run eval` computes it.

Same masks (src/mae/masking.ts: mulberry32 noise, stable argsort), same preprocessing (PIL bicubic
resize of the shorter side, central crop, which src/mae/image.ts reproduces), same metric (PSNR of
the removed patches in [0, 255] after clipping, mean over seeds, then over images). So the number
training selects on is the number the eval prints. The baselines are not recomputed here: 1000
diffusion rounds over the whole package take many CPU-minutes, and `npm run eval --json` already
prints them per image for these same masks.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


def mulberry32_noise(n: int, seed: int) -> np.ndarray:
    """src/mae/masking.ts uniformNoise: n float32 values in [0, 1) from the top 24 bits of mulberry32."""
    state = seed & 0xFFFFFFFF
    out = np.empty(n, dtype=np.float32)
    mask32 = 0xFFFFFFFF

    def imul(a, b):
        return (a * b) & mask32

    for i in range(n):
        state = (state + 0x6D2B79F5) & mask32
        t = state
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & mask32
        t = (t ^ (t >> 14)) & mask32
        out[i] = (t >> 8) / 0x1000000
    return out


def random_masking(n: int, ratio: float, seed: int):
    """(ids_keep [K], ids_restore [N], mask [N] with 1 = removed), as randomMasking(n, ratio, seed)."""
    noise = mulberry32_noise(n, seed)
    ids_shuffle = np.argsort(noise, kind="stable")
    keep = int(n * (1 - ratio))
    ids_restore = np.argsort(ids_shuffle, kind="stable")
    mask = (ids_restore >= keep).astype(np.uint8)
    return ids_shuffle[:keep], ids_restore, mask


def prepare(path: Path, size: int) -> np.ndarray:
    """Shorter side to `size` (PIL bicubic), central crop: HWC uint8 [S, S, 3], as prepareImage."""
    with Image.open(path) as img:
        img = img.convert("RGB")
        width, height = img.size
        short, long = min(width, height), max(width, height)
        long_side = int(size * long / short)
        out_w, out_h = (size, long_side) if width <= height else (long_side, size)
        if (width, height) != (size, size):
            img = img.resize((out_w, out_h), Image.BICUBIC)
        left, top = round((out_w - size) / 2), round((out_h - size) / 2)
        return np.array(img.crop((left, top, left + size, top + size)))


def pixel_mask(mask: torch.Tensor, grid: int, patch: int) -> torch.Tensor:
    """[B, N] patch mask -> [B, 1, S, S] bool, True where the pixel's patch is removed."""
    return (
        mask.view(-1, 1, grid, 1, grid, 1)
        .expand(-1, 1, grid, patch, grid, patch)
        .reshape(mask.shape[0], 1, grid * patch, grid * patch)
        .bool()
    )


def masked_psnr(truth: torch.Tensor, filled: torch.Tensor, mask: torch.Tensor, patch: int) -> torch.Tensor:
    """[B] PSNR over the removed patches; filled is clipped to [0, 255] first, as perPatchMse."""
    removed = pixel_mask(mask, truth.shape[-1] // patch, patch).expand_as(truth).double()
    squares = (filled.clamp(0, 255) - truth) ** 2 * removed
    mse = squares.sum(dim=(1, 2, 3)) / removed.sum(dim=(1, 2, 3))
    return 10 * torch.log10(255.0**2 / mse)


def eval_baselines(report: dict) -> dict:
    """`npm run eval -- --json` output -> {image: {name: PSNR}}: mean_fill, interpolation, diffusion:N."""
    return {
        score["image"]: {
            "mean_fill": score["mean_fill_psnr"],
            "interpolation": score["interpolation_psnr"],
            **score["diffusion_psnr"],
        }
        for score in report["images"]
    }


@dataclass
class HeldOutScores:
    model_psnr: float
    baselines: dict  # name -> mean PSNR over the images
    wins: dict  # name -> images on which the model's PSNR (mean over seeds) is higher
    per_image: dict  # image -> model PSNR (mean over seeds)


class HeldOut:
    """A folder of photos with the eval's masks, and optionally the eval's baseline PSNRs per image."""

    def __init__(
        self,
        paths,
        image_size: int,
        patch_size: int,
        mean,
        std,
        mask_ratio=0.75,
        seeds=(0, 1, 2),
        baselines: dict = None,
    ):
        """`baselines`: eval_baselines() of an eval run on the same photos, mask ratio and seeds."""
        self.names = [Path(p).name for p in paths]
        self.patch = patch_size
        self.mean = torch.tensor(mean, dtype=torch.float64).view(1, 3, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float64).view(1, 3, 1, 1)
        n = (image_size // patch_size) ** 2
        masks = [random_masking(n, mask_ratio, seed) for seed in seeds]
        images = torch.from_numpy(np.stack([prepare(p, image_size) for p in paths])).permute(0, 3, 1, 2)
        # One row per (image, seed), image-major: [I * S, ...].
        self.seeds = len(seeds)
        self.truth = images.double().repeat_interleave(self.seeds, dim=0)  # [B, 3, S, S] in 0..255
        self.ids_keep = torch.from_numpy(np.stack([m[0] for m in masks] * len(paths))).long()  # [B, K]
        self.ids_restore = torch.from_numpy(np.stack([m[1] for m in masks] * len(paths))).long()  # [B, N]
        self.mask = torch.from_numpy(np.stack([m[2] for m in masks] * len(paths))).long()  # [B, N]
        self.baselines = {}
        if baselines is not None:
            missing = sorted(set(self.names) - set(baselines))
            if missing:
                raise ValueError(f"the eval report has no baselines for {missing}")
            for name in baselines[self.names[0]]:
                self.baselines[name] = torch.tensor([baselines[image][name] for image in self.names])  # [I]

    def per_image(self, psnr: torch.Tensor) -> torch.Tensor:  # [I * S] -> [I]
        return psnr.view(-1, self.seeds).mean(dim=1)

    @torch.no_grad()
    def evaluate(self, model, batch: int = 21) -> HeldOutScores:
        was_training = model.training
        model.eval()
        normalized = ((self.truth / 255 - self.mean) / self.std).float()
        target = model.patchify(normalized)  # [B, N, P*P*3]
        preds = []
        for start in range(0, target.shape[0], batch):
            ids_keep = self.ids_keep[start : start + batch]
            rows = target[start : start + batch]
            visible = torch.gather(rows, 1, ids_keep[..., None].expand(-1, -1, rows.shape[2]))
            latent, _ = model.forward_encoder(visible, ids_keep)
            pred, _ = model.forward_decoder(latent, self.ids_restore[start : start + batch], per_layer=False)
            preds.append(pred)
        pixels = model.unpatchify(torch.cat(preds)).double() * self.std + self.mean  # [B, 3, S, S] in 0..1
        psnr = self.per_image(masked_psnr(self.truth, pixels * 255, self.mask, self.patch))
        model.train(was_training)
        return HeldOutScores(
            model_psnr=float(psnr.mean()),
            baselines={name: float(value.mean()) for name, value in self.baselines.items()},
            wins={name: int((psnr > value).sum()) for name, value in self.baselines.items()},
            per_image={name: float(value) for name, value in zip(self.names, psnr)},
        )
