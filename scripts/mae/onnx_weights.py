"""Rebuild the PyTorch model of an exported model folder from its ONNX files.

Any model folder then runs in PyTorch with exactly the weights the browser runs, whatever its
source (a random export, a checkpoint that is not shipped with the folder).

torch.onnx.export keeps the parameter names of tensors it uses as they are (biases, LayerNorm,
mask token, decoder position table) and folds the rest into anonymous constants: each Linear
weight becomes its transpose (the MatMul's right operand), the patch projection a [P*P*C, D]
matrix, the cls token plus its (zero) position row a [1, 1, D] constant and the encoder's position
rows a [N, D] table. It also stores equal tensors once, behind Identity nodes. Each anonymous
MatMul weight is named here by the bias its product is added to.
"""

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from .model import MaeConfig, MaskedAutoencoder

PREFIX = "model."  # the export wraps the model in a module attribute called `model`
MODEL_FORMAT = "mae-lens-model/1"  # config.json's `format` in our exports (docs/model-format.md)


class OnnxWeightsError(ValueError):
    pass


def config_from_json(config: dict) -> MaeConfig:
    encoder, decoder = config["encoder"], config["decoder"]
    mlp_ratio = encoder["mlp_hidden"] / encoder["embed_dim"]
    if decoder["mlp_hidden"] != int(decoder["embed_dim"] * mlp_ratio):
        raise OnnxWeightsError("encoder and decoder MLP ratios differ; MaeConfig has one mlp_ratio")
    return MaeConfig(
        image_size=config["image_size"],
        patch_size=config["patch_size"],
        in_chans=config["in_chans"],
        embed_dim=encoder["embed_dim"],
        depth=encoder["depth"],
        num_heads=encoder["num_heads"],
        decoder_embed_dim=decoder["embed_dim"],
        decoder_depth=decoder["depth"],
        decoder_num_heads=decoder["num_heads"],
        mlp_ratio=mlp_ratio,
        layer_norm_eps=config["layer_norm_eps"],
        norm_pix_loss=config["norm_pix_loss"],
    )


def graph_weights(path: Path) -> dict:
    """Parameter name (without the export's prefix) -> array, for one exported graph."""
    graph = onnx.load(str(path)).graph  # external data, if any, is read from beside the file
    values = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    for node in graph.node:
        if node.op_type == "Identity" and node.input[0] in values:
            values[node.output[0]] = values[node.input[0]]
    consumers = defaultdict(list)
    for node in graph.node:
        for name in node.input:
            consumers[name].append(node)

    weights = {name[len(PREFIX) :]: value for name, value in values.items() if name.startswith(PREFIX)}

    def put(name, value):
        if name in weights and not np.array_equal(weights[name], value):
            raise OnnxWeightsError(f"{path.name}: two different tensors for {name}")
        weights[name] = value

    for node in graph.node:
        operand = node.input[1] if len(node.input) > 1 else None
        if node.op_type == "MatMul" and operand in values and not operand.startswith(PREFIX):
            biases = [
                name
                for add in consumers[node.output[0]]
                if add.op_type == "Add"
                for name in add.input
                if name.startswith(PREFIX) and name.endswith(".bias")
            ]
            if len(biases) != 1:
                raise OnnxWeightsError(f"{path.name}: cannot tell which layer {operand} belongs to")
            put(biases[0][len(PREFIX) : -len(".bias")] + ".weight", values[operand].T)
        elif node.op_type == "Expand" and node.input[0] in values and not node.input[0].startswith(PREFIX):
            put("cls_token", values[node.input[0]])  # cls + pos_embed[:, :1], whose row is zero
        elif node.op_type == "Gather" and node.input[0] in values and not node.input[0].startswith(PREFIX):
            table = values[node.input[0]]  # pos_embed[0, 1:]
            put("pos_embed", np.concatenate([np.zeros_like(table[:1]), table])[None])
    return weights


def load_model(folder: Path) -> MaskedAutoencoder:
    """The model of `folder` (config.json + the full encoder/decoder graphs), in eval mode."""
    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text())
    model = MaskedAutoencoder(config_from_json(config))
    state = {}
    for part in ("encoder", "decoder"):
        state.update(graph_weights(folder / config["files"][part]["path"]))
    # The patch projection is a convolution in the model: [D, P*P*C] over (p, q, c) -> [D, C, P, P].
    projection = state.pop("patch_embed.proj.weight")
    cfg = model.cfg
    state["patch_embed.proj.weight"] = projection.reshape(
        cfg.embed_dim, cfg.patch_size, cfg.patch_size, cfg.in_chans
    ).transpose(0, 3, 1, 2)
    expected = model.state_dict()
    missing, unknown = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or unknown:
        raise OnnxWeightsError(f"{folder}: missing {missing}, unknown {unknown}")
    for name, value in state.items():
        if tuple(value.shape) != tuple(expected[name].shape):
            raise OnnxWeightsError(
                f"{folder}: {name} has shape {value.shape}, " f"the model {tuple(expected[name].shape)}"
            )
    model.load_state_dict({name: torch.from_numpy(np.array(v)) for name, v in state.items()})
    return model.eval()
