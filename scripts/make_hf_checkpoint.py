#!/usr/bin/python3
"""A random ViT-MAE of a real size in Hugging Face's layout, for checking the TypeScript loader
(src/runtime/checkpointModel.ts) at that size against the Python export of the same weights.

    /usr/bin/python3 -m scripts.make_hf_checkpoint --preset base --out out/random-base-hf

Writes OUT/config.json (transformers ViTMAEConfig), OUT/model.safetensors, OUT/pytorch_model.bin
(the same weights in both), the Python export of them in OUT/export/ (scripts/export_onnx.py,
checked against PyTorch), and one masked input with PyTorch's outputs in OUT/reference/*.npy.
Then:

    npx tsx src/cli/verify-checkpoint.ts out/random-base-hf/model.safetensors
    npx tsx src/cli/verify-checkpoint.ts out/random-base-hf/pytorch_model.bin

out/ is git-ignored: nothing here is committed (not models/, whose folders the build lists as exports).
"""

import argparse
import json
from pathlib import Path

import torch

from scripts.export_onnx import export, random_mask, save_npy, verify
from scripts.mae.model import PRESETS, MaskedAutoencoder


def meta_to_hf(state: dict) -> dict:
    """Our (Meta's) parameter names -> transformers ViTMAEForPreTraining's, qkv split in three."""
    single = {
        "cls_token": "vit.embeddings.cls_token",
        "pos_embed": "vit.embeddings.position_embeddings",
        "patch_embed.proj.weight": "vit.embeddings.patch_embeddings.projection.weight",
        "patch_embed.proj.bias": "vit.embeddings.patch_embeddings.projection.bias",
        "norm.weight": "vit.layernorm.weight",
        "norm.bias": "vit.layernorm.bias",
        "mask_token": "decoder.mask_token",
        "decoder_pos_embed": "decoder.decoder_pos_embed",
    }
    parts = {
        "norm1": "layernorm_before",
        "norm2": "layernorm_after",
        "attn.proj": "attention.output.dense",
        "mlp.fc1": "intermediate.dense",
        "mlp.fc2": "output.dense",
    }
    hf = {}
    for key, value in state.items():
        if key in single:
            hf[single[key]] = value
            continue
        stack, _, rest = key.partition(".")
        if stack in ("blocks", "decoder_blocks"):
            index, _, rest = rest.partition(".")
            prefix = (
                f"vit.encoder.layer.{index}." if stack == "blocks" else f"decoder.decoder_layers.{index}."
            )
            part, _, kind = rest.rpartition(".")
            if part == "attn.qkv":
                for name, chunk in zip(("query", "key", "value"), value.chunk(3, dim=0)):
                    hf[f"{prefix}attention.attention.{name}.{kind}"] = chunk.contiguous()
            else:
                hf[f"{prefix}{parts[part]}.{kind}"] = value
        else:  # decoder_embed, decoder_norm, decoder_pred
            hf[f"decoder.{key}"] = value
    return hf


def write_safetensors(path: Path, tensors: dict):
    header, offset, blobs = {}, 0, []
    for name, tensor in tensors.items():
        data = tensor.detach().float().contiguous().numpy().tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)  # the format pads the header to 8 bytes
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def hf_config(model: MaskedAutoencoder) -> dict:
    cfg = model.cfg
    return {
        "architectures": ["ViTMAEForPreTraining"],
        "model_type": "vit_mae",
        "hidden_size": cfg.embed_dim,
        "num_hidden_layers": cfg.depth,
        "num_attention_heads": cfg.num_heads,
        "intermediate_size": int(cfg.embed_dim * cfg.mlp_ratio),
        "decoder_hidden_size": cfg.decoder_embed_dim,
        "decoder_num_hidden_layers": cfg.decoder_depth,
        "decoder_num_attention_heads": cfg.decoder_num_heads,
        "decoder_intermediate_size": int(cfg.decoder_embed_dim * cfg.mlp_ratio),
        "image_size": cfg.image_size,
        "patch_size": cfg.patch_size,
        "num_channels": 3,
        "layer_norm_eps": cfg.layer_norm_eps,
        "qkv_bias": True,
        "norm_pix_loss": cfg.norm_pix_loss,
        "hidden_act": "gelu",
        "mask_ratio": 0.75,
    }


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--preset", choices=sorted(PRESETS), default="base")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = MaskedAutoencoder(PRESETS[args.preset]).eval()
    with torch.no_grad():  # every parameter off its initial value, so a wrong mapping cannot hide
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.02)
    args.out.mkdir(parents=True, exist_ok=True)
    state = meta_to_hf(model.state_dict())
    (args.out / "config.json").write_text(json.dumps(hf_config(model), indent=2) + "\n")
    write_safetensors(args.out / "model.safetensors", state)
    torch.save(state, args.out / "pytorch_model.bin")
    print(f"wrote {args.out}: config.json, model.safetensors, pytorch_model.bin")

    source = {"file": "model.safetensors", "format": "hf"}
    export(model, args.out / "export", f"random {args.preset} (HF layout)", source, opset=17)
    verify(model, args.out / "export", tolerance=1e-4)

    reference = args.out / "reference"
    reference.mkdir(exist_ok=True)
    generator = torch.Generator().manual_seed(2)
    cfg = model.cfg
    keep = int(cfg.num_patches * 0.25)
    ids_keep, ids_restore = random_mask(cfg.num_patches, keep, generator)
    visible = torch.randn(1, keep, cfg.patch_dim, generator=generator)
    with torch.no_grad():
        latent, _ = model.forward_encoder(visible, ids_keep)
        pred, _ = model.forward_decoder(latent, ids_restore, per_layer=False)
    for name, tensor in [
        ("visible_patches", visible),
        ("ids_keep", ids_keep),
        ("ids_restore", ids_restore),
        ("latent", latent),
        ("pred", pred),
    ]:
        save_npy(reference, name, tensor)
    print(f"wrote {reference}: one masked input (K = {keep}) and PyTorch's latent and pred")


if __name__ == "__main__":
    main()
