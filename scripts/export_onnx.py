#!/usr/bin/python3
"""Export a ViT-MAE to the MAE Lens ONNX contract (docs/model-format.md) and verify it.

    /usr/bin/python3 -m scripts.export_onnx --checkpoint mae_visualize_vit_base.pth --out models/vit-mae-base
    /usr/bin/python3 -m scripts.export_onnx --checkpoint path/to/facebook-vit-mae-base --out models/hf-base
    /usr/bin/python3 -m scripts.export_onnx --random base --out models/random-base
    /usr/bin/python3 -m scripts.export_onnx --checkpoint mae_visualize_vit_base.pth --quantize int8 \
        --out models/vit-mae-base-int8

Writes encoder.onnx, decoder.onnx and config.json, then runs the ONNX files with the repo's
onnxruntime-node on a random mask and checks them against PyTorch (max abs diff printed).
"""

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from scripts.mae.fuse_onnx import fuse
from scripts.mae.loaders import CheckpointError, load_checkpoint, sha256_file
from scripts.mae.model import PRESETS, MaskedAutoencoder
from scripts.mae.onnx_weights import MODEL_FORMAT
from scripts.quantize_onnx import DEFAULT_BLOCK_SIZE, MODES as QUANTIZE_MODES, QuantizeError, quantize_folder

REPO = Path(__file__).resolve().parent.parent
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
PROTOBUF_LIMIT = 2**31 - 1  # protobuf cannot hold a single message over 2 GB


class EncoderGraph(nn.Module):
    def __init__(self, model: MaskedAutoencoder):
        super().__init__()
        self.model = model

    def forward(self, visible_patches, ids_keep):
        return self.model.forward_encoder(visible_patches, ids_keep)


class DecoderGraph(nn.Module):
    def __init__(self, model: MaskedAutoencoder):
        super().__init__()
        self.model = model

    def forward(self, latent, ids_restore):
        return self.model.forward_decoder(latent, ids_restore)


def random_mask(num_patches: int, keep: int, generator: torch.Generator):
    ids_shuffle = torch.argsort(torch.rand(1, num_patches, generator=generator), dim=1)
    return ids_shuffle[:, :keep], torch.argsort(ids_shuffle, dim=1)  # ids_keep [1, K], ids_restore [1, N]


def export_graph(module, inputs, input_names, output_names, dynamic_axes, path: Path, opset: int):
    """torch.onnx.export, then (if the weights pass protobuf's 2 GB limit) one external data file."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / path.name
        torch.onnx.export(
            module,
            inputs,
            str(raw),
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            opset_version=opset,
            do_constant_folding=True,
        )
        proto = onnx.load(str(raw))
        external = proto.ByteSize() > PROTOBUF_LIMIT
        data_name = path.name + ".data"
        (path.parent / data_name).unlink(missing_ok=True)
        onnx.save_model(
            proto,
            str(path),
            save_as_external_data=external,
            all_tensors_to_one_file=True,
            location=data_name,
            size_threshold=1024,
        )
    return data_name if external else None


def extract_subgraph(model: onnx.ModelProto, input_names, output_name: str) -> onnx.ModelProto:
    """The nodes, initializers and inputs that `output_name` depends on.

    onnx.utils.Extractor does the same but its reachability search is quadratic in the node count:
    over 4 minutes for a base-size encoder. One backward pass over the topologically sorted nodes
    is enough here (the exported graphs have no subgraphs).
    """
    graph = model.graph
    needed, nodes = {output_name}, []
    for node in reversed(graph.node):
        if any(name in needed for name in node.output):
            nodes.append(node)
            needed.update(name for name in node.input if name)
    missing = needed & {i.name for i in graph.input} - set(input_names)
    if missing:
        raise ValueError(f"{output_name} also depends on the inputs {sorted(missing)}")
    lean = onnx.helper.make_graph(
        list(reversed(nodes)),
        graph.name,
        [value for value in graph.input if value.name in input_names],
        [value for value in graph.output if value.name == output_name],
        [init for init in graph.initializer if init.name in needed],
        value_info=[value for value in graph.value_info if value.name in needed],
    )
    return onnx.helper.make_model(
        lean,
        opset_imports=model.opset_import,
        ir_version=model.ir_version,
        producer_name=model.producer_name,
        producer_version=model.producer_version,
    )


def write_lean_graph(
    full_path: Path, input_names, output_name: str, lean_path: Path, fused_heads: int | None = None
):
    """A graph that computes only `output_name` and reads its weights from `full_path` itself.

    onnxruntime runs every node of a graph whatever outputs are fetched, so the contract's extra
    outputs (attentions, pred_per_layer) would cost time on every run. The lean graph holds no
    weights: each initializer points (ONNX external data: location, offset, length) at the bytes
    of the same tensor inside the full file, so the app downloads the weights once.
    With `fused_heads` (the graph's attention heads) it uses onnxruntime's com.microsoft fused
    operators (mae/fuse_onnx.py).
    """
    full = onnx.load(str(full_path), load_external_data=False)
    blob = full_path.read_bytes()
    references, position = {}, 0
    for init in full.graph.initializer:  # serialised in order, so one forward scan finds them all
        if init.data_location == onnx.TensorProto.EXTERNAL:
            references[init.name] = [(e.key, e.value) for e in init.external_data]
        elif len(init.raw_data) >= 1024:
            offset = blob.find(init.raw_data, position)
            if offset < 0:  # identical bytes earlier in the file serve as well
                offset = blob.find(init.raw_data)
            references[init.name] = [
                ("location", full_path.name),
                ("offset", str(offset)),
                ("length", str(len(init.raw_data))),
            ]
            position = offset + len(init.raw_data)
    lean = extract_subgraph(onnx.load(str(full_path)), list(input_names), output_name)
    if fused_heads is not None:
        lean, counts = fuse(lean, fused_heads)
        fused = ", ".join(f"{n} {op}" for op, n in sorted(counts.items())) or "nothing"
        print(f"  {lean_path.name}: fused {fused}")
    for init in lean.graph.initializer:
        if init.name in references:
            init.ClearField("raw_data")
            init.data_location = onnx.TensorProto.EXTERNAL
            del init.external_data[:]
            for key, value in references[init.name]:
                entry = init.external_data.add()
                entry.key, entry.value = key, value
    onnx.save_model(lean, str(lean_path))


def file_entry(folder: Path, name: str, data_name):
    entry = {"path": name, "bytes": (folder / name).stat().st_size, "sha256": sha256_file(folder / name)}
    if data_name:
        entry["external_data"] = {
            "path": data_name,
            "bytes": (folder / data_name).stat().st_size,
            "sha256": sha256_file(folder / data_name),
        }
    return entry


def export(
    model: MaskedAutoencoder, out: Path, name: str, source: dict, opset: int, fused_ops: bool = False
) -> dict:
    cfg = model.cfg
    out.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(0)
    keep = cfg.num_patches // 4
    ids_keep, ids_restore = random_mask(cfg.num_patches, keep, generator)
    visible = torch.randn(1, keep, cfg.patch_dim, generator=generator)
    with torch.no_grad():
        latent, _ = model.forward_encoder(visible, ids_keep)
        enc_data = export_graph(
            EncoderGraph(model),
            (visible, ids_keep),
            ["visible_patches", "ids_keep"],
            ["latent", "attentions"],
            {
                "visible_patches": {0: "batch", 1: "visible"},
                "ids_keep": {0: "batch", 1: "visible"},
                "latent": {0: "batch", 1: "tokens"},
                "attentions": {0: "batch", 3: "tokens", 4: "tokens"},
            },
            out / "encoder.onnx",
            opset,
        )
        dec_data = export_graph(
            DecoderGraph(model),
            (latent, ids_restore),
            ["latent", "ids_restore"],
            ["pred", "pred_per_layer"],
            {
                "latent": {0: "batch", 1: "tokens"},
                "ids_restore": {0: "batch"},
                "pred": {0: "batch"},
                "pred_per_layer": {0: "batch"},
            },
            out / "decoder.onnx",
            opset,
        )
    write_lean_graph(
        out / "encoder.onnx",
        ["visible_patches", "ids_keep"],
        "latent",
        out / "encoder.lean.onnx",
        cfg.num_heads if fused_ops else None,
    )
    write_lean_graph(
        out / "decoder.onnx",
        ["latent", "ids_restore"],
        "pred",
        out / "decoder.lean.onnx",
        cfg.decoder_num_heads if fused_ops else None,
    )
    config = {
        "format": MODEL_FORMAT,
        "name": name,
        "source": source,
        "image_size": cfg.image_size,
        "patch_size": cfg.patch_size,
        "in_chans": cfg.in_chans,
        "num_patches": cfg.num_patches,
        "encoder": {
            "embed_dim": cfg.embed_dim,
            "depth": cfg.depth,
            "num_heads": cfg.num_heads,
            "mlp_hidden": int(cfg.embed_dim * cfg.mlp_ratio),
        },
        "decoder": {
            "embed_dim": cfg.decoder_embed_dim,
            "depth": cfg.decoder_depth,
            "num_heads": cfg.decoder_num_heads,
            "mlp_hidden": int(cfg.decoder_embed_dim * cfg.mlp_ratio),
        },
        "layer_norm_eps": cfg.layer_norm_eps,
        "norm_pix_loss": cfg.norm_pix_loss,
        "mean": IMAGENET_MEAN,
        "std": IMAGENET_STD,
        "opset": opset,
        "parameters": sum(p.numel() for p in model.parameters()),
        "files": {
            "encoder": file_entry(out, "encoder.onnx", enc_data),
            "decoder": file_entry(out, "decoder.onnx", dec_data),
            # Same weights, only latent / pred: the fast path when the extras are not shown.
            "encoder_lean": dict(file_entry(out, "encoder.lean.onnx", None), weights_from="encoder"),
            "decoder_lean": dict(file_entry(out, "decoder.lean.onnx", None), weights_from="decoder"),
        },
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    return config


def save_npy(folder: Path, name: str, tensor: torch.Tensor):
    np.save(folder / f"{name}.npy", tensor.detach().cpu().numpy())


def verify(model: MaskedAutoencoder, out: Path, tolerance: float, quantized: bool = False) -> float:
    """Run the exported files with onnxruntime-node at several K (0, N/4, N) against PyTorch.

    An fp32 export must match to `tolerance` in max abs difference. A quantised one differs by
    design, in proportion to the values: it is held to `tolerance` in RMS error of latent and pred
    relative to their RMS (its max abs differences are printed too).
    """
    cfg = model.cfg
    generator = torch.Generator().manual_seed(1)
    worst = 0.0
    for keep in (cfg.num_patches // 4, 0, cfg.num_patches):
        ids_keep, ids_restore = random_mask(cfg.num_patches, keep, generator)
        visible = torch.randn(1, keep, cfg.patch_dim, generator=generator)
        with torch.no_grad():
            latent, attentions = model.forward_encoder(visible, ids_keep)
            pred, pred_per_layer = model.forward_decoder(latent, ids_restore)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            for tensor_name, tensor in [
                ("visible_patches", visible),
                ("ids_keep", ids_keep),
                ("ids_restore", ids_restore),
                ("latent", latent),
                ("attentions", attentions),
                ("pred", pred),
                ("pred_per_layer", pred_per_layer),
            ]:
                save_npy(folder, tensor_name, tensor)
            result = subprocess.run(
                ["npx", "--no-install", "tsx", "src/cli/verify-export.ts", str(out.resolve()), str(folder)],
                cwd=REPO,
                capture_output=True,
                text=True,
            )
        if result.returncode != 0:
            raise SystemExit(
                f"ONNX verification could not run (npm ci first?):\n{result.stdout}{result.stderr}"
            )
        report = json.loads(result.stdout.strip().splitlines()[-1])
        line = ", ".join(f"{k} {v:.2e}" for k, v in report["max_abs_diff"].items())
        if quantized:
            line += "; RMS error relative to PyTorch's: " + ", ".join(
                f"{k} {v:.2%}" for k, v in report["relative_rms"].items()
            )
        print(f"  K={keep:4d}: max abs diff vs PyTorch {line}")
        checked = report["relative_rms"] if quantized else report["max_abs_diff"]
        worst = max(worst, *checked.values())
    if worst > tolerance:
        measure = "relative RMS error" if quantized else "max abs difference"
        raise SystemExit(f"ONNX output differs from PyTorch: {measure} {worst:.3e} > {tolerance:.0e}")
    return worst


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--checkpoint", help="Meta .pth, Hugging Face folder / model.safetensors / pytorch_model.bin, or ours"
    )
    what.add_argument("--random", choices=sorted(PRESETS), help="randomly initialised model of this size")
    parser.add_argument("--out", required=True, type=Path, help="output folder, e.g. models/NAME")
    parser.add_argument("--name", help="display name in the app")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument(
        "--norm-pix-loss",
        choices=["true", "false"],
        help="Meta .pth only: whether the weights predict per-patch normalised pixels (*_full.pth)",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        help="max abs difference vs PyTorch (default 1e-4); with --quantize, the RMS error of "
        "latent and pred relative to their RMS (default 0.05)",
    )
    parser.add_argument(
        "--quantize",
        choices=QUANTIZE_MODES,
        help="write quantised weights (scripts/quantize_onnx.py) instead of fp32; the fp32 "
        "export is made and verified in a temporary folder first",
    )
    parser.add_argument("--block-size", type=int, default=DEFAULT_BLOCK_SIZE, help="--quantize int4 only")
    parser.add_argument(
        "--fused-ops",
        action="store_true",
        help="lean graphs with onnxruntime's com.microsoft fused operators (Attention, "
        "SkipLayerNormalization, BiasGelu); the full graphs keep the plain ones",
    )
    parser.add_argument("--no-verify", action="store_true", help="skip the onnxruntime-node check")
    args = parser.parse_args()

    if args.random:
        torch.manual_seed(0)
        model = MaskedAutoencoder(PRESETS[args.random]).eval()
        # No file, no hash: config.json's source.file / sha256 are optional strings, never null.
        source = {"format": "random", "preset": args.random}
        name = args.name or f"Random ViT-MAE {args.random} (untrained)"
    else:
        norm_pix = None if args.norm_pix_loss is None else args.norm_pix_loss == "true"
        try:
            model, source = load_checkpoint(args.checkpoint, norm_pix)
        except CheckpointError as error:
            raise SystemExit(f"error: {error}")
        name = args.name or args.out.name
    if not args.quantize:
        config = export(model, args.out, name, source, args.opset, args.fused_ops)
        sizes = ", ".join(f"{k} {v['bytes'] / 1e6:.1f} MB" for k, v in config["files"].items())
        print(f"wrote {args.out}/ ({sizes}; {config['parameters'] / 1e6:.2f}M parameters)")
        if not args.no_verify:
            tolerance = args.tolerance or 1e-4
            worst = verify(model, args.out, tolerance)
            print(f"verified with onnxruntime-node: max abs diff {worst:.2e} (tolerance {tolerance:.0e})")
        return
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32"
        export(model, fp32, name, source, args.opset)
        if not args.no_verify:
            print("fp32 export:")
            verify(model, fp32, 1e-4)
        try:
            config = quantize_folder(fp32, args.out, args.quantize, args.block_size)
        except QuantizeError as error:
            raise SystemExit(f"error: {error}")
    sizes = ", ".join(f"{k} {v['bytes'] / 1e6:.1f} MB" for k, v in config["files"].items())
    print(f"wrote {args.out}/ ({sizes}; {config['quantization']['matrices']} matrices {args.quantize})")
    if not args.no_verify:
        tolerance = args.tolerance or 0.05
        print(f"{args.quantize} export:")
        worst = verify(model, args.out, tolerance, quantized=True)
        print(f"verified with onnxruntime-node: relative RMS error {worst:.2%} (tolerance {tolerance:.0%})")


if __name__ == "__main__":
    main()
