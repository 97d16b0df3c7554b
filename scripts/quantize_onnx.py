#!/usr/bin/python3
"""Quantised weights for an exported MAE Lens model folder (docs/model-format.md).

    /usr/bin/python3 -m scripts.quantize_onnx models/vit-mae-base models/vit-mae-base-int8 --mode int8
    /usr/bin/python3 -m scripts.quantize_onnx models/vit-mae-base models/vit-mae-base-int4 --mode int4

Works on the ONNX graphs themselves, so any export can be quantised without its checkpoint
(scripts/export_onnx.py --quantize calls it on the folder it has just written). The weight of
every Linear layer (torch writes it as MatMul with a transposed [in, out] initializer, then Add
of the bias) is quantised; biases, LayerNorm, the position tables, the cls and mask tokens and the
attention products stay float32, and so does every tensor between the nodes.

Modes (both are com.microsoft contrib ops, which onnxruntime-node and onnxruntime-web run):
- int8: symmetric int8 per output column and a float scale, run by DynamicQuantizeMatMul: the
  activations are quantised to uint8 on the fly, so the product is an integer GEMM. The scale keeps
  neighbouring weights along K small enough that the AVX2 kernel's int16 pair sums cannot
  saturate, so every CPU and WASM compute the same integers (quantize_int8_columns). The fastest
  of the formats measured (docs/PERFORMANCE.md): at base size in Chromium WASM (2 threads) about
  3x faster than fp32, where a weight-only DequantizeLinear + MatMul (standard ops) ran at fp32
  speed because onnxruntime turns it back into a float32 weight.
- int4: MatMulNBits, 4-bit symmetric blocks of `block_size` values along the input dimension with
  one float scale each: the smallest download (about 1/6 of fp32), but in WASM not faster than
  fp32; it is also the one WebGPU runs natively.

The output folder gets encoder.onnx, decoder.onnx, the lean graphs (their external data points
into the new files) and a config.json with every field of the source plus "quantization".
"""

import argparse
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper


MODES = ("int8", "int4")
DEFAULT_BLOCK_SIZE = 32
# MatMulNBits may quantise the activations to int8 for the product where a kernel does that
# (accuracy_level 4); measured no worse on the bundled model's PSNR and slightly faster natively.
INT4_ACCURACY_LEVEL = 4
MS_DOMAIN = "com.microsoft"
# onnxruntime's AVX2 (and AVX-512 without VNNI) kernel for uint8 activations x int8 weights adds
# two neighbouring products along K in int16 with saturation (`vpmaddubsw`): int8 weights are
# scaled so that neighbours of the same sign add up to at most PAIR_SUM_LIMIT in magnitude, and
# 255 * 128 = 32640 fits int16 (int8_pairs_fit_int16; the measurements are in docs/model-format.md).
PAIR_SUM_LIMIT = 128
# Smaller matrices are not worth a node of their own: the saving is a few kB.
MIN_ELEMENTS = 4096


class QuantizeError(ValueError):
    pass


def quantize_int8_columns(weight: np.ndarray):
    """Symmetric per-column int8, weight[:, n] ~= q[:, n] * scale[n], that no CPU can saturate.

    The scale maps the largest sum of two neighbours of the same sign along K (at least the largest
    single value) to 127, so after rounding such a pair sums to at most 128 (int8_pairs_fit_int16),
    and every value to at most 127. No column is coarser than 7-bit weights ([-63, 63]); in the
    bundled model the median column reaches +-87 (full range: +-127), and its predictions are as
    close to fp32 as full-range int8's on a CPU that does not saturate.
    """
    below = np.vstack([weight[1:], np.zeros((1, weight.shape[1]), weight.dtype)])  # [K, N], zero past K
    positive = np.maximum(weight, 0) + np.maximum(below, 0)
    negative = np.minimum(weight, 0) + np.minimum(below, 0)
    worst = np.maximum(positive, -negative).max(axis=0)  # [N]
    scale = np.where(worst > 0, worst / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(weight / scale), -127, 127).astype(np.int8)
    return q, scale


def int8_pairs_fit_int16(q: np.ndarray) -> bool:
    """Whether no pair of weights onnxruntime's AVX2 kernel adds in int16 can saturate.

    q is an int8 [K, N] weight. `vpmaddubsw` multiplies uint8 activations (0..255) by the int8
    weights and adds two neighbours along K (rows 2i and 2i+1 of a column in MLAS's packing) in
    int16 with saturation, so 255 * (q[k] + q[k+1]) must stay in [-32768, 32767] for every
    activation: the positive parts of a pair may add up to PAIR_SUM_LIMIT (255 * 128 = 32640), the
    negative parts down to -PAIR_SUM_LIMIT; a pair of mixed signs cannot overflow. Every neighbouring
    pair is checked, not only the even ones, so the check does not depend on the packing.
    """
    pairs = np.stack([q[:-1], q[1:]]).astype(np.int32)  # [2, K-1, N]
    positive, negative = np.maximum(pairs, 0).sum(axis=0), np.minimum(pairs, 0).sum(axis=0)
    return bool(np.all(positive <= PAIR_SUM_LIMIT) and np.all(negative >= -PAIR_SUM_LIMIT))


def quantize_int4_blocks(weight: np.ndarray, block_size: int):
    """MatMulNBits layout (bits=4, no zero-point input, so the zero point is 8).

    weight [K, N] -> B uint8 [N, blocks, block_size / 2] (two values a byte, the lower k in the low
    nibble) and scales float32 [N * blocks]; K is zero-padded to whole blocks.
    """
    k, n = weight.shape
    blocks = -(-k // block_size)
    padded = np.zeros((blocks * block_size, n), dtype=np.float32)
    padded[:k] = weight
    per_block = padded.T.reshape(n, blocks, block_size)
    # Codes -8..7 around zero point 8: the value of largest magnitude maps exactly to -8 (the scale
    # takes its sign), so all 16 codes are used and only a value of the same magnitude and the
    # other sign is clipped (to 7).
    extreme = np.take_along_axis(per_block, np.abs(per_block).argmax(axis=2)[..., None], axis=2)[..., 0]
    scale = np.where(extreme != 0, extreme / -8.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(per_block / scale[..., None]), -8, 7).astype(np.int16) + 8
    packed = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
    return packed, scale.reshape(-1)


def dequantize_int4_blocks(packed: np.ndarray, scale: np.ndarray, k: int) -> np.ndarray:
    """The inverse of quantize_int4_blocks (for tests): float32 [K, N]."""
    n, blocks, half = packed.shape
    q = np.empty((n, blocks, half * 2), dtype=np.int16)
    q[..., 0::2] = packed & 0x0F
    q[..., 1::2] = packed >> 4
    values = (q - 8) * scale.reshape(n, blocks)[..., None]
    return values.reshape(n, blocks * half * 2)[:, :k].T.astype(np.float32)


def linear_weights(graph: onnx.GraphProto) -> dict:
    """Initializer name -> MatMul nodes that use it as their [in, out] right operand."""
    inits = {init.name: init for init in graph.initializer}
    # torch stores equal tensors once behind Identity nodes: follow them to the initializer.
    alias = {
        node.output[0]: node.input[0]
        for node in graph.node
        if node.op_type == "Identity" and node.input[0] in inits
    }
    found = {}
    for node in graph.node:
        if node.op_type != "MatMul":
            continue
        name = alias.get(node.input[1], node.input[1])
        init = inits.get(name)
        if init is None or len(init.dims) != 2 or init.data_type != onnx.TensorProto.FLOAT:
            continue
        if init.dims[0] * init.dims[1] < MIN_ELEMENTS:
            continue
        found.setdefault(name, []).append(node)
    return found


def quantize_graph(model: onnx.ModelProto, mode: str, block_size: int) -> int:
    """Rewrites `model` in place; returns how many weight matrices were quantised."""
    graph = model.graph
    targets = linear_weights(graph)
    inits = {init.name: init for init in graph.initializer}
    replaced = {}
    for name, users in targets.items():
        weight = numpy_helper.to_array(inits[name]).astype(np.float32)
        k, n = weight.shape
        if mode == "int8":
            q, scale = quantize_int8_columns(weight)
            if not int8_pairs_fit_int16(q):
                raise QuantizeError(f"{name}: int8 weights could saturate onnxruntime's AVX2 kernel")
            graph.initializer.extend(
                [
                    numpy_helper.from_array(q, f"{name}_int8"),
                    numpy_helper.from_array(scale, f"{name}_scale"),
                    numpy_helper.from_array(np.zeros(n, np.int8), f"{name}_zero"),
                ]
            )
            for node in users:
                replaced[id(node)] = helper.make_node(
                    "DynamicQuantizeMatMul",
                    [node.input[0], f"{name}_int8", f"{name}_scale", f"{name}_zero"],
                    list(node.output),
                    name=f"{node.name}_DynamicQuantizeMatMul",
                    domain=MS_DOMAIN,
                )
        else:
            packed, scale = quantize_int4_blocks(weight, block_size)
            graph.initializer.extend(
                [
                    numpy_helper.from_array(packed, f"{name}_int4"),
                    numpy_helper.from_array(scale, f"{name}_scale"),
                ]
            )
            for node in users:
                replaced[id(node)] = helper.make_node(
                    "MatMulNBits",
                    [node.input[0], f"{name}_int4", f"{name}_scale"],
                    list(node.output),
                    name=f"{node.name}_MatMulNBits",
                    domain=MS_DOMAIN,
                    K=k,
                    N=n,
                    bits=4,
                    block_size=block_size,
                    accuracy_level=INT4_ACCURACY_LEVEL,
                )
    nodes = [replaced.get(id(node), node) for node in graph.node]
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in graph.node for name in node.input}
    kept = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    if not any(op.domain == MS_DOMAIN for op in model.opset_import):
        model.opset_import.append(helper.make_opsetid(MS_DOMAIN, 1))
    return len(targets)


def quantize_folder(source: Path, out: Path, mode: str, block_size: int = DEFAULT_BLOCK_SIZE) -> dict:
    """Quantises the model folder `source` into `out` and returns the new config."""
    from scripts.export_onnx import file_entry, write_lean_graph  # the exporter imports torch: only here

    if mode not in MODES:
        raise QuantizeError(f"unknown mode {mode!r}: one of {', '.join(MODES)}")
    if block_size < 16 or block_size & (block_size - 1):
        raise QuantizeError(f"block size must be a power of 2, at least 16 (got {block_size})")
    config = json.loads((source / "config.json").read_text())
    if "quantization" in config:
        raise QuantizeError(f"{source} is already quantised ({config['quantization']['mode']})")
    if source.resolve() == out.resolve():
        raise QuantizeError(
            "write the quantised model to another folder: the lean graphs of the source "
            "point into its files"
        )
    files = config["files"]
    if any("external_data" in files[key] for key in ("encoder", "decoder")):
        raise QuantizeError("graphs with external data (over 2 GB) are not supported")
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for key, inputs, output in (
        ("encoder", ["visible_patches", "ids_keep"], "latent"),
        ("decoder", ["latent", "ids_restore"], "pred"),
    ):
        model = onnx.load(str(source / files[key]["path"]))
        counts[key] = quantize_graph(model, mode, block_size)
        onnx.save_model(model, str(out / f"{key}.onnx"))
        write_lean_graph(out / f"{key}.onnx", inputs, output, out / f"{key}.lean.onnx")
    config["name"] = f"{config['name']} ({mode})"
    config.pop("evaluation", None)  # measured on the fp32 weights: not these
    config["files"] = {
        "encoder": file_entry(out, "encoder.onnx", None),
        "decoder": file_entry(out, "decoder.onnx", None),
        "encoder_lean": dict(file_entry(out, "encoder.lean.onnx", None), weights_from="encoder"),
        "decoder_lean": dict(file_entry(out, "decoder.lean.onnx", None), weights_from="decoder"),
    }
    config["quantization"] = {"mode": mode, "matrices": counts["encoder"] + counts["decoder"]}
    if mode == "int8":
        config["quantization"]["pair_sum_limit"] = PAIR_SUM_LIMIT
    if mode == "int4":
        config["quantization"]["block_size"] = block_size
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    return config


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("source", type=Path, help="an exported model folder (config.json, encoder.onnx, ...)")
    parser.add_argument("out", type=Path, help="the quantised model folder to write")
    parser.add_argument("--mode", choices=MODES, default="int8")
    parser.add_argument("--block-size", type=int, default=DEFAULT_BLOCK_SIZE, help="int4 only")
    args = parser.parse_args()
    try:
        config = quantize_folder(args.source, args.out, args.mode, args.block_size)
    except QuantizeError as error:
        raise SystemExit(f"error: {error}")
    sizes = ", ".join(f"{k} {v['bytes'] / 1e6:.1f} MB" for k, v in config["files"].items())
    print(f"wrote {args.out}/ ({sizes}; {config['quantization']['matrices']} matrices {args.mode})")


if __name__ == "__main__":
    main()
