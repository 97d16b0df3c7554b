"""Load ViT-MAE weights from Meta's release format, Hugging Face's layout, or our own checkpoints.

Every loader returns (MaskedAutoencoder, source-description dict). Sizes come from the
checkpoint's config and tensor shapes; a missing or unexpected key is an error that names it.
"""

import hashlib
import json
import re
import struct
from pathlib import Path

import numpy as np
import torch

from .model import MaeConfig, MaskedAutoencoder


class CheckpointError(ValueError):
    pass


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- safetensors, read by hand so the `safetensors` package is optional --------------------------
_SAFETENSORS_DTYPES = {
    "F32": np.float32,
    "F16": np.float16,
    "F64": np.float64,
    "I64": np.int64,
    "I32": np.int32,
    "U8": np.uint8,
}


def read_safetensors(path: Path) -> dict:
    """Header: u64 little-endian length, then JSON {name: {dtype, shape, data_offsets}}, then bytes."""
    data = Path(path).read_bytes()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    body = memoryview(data)[8 + header_len :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = info["dtype"]
        if dtype == "BF16":
            start, end = info["data_offsets"]
            raw = np.frombuffer(body[start:end], dtype=np.uint16).astype(np.uint32) << 16
            array = raw.view(np.float32)
        elif dtype in _SAFETENSORS_DTYPES:
            start, end = info["data_offsets"]
            array = np.frombuffer(body[start:end], dtype=_SAFETENSORS_DTYPES[dtype])
        else:
            raise CheckpointError(f"{path}: tensor {name!r} has unsupported dtype {dtype}")
        tensors[name] = torch.from_numpy(array.reshape(info["shape"]).copy())
    return tensors


# --- Hugging Face -> Meta key names ---------------------------------------------------------
_HF_BLOCK_PARTS = {
    "layernorm_before": "norm1",
    "layernorm_after": "norm2",
    "attention.output.dense": "attn.proj",
    "intermediate.dense": "mlp.fc1",
    "output.dense": "mlp.fc2",
}
_HF_SINGLE = {
    "vit.embeddings.cls_token": "cls_token",
    "vit.embeddings.position_embeddings": "pos_embed",
    "vit.embeddings.patch_embeddings.projection.weight": "patch_embed.proj.weight",
    "vit.embeddings.patch_embeddings.projection.bias": "patch_embed.proj.bias",
    "vit.layernorm.weight": "norm.weight",
    "vit.layernorm.bias": "norm.bias",
    "decoder.mask_token": "mask_token",
    "decoder.decoder_pos_embed": "decoder_pos_embed",
    "decoder.decoder_embed.weight": "decoder_embed.weight",
    "decoder.decoder_embed.bias": "decoder_embed.bias",
    "decoder.decoder_norm.weight": "decoder_norm.weight",
    "decoder.decoder_norm.bias": "decoder_norm.bias",
    "decoder.decoder_pred.weight": "decoder_pred.weight",
    "decoder.decoder_pred.bias": "decoder_pred.bias",
}
_HF_BLOCK_KEY = re.compile(r"^(vit\.encoder\.layer|decoder\.decoder_layers)\.(\d+)\.(.+)\.(weight|bias)$")


def hf_to_meta(hf_state: dict) -> dict:
    meta, qkv = {}, {}
    for key, value in hf_state.items():
        if key in _HF_SINGLE:
            meta[_HF_SINGLE[key]] = value
            continue
        match = _HF_BLOCK_KEY.match(key)
        if not match:
            raise CheckpointError(f"unknown Hugging Face key {key!r}")
        stack, index, part, kind = match.groups()
        prefix = ("blocks" if stack.startswith("vit") else "decoder_blocks") + f".{index}."
        qkv_part = re.fullmatch(r"attention\.attention\.(query|key|value)", part)
        if qkv_part:
            qkv.setdefault((prefix, kind), {})[qkv_part.group(1)] = value
        elif part in _HF_BLOCK_PARTS:
            meta[f"{prefix}{_HF_BLOCK_PARTS[part]}.{kind}"] = value
        else:
            raise CheckpointError(f"unknown Hugging Face key {key!r}")
    for (prefix, kind), parts in qkv.items():
        missing = {"query", "key", "value"} - parts.keys()
        if missing:
            raise CheckpointError(
                f"missing Hugging Face key {prefix}attention.attention.{sorted(missing)[0]}.{kind}"
            )
        meta[f"{prefix}attn.qkv.{kind}"] = torch.cat([parts["query"], parts["key"], parts["value"]], dim=0)
    return meta


# --- sizes from shapes ---------------------------------------------------------------------
# num_heads cannot be read off the shapes; these are Meta's released models.
_KNOWN_HEADS = {192: 3, 384: 6, 768: 12, 1024: 16, 1280: 16}
_KNOWN_DECODER_HEADS = {512: 16}


def _count_blocks(state: dict, prefix: str) -> int:
    indices = {int(k.split(".")[1]) for k in state if k.startswith(prefix + ".")}
    return max(indices) + 1 if indices else 0


def config_from_state(state: dict, overrides: dict) -> MaeConfig:
    for required in ("patch_embed.proj.weight", "pos_embed", "decoder_embed.weight", "decoder_pred.weight"):
        if required not in state:
            raise CheckpointError(f"missing key {required!r}")
    proj = state["patch_embed.proj.weight"]  # [D, C, P, P]
    embed_dim, in_chans, patch_size = proj.shape[0], proj.shape[1], proj.shape[2]
    num_patches = state["pos_embed"].shape[1] - 1
    grid = int(round(num_patches**0.5))
    decoder_dim = state["decoder_embed.weight"].shape[0]
    fc1 = state.get("blocks.0.mlp.fc1.weight")
    values = dict(
        image_size=grid * patch_size,
        patch_size=patch_size,
        in_chans=in_chans,
        embed_dim=embed_dim,
        depth=_count_blocks(state, "blocks"),
        decoder_embed_dim=decoder_dim,
        decoder_depth=_count_blocks(state, "decoder_blocks"),
        mlp_ratio=(fc1.shape[0] / embed_dim) if fc1 is not None else 4.0,
        num_heads=_KNOWN_HEADS.get(embed_dim),
        decoder_num_heads=_KNOWN_DECODER_HEADS.get(decoder_dim),
    )
    values.update({k: v for k, v in overrides.items() if v is not None})
    for heads in ("num_heads", "decoder_num_heads"):
        if values[heads] is None:
            raise CheckpointError(
                f"cannot infer {heads} from the tensor shapes "
                f"(width {values['embed_dim' if heads == 'num_heads' else 'decoder_embed_dim']}); "
                "put a config.json with it beside the checkpoint"
            )
    return MaeConfig(**values)


def build_model(state: dict, overrides: dict, origin: str) -> MaskedAutoencoder:
    cfg = config_from_state(state, overrides)
    model = MaskedAutoencoder(cfg)
    expected = set(model.state_dict())
    missing = sorted(expected - state.keys())
    unexpected = sorted(state.keys() - expected)
    if missing:
        raise CheckpointError(
            f"{origin}: missing key {missing[0]!r}"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
        )
    if unexpected:
        raise CheckpointError(
            f"{origin}: unknown key {unexpected[0]!r}"
            + (f" (and {len(unexpected) - 1} more)" if len(unexpected) > 1 else "")
        )
    for key, value in model.state_dict().items():
        if tuple(state[key].shape) != tuple(value.shape):
            raise CheckpointError(
                f"{origin}: key {key!r} has shape {tuple(state[key].shape)}, expected {tuple(value.shape)}"
            )
    model.load_state_dict({k: v.float() for k, v in state.items()})
    return model.eval()


def _meta_overrides(path: Path, checkpoint: dict) -> dict:
    """Our checkpoints carry their config; for Meta's, an optional config.json beside the file."""
    if isinstance(checkpoint.get("config"), dict):
        return dict(checkpoint["config"])
    side = path.parent / "config.json"
    if side.exists():
        raw = json.loads(side.read_text())
        keys = {"num_heads", "decoder_num_heads", "layer_norm_eps", "norm_pix_loss", "mlp_ratio"}
        return {k: raw[k] for k in keys if k in raw}
    return {}


def load_meta(path: Path, norm_pix_loss=None):
    checkpoint = torch.load(path, map_location="cpu")
    if not isinstance(checkpoint, dict) or "model" not in checkpoint:
        raise CheckpointError(f"{path}: expected Meta's format, a dict with a 'model' state_dict")
    overrides = _meta_overrides(path, checkpoint)
    if norm_pix_loss is not None:
        overrides["norm_pix_loss"] = norm_pix_loss
    model = build_model(checkpoint["model"], overrides, str(path))
    kind = "mae-lens" if "config" in checkpoint else "meta"
    return model, {"file": path.name, "format": kind, "sha256": sha256_file(path)}


def load_hf(path: Path):
    folder = path if path.is_dir() else path.parent
    config_path = folder / "config.json"
    if not config_path.exists():
        raise CheckpointError(f"{folder}: Hugging Face format needs config.json")
    hf_config = json.loads(config_path.read_text())
    if path.is_dir():
        candidates = [folder / "model.safetensors", folder / "pytorch_model.bin"]
        weights = next((c for c in candidates if c.exists()), None)
        if weights is None:
            raise CheckpointError(f"{folder}: neither model.safetensors nor pytorch_model.bin found")
    else:
        weights = path
    if weights.suffix == ".safetensors":
        hf_state = read_safetensors(weights)
    else:
        hf_state = torch.load(weights, map_location="cpu")
    overrides = {
        "num_heads": hf_config.get("num_attention_heads"),
        "decoder_num_heads": hf_config.get("decoder_num_attention_heads"),
        "layer_norm_eps": hf_config.get("layer_norm_eps"),
        "norm_pix_loss": hf_config.get("norm_pix_loss"),
    }
    if "intermediate_size" in hf_config and "hidden_size" in hf_config:
        overrides["mlp_ratio"] = hf_config["intermediate_size"] / hf_config["hidden_size"]
    model = build_model(hf_to_meta(hf_state), overrides, str(weights))
    return model, {"file": weights.name, "format": "hf", "sha256": sha256_file(weights)}


def load_checkpoint(path: str, norm_pix_loss=None):
    """Dispatch on what `path` is: a Hugging Face folder/file or a Meta-style .pth."""
    p = Path(path)
    if not p.exists():
        raise CheckpointError(f"{path}: no such file or folder")
    if p.is_dir() or p.suffix == ".safetensors" or p.name == "pytorch_model.bin":
        return load_hf(p)
    return load_meta(p, norm_pix_loss)
