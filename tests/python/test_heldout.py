"""mae/heldout.py: the training's held-out score uses the eval's masks, fills and metric."""

import sys
import unittest
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
from mae.heldout import diffusion_fills, masked_psnr, mean_colour_fill, mulberry32_noise, random_masking  # noqa: E402


class MaskTest(unittest.TestCase):
    def test_noise_and_masks_match_masking_ts(self):
        # Values printed by src/mae/masking.ts uniformNoise / randomMasking for the same seeds.
        np.testing.assert_array_equal(mulberry32_noise(4, 0), np.array(
            [0.26642918586730957, 0.00032973289489746094, 0.22327202558517456, 0.14620214700698853], np.float32))
        np.testing.assert_array_equal(mulberry32_noise(3, 4294967295), np.array(
            [0.8964225649833679, 0.18947821855545044, 0.7156526446342468], np.float32))
        ids_keep, ids_restore, mask = random_masking(16, 0.75, 7)
        self.assertEqual(ids_keep.tolist(), [0, 1, 11, 14])
        self.assertEqual(mask.tolist(), [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 1])
        self.assertEqual(np.argsort(ids_restore).tolist()[:4], ids_keep.tolist())


class FillTest(unittest.TestCase):
    def setUp(self):
        size, self.patch = 16, 4
        ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
        ramp = (10 * xs + 3 * ys).double()  # a linear ramp
        self.truth = torch.stack([ramp, 255 - ramp, torch.full_like(ramp, 40.0)])[None]  # [1, 3, S, S]
        self.mask = torch.tensor([[0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0]])  # corners visible

    def test_visible_pixels_stay_and_diffusion_improves_then_settles(self):
        fills = diffusion_fills(self.truth, self.mask, self.patch, [0, 200, 3000])
        visible = ~self.mask.bool().view(4, 4).repeat_interleave(4, 0).repeat_interleave(4, 1)
        for fill in fills.values():
            self.assertTrue(torch.equal(fill[0][:, visible], self.truth[0][:, visible]))
        psnr = [masked_psnr(self.truth, fills[n], self.mask, self.patch).item() for n in (0, 200, 3000)]
        self.assertLess(psnr[0], psnr[1])
        self.assertAlmostEqual(psnr[1], psnr[2], delta=0.01)  # settled (edges replicated: not the ramp itself)

    def test_first_fill_is_inverse_distance_squared_of_patch_means(self):
        fill = diffusion_fills(self.truth, self.mask, self.patch, [0])[0]
        means = {l: self.truth[0, :, (l // 4) * 4:(l // 4) * 4 + 4, (l % 4) * 4:(l % 4) * 4 + 4].mean(dim=(1, 2))
                 for l in (0, 3, 12, 15)}
        weights = {v: 1 / ((v // 4 - 1) ** 2 + (v % 4 - 1) ** 2) for v in means}  # to patch 5 at (1, 1)
        expected = sum(weights[v] * means[v] for v in means) / sum(weights.values())
        torch.testing.assert_close(fill[0, :, 4, 4], expected)

    def test_mean_fill_and_psnr(self):
        fill = mean_colour_fill(self.truth, self.mask, self.patch)
        visible = ~self.mask.bool().view(4, 4).repeat_interleave(4, 0).repeat_interleave(4, 1)
        torch.testing.assert_close(fill[0, :, 5, 5], self.truth[0][:, visible].mean(dim=1))
        self.assertEqual(masked_psnr(self.truth, self.truth + 0.0, self.mask, self.patch).item(), float("inf"))
        # Off by 255/100 everywhere (after clipping to [0, 255]): PSNR 40 dB.
        shifted = (self.truth + 2.55).clamp(max=255)
        self.assertAlmostEqual(masked_psnr(self.truth[:, 2:], shifted[:, 2:], self.mask, self.patch).item(), 40, 6)


if __name__ == "__main__":
    unittest.main()
