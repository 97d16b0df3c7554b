"""mae/heldout.py: the training's held-out score uses the eval's masks and metric."""

import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from scripts.mae.heldout import HeldOut, eval_baselines, masked_psnr, mulberry32_noise, random_masking
from scripts.mae.model import MaeConfig, MaskedAutoencoder


class MaskTest(unittest.TestCase):
    def test_noise_and_masks_match_masking_ts(self):
        # Values printed by src/mae/masking.ts uniformNoise / randomMasking for the same seeds.
        np.testing.assert_array_equal(
            mulberry32_noise(4, 0),
            np.array(
                [0.26642918586730957, 0.00032973289489746094, 0.22327202558517456, 0.14620214700698853],
                np.float32,
            ),
        )
        np.testing.assert_array_equal(
            mulberry32_noise(3, 4294967295),
            np.array([0.8964225649833679, 0.18947821855545044, 0.7156526446342468], np.float32),
        )
        ids_keep, ids_restore, mask = random_masking(16, 0.75, 7)
        self.assertEqual(ids_keep.tolist(), [0, 1, 11, 14])
        self.assertEqual(mask.tolist(), [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 1])
        self.assertEqual(np.argsort(ids_restore).tolist()[:4], ids_keep.tolist())


class ScoreTest(unittest.TestCase):
    def test_masked_psnr_counts_removed_patches_only_after_clipping(self):
        truth = torch.full((1, 3, 8, 8), 100.0, dtype=torch.float64)
        mask = torch.tensor([[0, 1, 1, 1]])  # 2 x 2 patches of 4 px; the top-left one is visible
        filled = truth.clone()
        filled[..., :4, :4] = 0  # a wrong visible patch does not count
        self.assertEqual(masked_psnr(truth, filled, mask, 4).item(), float("inf"))
        filled[..., 4:, 4:] = 1000  # clipped to 255: error 155 on one of three removed patches
        expected = 10 * np.log10(255**2 / (155**2 / 3))
        self.assertAlmostEqual(masked_psnr(truth, filled, mask, 4).item(), expected, 9)

    def test_scores_a_model_and_counts_wins_against_the_eval_baselines(self):
        cfg = MaeConfig(
            embed_dim=32, depth=1, num_heads=2, decoder_embed_dim=16, decoder_depth=1, decoder_num_heads=2
        )
        torch.manual_seed(0)
        model = MaskedAutoencoder(cfg).train()
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for index, colour in enumerate([(200, 30, 30), (20, 180, 60)]):
                paths.append(Path(tmp) / f"photo{index}.png")
                Image.new("RGB", (300, 240), colour).save(paths[-1])
            report = {
                "images": [
                    {
                        "image": p.name,
                        "model_psnr": 0,
                        "mean_fill_psnr": 5.0,
                        "interpolation_psnr": 99.0,
                        "diffusion_psnr": {"diffusion:1000": 99.0},
                    }
                    for p in paths
                ]
            }
            heldout = HeldOut(
                paths, 224, 16, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], baselines=eval_baselines(report)
            )
            scores = heldout.evaluate(model)
        self.assertTrue(model.training)  # evaluation leaves the mode as it found it
        self.assertEqual(sorted(scores.per_image), ["photo0.png", "photo1.png"])
        self.assertAlmostEqual(scores.model_psnr, float(np.mean(list(scores.per_image.values()))), 9)
        self.assertEqual(scores.baselines, {"mean_fill": 5.0, "interpolation": 99.0, "diffusion:1000": 99.0})
        self.assertEqual(scores.wins, {"mean_fill": 2, "interpolation": 0, "diffusion:1000": 0})


if __name__ == "__main__":
    unittest.main()
