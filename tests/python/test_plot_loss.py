"""plot_loss.py: the held-out panel draws the baselines a run logged, or those of an eval report."""

import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path


def image(name, interpolation, converged):
    return {
        "image": name,
        "mean_fill_psnr": 10.0,
        "interpolation_psnr": interpolation,
        "diffusion_psnr": {"diffusion:200": interpolation, "diffusion:1000": converged},
    }


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

    def test_baselines_of_an_eval_report_are_their_means_over_images(self):
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "eval.json"
            report.write_text(
                json.dumps({"images": [image("a.jpg", 16.0, 17.0), image("b.jpg", 17.0, 18.0)]})
            )
            svg = self.plot(Path(tmp), {}, "--baselines", str(report))
        self.assertIn("interpolation (200 rounds) 16.50 dB", svg)
        self.assertIn("converged diffusion 17.50 dB", svg)


if __name__ == "__main__":
    unittest.main()
