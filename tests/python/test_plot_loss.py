"""plot_loss.py: the held-out panel draws the baselines a run logged, or those of an eval report."""

import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path


class PlotLossTest(unittest.TestCase):
    def plot(self, folder, logged_baselines, *extra):
        log = {
            "steps": [{"step": s, "phase": "full", "loss": 0.3 - s * 1e-4} for s in range(50, 550, 50)],
            "validation": [],
            "held_out": [{"step": 100, "weights": w, "psnr": 17.0} for w in ("weights", "ema")],
            "held_out_start": {"psnr": 16.9, "baselines": logged_baselines},
        }
        (folder / "log.json").write_text(json.dumps(log))
        svg = folder / "out.svg"
        subprocess.run(
            [sys.executable, "-m", "scripts.plot_loss", str(svg), str(folder / "log.json"), *extra],
            check=True,
        )
        return svg.read_text()

    def test_logged_baselines(self):
        with tempfile.TemporaryDirectory() as tmp:
            svg = self.plot(Path(tmp), {"interpolation": 16.5, "diffusion:1000": 17.1})
        self.assertIn("interpolation (200 rounds) 16.50 dB", svg)
        self.assertIn("converged diffusion 17.10 dB", svg)

    def test_baselines_of_an_eval_report_come_from_its_summary(self):
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "eval.json"
            summary = {
                "model_psnr": 17.4,
                "mean_fill_psnr": 13.0,
                "interpolation_psnr": 16.55,
                "diffusion_psnr": {"diffusion:200": 16.55, "diffusion:1000": 17.05},
            }
            report.write_text(json.dumps({"images": [], "summary": summary}))
            svg = self.plot(
                Path(tmp), {"interpolation": 16.5, "diffusion:1000": 17.1}, "--baselines", str(report)
            )
        self.assertIn("interpolation (200 rounds) 16.55 dB", svg)
        self.assertIn("converged diffusion 17.05 dB", svg)
        self.assertNotIn("16.50 dB", svg)


if __name__ == "__main__":
    unittest.main()
