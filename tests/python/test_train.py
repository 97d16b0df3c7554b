"""scripts/train.py: the held-out split is one whole package, reserved photos are refused, the loss kinds."""

import unittest
from pathlib import Path

import torch

from scripts.mae.model import MaeConfig, MaskedAutoencoder
from scripts.train import (
    set_encoder_trainable,
    split_by_package,
    training_loss,
    with_added_decoder_blocks,
    with_new_decoder,
)


def row(package, path="/usr/share/x.jpg"):
    return {"package": package, "path_in_package": path}


class SplitTest(unittest.TestCase):
    paths = [Path("a-1.jpg"), Path("b-1.jpg"), Path("a-2.jpg")]
    photos = ["A1", "B1", "A2"]

    def test_holds_out_the_whole_package(self):
        manifest = {"a-1.jpg": row("a"), "b-1.jpg": row("b"), "a-2.jpg": row("a")}
        train, held = split_by_package(self.paths, self.photos, manifest, "a")
        self.assertEqual([p.name for p, _ in held], ["a-1.jpg", "a-2.jpg"])
        self.assertEqual([p.name for p, _ in train], ["b-1.jpg"])

    def test_refuses_reserved_photos_unknown_files_and_an_absent_package(self):
        reserved = {"a-1.jpg": row("a"), "b-1.jpg": row("palapeli-data"), "a-2.jpg": row("a")}
        details = {
            **reserved,
            "b-1.jpg": row("gcompris-qt-data", "x.rcc :/gcompris/src/activities/details/resource/y.jpg"),
        }
        for manifest in (reserved, details, {"a-1.jpg": row("a")}):
            with self.assertRaises(SystemExit):
                split_by_package(self.paths, self.photos, manifest, "a")
        with self.assertRaises(SystemExit):
            split_by_package(self.paths, self.photos, {p.name: row("b") for p in self.paths}, "a")


class LossTest(unittest.TestCase):
    def test_log_mse_is_the_mean_log_of_each_images_masked_mse(self):
        cfg = MaeConfig(
            embed_dim=32, depth=1, num_heads=2, decoder_embed_dim=16, decoder_depth=1, decoder_num_heads=2
        )
        model = MaskedAutoencoder(cfg)
        imgs = torch.randn(3, 3, 224, 224)
        torch.manual_seed(1)
        per_image = model.loss_per_image(imgs, 0.75)
        torch.manual_seed(1)
        loss, mse = training_loss(model, imgs, 0.75, "log-mse")
        torch.testing.assert_close(loss, per_image.log().mean())
        torch.testing.assert_close(mse, per_image.mean())
        torch.manual_seed(1)
        plain, _ = training_loss(model, imgs, 0.75, "mse")
        torch.manual_seed(1)
        torch.testing.assert_close(plain, model.loss(imgs, 0.75))


class NewDecoderTest(unittest.TestCase):
    def test_keeps_the_encoder_and_builds_a_decoder_of_the_new_size(self):
        small = MaeConfig(
            embed_dim=32, depth=1, num_heads=2, decoder_embed_dim=16, decoder_depth=1, decoder_num_heads=2
        )
        wide = MaeConfig(decoder_embed_dim=24, decoder_depth=2, decoder_num_heads=3)
        model = MaskedAutoencoder(small)
        grown = with_new_decoder(model, wide)
        self.assertEqual(
            (grown.cfg.embed_dim, grown.cfg.decoder_embed_dim, grown.cfg.decoder_depth), (32, 24, 2)
        )
        for name, value in model.state_dict().items():
            if not name.startswith(("decoder", "mask_token")):
                self.assertTrue(torch.equal(grown.state_dict()[name], value), name)
        set_encoder_trainable(grown, False)
        frozen = {n for n, p in grown.named_parameters() if not p.requires_grad}
        self.assertIn("blocks.0.attn.qkv.weight", frozen)
        self.assertNotIn("decoder_blocks.0.attn.qkv.weight", frozen)
        self.assertNotIn("mask_token", frozen)


class AddedDecoderBlocksTest(unittest.TestCase):
    def test_new_blocks_start_as_the_identity_and_then_learn(self):
        cfg = MaeConfig(
            embed_dim=32, depth=1, num_heads=2, decoder_embed_dim=16, decoder_depth=1, decoder_num_heads=2
        )
        model = MaskedAutoencoder(cfg).eval()
        for param in model.parameters():  # every weight non-zero, so a block that is not the identity shows
            torch.nn.init.normal_(param, std=0.2)
        grown = with_added_decoder_blocks(model, 2).eval()
        self.assertEqual(grown.cfg.decoder_depth, 3)
        imgs = torch.randn(2, 3, 224, 224)
        torch.manual_seed(5)
        before = model.loss_per_image(imgs, 0.75)
        torch.manual_seed(5)
        after = grown.loss_per_image(imgs, 0.75)
        torch.testing.assert_close(after, before)
        after.mean().backward()
        self.assertGreater(grown.decoder_blocks[2].mlp.fc2.weight.grad.abs().sum().item(), 0)


class TimeBudgetTest(unittest.TestCase):
    """--max-minutes fits the schedule to the budget, and the run ends scored and saved."""

    def test_a_run_with_a_time_budget_ends_scored_with_cpu_weights(self):
        import csv
        import itertools
        import json
        import sys
        import tempfile
        from unittest import mock

        import numpy as np
        from PIL import Image

        from scripts import train

        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "train").mkdir()
            rng = np.random.default_rng(0)
            with open(root / "manifest.csv", "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=["file", "package", "path_in_package"])
                writer.writeheader()
                for package, count in (("a", 3), ("b", 2)):
                    for i in range(count):
                        name = f"{package}-{i}.png"
                        pixels = rng.integers(0, 256, (240, 260, 3), dtype=np.uint8)
                        Image.fromarray(pixels).save(root / "train" / name)
                        writer.writerow(
                            {"file": f"train/{name}", "package": package, "path_in_package": "/x"}
                        )
            out = root / "run"
            argv = ["train", "--data", str(root / "train"), "--out", str(out), "--device", "cpu"]
            argv += ["--holdout-package", "b", "--window-steps", "0", "--full-steps", "100000"]
            argv += ["--full-batch", "2", "--embed-dim", "32", "--depth", "1", "--num-heads", "2"]
            argv += ["--decoder-embed-dim", "16", "--decoder-depth", "1", "--decoder-num-heads", "2"]
            argv += ["--max-minutes", "0.1", "--eval-every", "100000", "--log-every", "10"]
            # A clock that advances 50 ms each time it is read: the same steps on any machine.
            clock = itertools.count(0, 0.05)
            with (
                mock.patch.object(sys, "argv", argv),
                mock.patch("builtins.print"),
                mock.patch.object(train.time, "time", lambda: next(clock)),
            ):
                train.main()
            log = json.loads((out / "train_log.json").read_text())
            # 6 s of that clock is far fewer steps than the 100000 asked for, and more than the timed ones.
            self.assertGreaterEqual(log["total_steps_in_time"], train.TIMING_STEPS + 1)
            self.assertLess(log["total_steps_in_time"], 100000)
            self.assertEqual([entry["step"] for entry in log["held_out"]], [log["total_steps_in_time"]])
            best = torch.load(out / "best.pth")
            self.assertTrue(all(value.device.type == "cpu" for value in best["model"].values()))
            self.assertEqual(best["train"]["held_out_package"], "b")


if __name__ == "__main__":
    unittest.main()
