"""The --fused-ops export (scripts/mae/fuse_onnx.py) on the upstream fixture: every block fused,
the full graphs untouched, and the lean graphs within 1e-4 of PyTorch (which matches upstream)."""

import collections
import tempfile
import unittest
from pathlib import Path

import onnx

from scripts.export_onnx import export, verify
from scripts.mae.loaders import load_checkpoint

REPO = Path(__file__).resolve().parents[2]

CHECKPOINT = REPO / "tests" / "fixtures" / "mae-tiny-reference" / "official" / "checkpoint.pth"


def op_counts(path: Path) -> collections.Counter:
    graph = onnx.load(str(path), load_external_data=False).graph
    return collections.Counter(node.op_type for node in graph.node)


class FusedOpsTest(unittest.TestCase):
    def test_fixture_export_with_fused_ops(self):
        model, source = load_checkpoint(str(CHECKPOINT))
        cfg = model.cfg
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            export(model, out, "fused", source, 17, fused_ops=True)
            encoder, decoder = op_counts(out / "encoder.lean.onnx"), op_counts(out / "decoder.lean.onnx")
            # Every block: one Attention, one BiasGelu; every LayerNorm after a residual sum is skip-fused.
            self.assertEqual((encoder["Attention"], encoder["BiasGelu"]), (cfg.depth, cfg.depth))
            self.assertEqual(
                (decoder["Attention"], decoder["BiasGelu"]), (cfg.decoder_depth, cfg.decoder_depth)
            )
            self.assertEqual(encoder["SkipLayerNormalization"], 2 * cfg.depth)
            self.assertEqual(encoder["Softmax"] + encoder["Erf"] + decoder["Softmax"] + decoder["Erf"], 0)
            # The contract's graphs keep the plain operators: Attention gives no probabilities.
            self.assertEqual(op_counts(out / "encoder.onnx")["Attention"], 0)
            self.assertEqual(op_counts(out / "encoder.onnx")["Softmax"], cfg.depth)
            self.assertLessEqual(verify(model, out, 1e-4), 1e-4)


if __name__ == "__main__":
    unittest.main()
