"""Rewrites an exported lean graph with onnxruntime's com.microsoft fused operators.

Written here rather than with onnxruntime.transformers' optimizer because Debian has no onnxruntime
for Python (docs: shared platform notes); the patterns are the three our own export produces
(scripts/mae/model.py, torch 1.13, opset 17), matched exactly, anything else left as it is:

- Attention: LayerNorm output -> MatMul(qkv) -> Add(bias) -> Reshape [B, S, 3, H, hd] ->
  Transpose -> Gather q/k/v -> q @ k^T * scale -> Softmax -> @ v -> Transpose -> Reshape
  becomes Attention(input, qkv weight, qkv bias) with num_heads and scale.
- SkipLayerNormalization: Add(residual, Add(bias, MatMul)) -> LayerNormalization becomes
  SkipLayerNormalization(residual, MatMul, gamma, beta, bias), its sum output kept when used.
- BiasGelu: Add(bias, MatMul) -> x * 0.5 * (1 + erf(x / sqrt 2)) becomes BiasGelu(MatMul, bias).

Only lean graphs are fused: Attention does not output the attention probabilities the full
graphs must give (docs/model-format.md), so those keep the plain operators.
"""
from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import helper, numpy_helper

MS_DOMAIN = "com.microsoft"


class _Graph:
    def __init__(self, model: onnx.ModelProto):
        self.model = model
        self.graph = model.graph
        self.initializers = {init.name for init in self.graph.initializer}
        self.constants = {
            n.output[0]: numpy_helper.to_array(n.attribute[0].t)
            for n in self.graph.node
            if n.op_type == "Constant" and n.attribute[0].name == "value"
        }
        self.producer = {out: node for node in self.graph.node for out in node.output}
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        for node in self.graph.node:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)
        self.graph_outputs = {o.name for o in self.graph.output}

    def make(self, op, inputs, outputs, name, **attrs):
        return helper.make_node(op, inputs, outputs, name=name, domain=MS_DOMAIN, **attrs)

    def op(self, name: str, op_type: str):
        node = self.producer.get(name)
        return node if node is not None and node.op_type == op_type else None

    def only_consumer(self, name: str, op_type: str):
        users = self.consumers.get(name, [])
        if len(users) == 1 and users[0].op_type == op_type and name not in self.graph_outputs:
            return users[0]
        return None

    def constant(self, name: str):
        return self.constants.get(name)

    def bias_add(self, name: str):
        """(Add node, MatMul node, bias initializer) when `name` is Add(1-D bias, MatMul(x, W))."""
        add = self.op(name, "Add")
        if add is None:
            return None
        for bias, other in ((add.input[0], add.input[1]), (add.input[1], add.input[0])):
            matmul = self.op(other, "MatMul")
            if bias in self.initializers and matmul is not None and matmul.input[1] in self.initializers:
                return add, matmul, bias
        return None


def _fuse_attention(g: _Graph, num_heads: int, replace: dict, remove: set):
    for softmax in [n for n in g.graph.node if n.op_type == "Softmax"]:
        scale_mul = g.op(softmax.input[0], "Mul")
        qk = scale_mul and g.op(scale_mul.input[0], "MatMul")
        scale = scale_mul and g.constant(scale_mul.input[1])
        pv = g.only_consumer(softmax.output[0], "MatMul")
        out_t = pv and g.only_consumer(pv.output[0], "Transpose")
        out_r = out_t and g.only_consumer(out_t.output[0], "Reshape")
        if not (qk and scale is not None and scale.size == 1 and out_r):
            continue
        gather_q = g.op(qk.input[0], "Gather")
        k_t = g.op(qk.input[1], "Transpose")
        gather_k = k_t and g.op(k_t.input[0], "Gather")
        gather_v = g.op(pv.input[1], "Gather")
        heads_t = gather_q and g.op(gather_q.input[0], "Transpose")
        reshape = heads_t and g.op(heads_t.input[0], "Reshape")
        qkv = reshape and g.bias_add(reshape.input[0])
        if not (gather_k and gather_v and qkv) or not all(
            gather.input[0] == heads_t.output[0] for gather in (gather_k, gather_v)
        ):
            continue
        add, matmul, bias = qkv
        fused = g.make(
            "Attention",
            [matmul.input[0], matmul.input[1], bias],
            [out_r.output[0]],
            f"{softmax.name}/Attention",
            num_heads=num_heads,
            scale=float(scale.reshape(-1)[0]),
        )
        replace[out_r.name] = fused
        remove.update(
            n.name
            for n in (
                matmul,
                add,
                reshape,
                heads_t,
                gather_q,
                gather_k,
                gather_v,
                k_t,
                qk,
                scale_mul,
                softmax,
                pv,
                out_t,
            )
        )


def _fuse_skip_layer_norm(g: _Graph, replace: dict, remove: set):
    for norm in [n for n in g.graph.node if n.op_type == "LayerNormalization"]:
        residual_add = g.op(norm.input[0], "Add")
        # Both summands computed, so of the same shape (a constant, like a position embedding, may broadcast).
        if (
            residual_add is None
            or len(norm.input) < 3
            or any(i in g.initializers or i in g.constants for i in residual_add.input)
        ):
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in norm.attribute}
        if attrs.get("axis", -1) != -1:
            continue
        inputs = list(residual_add.input)
        bias = None
        # Add(bias, MatMul) feeding the sum only: its bias goes into the fused node too.
        for i, name in enumerate(inputs):
            found = g.bias_add(name)
            if found and g.consumers.get(name) == [residual_add] and name not in g.graph_outputs:
                add, matmul, bias = found
                inputs[i] = matmul.output[0]
                remove.add(add.name)
                break
        total = residual_add.output[0]
        keep_total = len(g.consumers.get(total, [])) > 1 or total in g.graph_outputs
        outputs = [norm.output[0]] + (["", "", total] if keep_total else [])
        fused = g.make(
            "SkipLayerNormalization",
            [inputs[0], inputs[1], norm.input[1], norm.input[2]] + ([bias] if bias else []),
            outputs,
            f"{norm.name}/Skip",
            epsilon=float(attrs.get("epsilon", 1e-5)),
        )
        replace[norm.name] = fused
        remove.add(residual_add.name)


def _fuse_bias_gelu(g: _Graph, replace: dict, remove: set):
    for erf in [n for n in g.graph.node if n.op_type == "Erf"]:
        div = g.op(erf.input[0], "Div")
        sqrt2 = div and g.constant(div.input[1])
        plus_one = g.only_consumer(erf.output[0], "Add")
        times_x = plus_one and g.only_consumer(plus_one.output[0], "Mul")
        half = times_x and g.only_consumer(times_x.output[0], "Mul")
        if not (div and sqrt2 is not None and half):
            continue
        x = div.input[0]
        one = g.constant(plus_one.input[1])
        halves = g.constant(half.input[1])
        if not (
            np.allclose(sqrt2, math.sqrt(2))
            and one is not None
            and np.allclose(one, 1)
            and halves is not None
            and np.allclose(halves, 0.5)
            and x in times_x.input
        ):
            continue
        found = g.bias_add(x)
        if not found or sorted(n.name for n in g.consumers.get(x, [])) != sorted([div.name, times_x.name]):
            continue
        add, matmul, bias = found
        replace[half.name] = g.make(
            "BiasGelu", [matmul.output[0], bias], [half.output[0]], f"{erf.name}/BiasGelu"
        )
        remove.update(n.name for n in (add, div, erf, plus_one, times_x))


def fuse(model: onnx.ModelProto, num_heads: int) -> tuple[onnx.ModelProto, dict[str, int]]:
    """The graph with the three patterns fused (node count per fused op); dead nodes pruned."""
    counts = {}
    for step in (lambda g, r, d: _fuse_attention(g, num_heads, r, d), _fuse_skip_layer_norm, _fuse_bias_gelu):
        g = _Graph(model)
        replace, remove = {}, set()
        step(g, replace, remove)
        nodes = []
        for node in model.graph.node:
            if node.name in replace:
                nodes.append(replace[node.name])
                counts[replace[node.name].op_type] = counts.get(replace[node.name].op_type, 0) + 1
            elif node.name not in remove:
                nodes.append(node)
        del model.graph.node[:]
        model.graph.node.extend(nodes)
    _prune(model)
    if not any(o.domain == MS_DOMAIN for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid(MS_DOMAIN, 1))
    return model, counts


def _prune(model: onnx.ModelProto):
    """Drops nodes and initializers no output depends on (the fused patterns' shape arithmetic)."""
    graph = model.graph
    needed = {o.name for o in graph.output}
    kept = []
    for node in reversed(graph.node):
        if any(name in needed for name in node.output):
            kept.append(node)
            needed.update(name for name in node.input if name)
    del graph.node[:]
    graph.node.extend(reversed(kept))
    initializers = [init for init in graph.initializer if init.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    values = [v for v in graph.value_info if v.name in needed]
    del graph.value_info[:]
    graph.value_info.extend(values)
