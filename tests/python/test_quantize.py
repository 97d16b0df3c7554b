"""scripts/quantize_onnx.py: the packing, the error bounds and the rewritten graphs.

Whether onnxruntime runs the quantised graphs, and how close they come to fp32, is tested in
TypeScript (tests/model/quantized.test.ts): Debian has no onnxruntime for Python.
"""

import json
import shutil
import tempfile
import unittest
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from scripts.quantize_onnx import (
    PAIR_SUM_LIMIT,
    QuantizeError,
    dequantize_int4_blocks,
    int8_pairs_fit_int16,
    quantize_folder,
    quantize_int4_blocks,
    quantize_int8_columns,
)

REPO = Path(__file__).resolve().parents[2]

EXPORTED = REPO / "tests" / "fixtures" / "onnx" / "official"  # built by `npm run fixtures`
BUNDLED_INT8 = REPO / "tests" / "fixtures" / "onnx" / "mae-small-int8"  # likewise


def int8_weights(folder: Path):
    """Name -> int8 [K, N] weight of every DynamicQuantizeMatMul in a quantised folder's graphs."""
    found = {}
    for key in ("encoder", "decoder"):
        graph = onnx.load(str(folder / f"{key}.onnx")).graph
        inits = {init.name: init for init in graph.initializer}
        for node in graph.node:
            if node.op_type == "DynamicQuantizeMatMul":
                found[f"{key}:{node.input[1]}"] = numpy_helper.to_array(inits[node.input[1]])
    return found


def saturating(weights: dict) -> list:
    """The weights that could overflow int16 in onnxruntime's AVX2 kernel, whatever this CPU is."""
    return [name for name, q in weights.items() if q.dtype != np.int8 or not int8_pairs_fit_int16(q)]


class PackingTest(unittest.TestCase):
    def test_int8_columns_error_is_at_most_half_a_step(self):
        weight = np.random.default_rng(0).normal(size=(96, 40)).astype(np.float32)
        weight[:, 3] = 0  # an all-zero column must not divide by zero
        q, scale = quantize_int8_columns(weight)
        self.assertEqual((q.dtype, q.shape, scale.shape), (np.int8, (96, 40), (40,)))
        self.assertLessEqual(np.abs(q).max(), 127)
        error = np.abs(q * scale - weight)
        self.assertTrue(np.all(error <= scale / 2 + 1e-7))
        self.assertTrue(np.all(q[:, 3] == 0))
        self.assertTrue(int8_pairs_fit_int16(q))

    def test_pair_check_is_the_int16_bound(self):
        # 255 * 128 = 32640 fits int16, 255 * 129 = 32895 does not; mixed signs never overflow.
        fits = lambda *column: int8_pairs_fit_int16(np.array(column, np.int8)[:, None])  # noqa: E731
        self.assertEqual(PAIR_SUM_LIMIT, 128)
        self.assertTrue(fits(64, 64) and fits(-64, -64) and fits(127, 1) and fits(127, -127, 127))
        self.assertFalse(fits(65, 64) or fits(-64, -65) or fits(127, 127))
        # Any neighbours, not only rows 2i and 2i + 1, and the last row of an odd K.
        self.assertFalse(fits(0, 100, 100))
        self.assertFalse(fits(0, 0, 0, 0, 100, 100, 0))

    def test_int8_neighbours_of_the_same_sign_fit_int16(self):
        # The worst case for the AVX2 kernel: the largest weights next to each other, of both signs.
        weight = np.random.default_rng(2).normal(size=(97, 16)).astype(np.float32)
        weight[10:12, 0], weight[40:42, 1], weight[95:97, 2] = 9.0, -9.0, 9.0
        q, scale = quantize_int8_columns(weight)
        self.assertTrue(int8_pairs_fit_int16(q))
        # The pair's sum 18 maps to 127: each 9 to 63.5, rounded either way.
        self.assertTrue(np.all(np.isin(np.abs(q[[10, 11, 40, 41, 95, 96], [0, 0, 1, 1, 2, 2]]), (63, 64))))
        # A pair sums to at most twice its larger value, so no column is coarser than 7 bits.
        self.assertGreaterEqual(np.abs(q).max(axis=0).min(), 63)
        self.assertTrue(np.all(np.abs(q * scale - weight) <= scale / 2 + 1e-6))

    def test_int4_layout_is_matmulnbits(self):
        # K = 4 in one block of 16 (zero-padded), N = 1: codes are value/scale + 8, low nibble
        # first; the largest magnitude (-8 here) maps to code 0, so the scale is 1.
        weight = np.array([[-8.0], [7.0], [1.0], [0.0]], dtype=np.float32)
        packed, scale = quantize_int4_blocks(weight, 16)
        self.assertEqual(packed.shape, (1, 1, 8))
        np.testing.assert_array_equal(scale, [1.0])
        self.assertEqual(packed[0, 0, 0], 0 | (15 << 4))
        self.assertEqual(packed[0, 0, 1], 9 | (8 << 4))
        # A positive extreme gives a negative scale: 8 -> code 0 again, -7 -> 15.
        packed, scale = quantize_int4_blocks(-weight, 16)
        np.testing.assert_array_equal(scale, [-1.0])
        self.assertEqual(packed[0, 0, 0], 0 | (15 << 4))
        self.assertTrue(np.all(packed[0, 0, 2:] == 8 | (8 << 4)))

    def test_int4_round_trip_with_padding(self):
        weight = np.random.default_rng(1).normal(size=(70, 24)).astype(np.float32)
        packed, scale = quantize_int4_blocks(weight, 32)
        self.assertEqual((packed.shape, scale.shape), ((24, 3, 16), (24 * 3,)))
        restored = dequantize_int4_blocks(packed, scale, 70)
        self.assertEqual(restored.shape, weight.shape)
        per_value_scale = np.repeat(scale.reshape(24, 3), 32, axis=1)[:, :70].T
        # Half a step, except values of the extreme's other sign beyond 7.5 steps: clipped to 7.
        error, step = np.abs(restored - weight), np.abs(per_value_scale)
        self.assertTrue(np.all(error <= step + 1e-6))
        self.assertGreater(np.mean(error <= step / 2 + 1e-6), 0.99)


@unittest.skipUnless((EXPORTED / "config.json").exists(), "run `npm run fixtures` first")
class FolderTest(unittest.TestCase):
    def quantize(self, mode):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        out = Path(tmp.name) / mode
        return out, quantize_folder(EXPORTED, out, mode)

    def test_the_fp32_evaluation_is_not_carried_over(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        source = Path(tmp.name) / "fp32"
        shutil.copytree(EXPORTED, source)
        config = json.loads((source / "config.json").read_text())
        config["evaluation"] = {"data": "photos", "model_psnr": 17.6}
        (source / "config.json").write_text(json.dumps(config))
        self.assertNotIn("evaluation", quantize_folder(source, Path(tmp.name) / "int8", "int8"))

    def ops(self, path):
        return [node.op_type for node in onnx.load(str(path), load_external_data=False).graph.node]

    def check_folder(self, mode, op):
        out, config = self.quantize(mode)
        source = json.loads((EXPORTED / "config.json").read_text())
        for key in source:
            if key not in ("name", "files"):
                self.assertEqual(config[key], source[key], key)
        self.assertEqual(config["quantization"]["mode"], mode)
        self.assertEqual(json.loads((out / "config.json").read_text()), config)
        # Tiny fixture: 3 encoder blocks and 2 decoder blocks of 4 matrices each, the patch
        # projection, the decoder embedding and the prediction head.
        self.assertEqual(config["quantization"]["matrices"], 3 * 4 + 2 * 4 + 3)
        for key in ("encoder", "decoder"):
            ops = self.ops(out / f"{key}.onnx")
            self.assertIn(op, ops)
            # The lean graph holds no weights of its own: they point into the quantised full file.
            lean = onnx.load(str(out / f"{key}.lean.onnx"), load_external_data=False)
            locations = {
                entry.value
                for init in lean.graph.initializer
                for entry in init.external_data
                if entry.key == "location"
            }
            self.assertEqual(locations, {f"{key}.onnx"})
            self.assertIn(op, [node.op_type for node in lean.graph.node])
        # The position tables and tokens stay fp32: at this tiny size they weigh more than at base.
        size = lambda files: files["encoder"]["bytes"] + files["decoder"]["bytes"]  # noqa: E731
        self.assertLess(size(config["files"]), size(source["files"]) / 2.5)
        # Only the attention products stay plain MatMul (2 per block), with no weight operand.
        self.assertEqual(self.ops(out / "encoder.onnx").count("MatMul"), 3 * 2)
        return out, config

    def test_int8_uses_dynamic_quantize_matmul(self):
        out, config = self.check_folder("int8", "DynamicQuantizeMatMul")
        self.assertEqual(config["quantization"]["pair_sum_limit"], PAIR_SUM_LIMIT)
        weights = int8_weights(out)
        self.assertEqual(len(weights), config["quantization"]["matrices"])
        self.assertEqual(saturating(weights), [])

    def test_int4_uses_matmulnbits_and_records_the_block_size(self):
        out, config = self.check_folder("int4", "MatMulNBits")
        self.assertEqual(config["quantization"]["block_size"], 32)
        encoder = onnx.load(str(out / "encoder.onnx"))
        inits = {init.name: numpy_helper.to_array(init) for init in encoder.graph.initializer}
        node = next(n for n in encoder.graph.node if n.op_type == "MatMulNBits")
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        self.assertEqual((attrs["bits"], attrs["block_size"]), (4, 32))
        self.assertEqual(inits[node.input[1]].shape, (attrs["N"], -(-attrs["K"] // 32), 16))

    def test_refuses_a_quantised_source_and_its_own_folder(self):
        out, _ = self.quantize("int8")
        with self.assertRaisesRegex(QuantizeError, "already quantised"):
            quantize_folder(out, out.parent / "again", "int4")
        with self.assertRaisesRegex(QuantizeError, "another folder"):
            quantize_folder(EXPORTED, EXPORTED, "int8")
        with self.assertRaisesRegex(QuantizeError, "block size"):
            quantize_folder(EXPORTED, out.parent / "odd", "int4", block_size=24)


@unittest.skipUnless((BUNDLED_INT8 / "config.json").exists(), "run `npm run fixtures` first")
class BundledInt8Test(unittest.TestCase):
    def test_no_weight_pair_can_saturate_an_avx2_cpu(self):
        # The int8 model tests/model/quantized.test.ts runs: its accuracy there holds on every x86
        # CPU only if no CPU's kernel saturates, which the weights alone decide (issue 11).
        weights = int8_weights(BUNDLED_INT8)
        self.assertEqual(
            len(weights), json.loads((BUNDLED_INT8 / "config.json").read_text())["quantization"]["matrices"]
        )
        self.assertEqual(saturating(weights), [])


if __name__ == "__main__":
    unittest.main()
