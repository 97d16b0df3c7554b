"""PyTorch model and loaders against the upstream fixture.

Run from the repository root: /usr/bin/python3 -m unittest discover -s tests/python -t .
"""

import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch

from scripts.mae.loaders import CheckpointError, hf_to_meta, load_checkpoint, read_safetensors
from scripts.mae.model import MaeConfig, MaskedAutoencoder, sincos_pos_embed
from scripts.mae.onnx_weights import load_model

REPO = Path(__file__).resolve().parents[2]

FIXTURE = REPO / "tests" / "fixtures" / "mae-tiny-reference"
EXPORTED = REPO / "tests" / "fixtures" / "onnx" / "official"  # built by `npm run fixtures`


def fixture(name):
    return torch.from_numpy(np.load(FIXTURE / name))


class ReferenceTest(unittest.TestCase):
    def check_r75(self, model):
        target = model.patchify(fixture("image_nchw.npy"))
        self.assertTrue(torch.equal(target, fixture("target_patchified.npy")))
        ids_keep, ids_restore = fixture("r75_ids_keep.npy"), fixture("r75_ids_restore.npy")
        visible = torch.gather(target, 1, ids_keep[..., None].expand(-1, -1, target.shape[2]))
        self.assertTrue(torch.equal(visible, fixture("r75_visible_patches.npy")))
        with torch.no_grad():
            latent, attentions = model.forward_encoder(visible, ids_keep)
            pred, pred_per_layer = model.forward_decoder(latent, ids_restore)
        self.assertLess((latent - fixture("r75_latent.npy")).abs().max().item(), 1e-5)
        self.assertLess((pred - fixture("r75_pred.npy")).abs().max().item(), 1e-5)
        self.assertEqual(tuple(attentions.shape), (1, 3, 3, 50, 50))
        self.assertTrue(torch.allclose(attentions.sum(-1), torch.ones(1, 3, 3, 50), atol=1e-5))
        self.assertTrue(torch.equal(pred_per_layer[:, -1], pred))
        self.assertTrue(torch.equal(model.unpatchify(fixture("r75_pred.npy")), fixture("recon_nchw.npy")))

    def test_meta_checkpoint(self):
        model, source = load_checkpoint(str(FIXTURE / "official" / "checkpoint.pth"))
        self.assertEqual(source["format"], "meta")
        self.assertEqual((model.cfg.num_heads, model.cfg.decoder_num_heads, model.cfg.depth), (3, 4, 3))
        self.check_r75(model)

    def test_hf_folder_bin_and_safetensors(self):
        for path in ("hf", "hf/pytorch_model.bin", "hf/model.safetensors"):
            with self.subTest(path=path):
                model, source = load_checkpoint(str(FIXTURE / path))
                self.assertEqual(source["format"], "hf")
                self.check_r75(model)

    def test_model_rebuilt_from_onnx_has_the_checkpoint_weights(self):
        if not (EXPORTED / "config.json").exists():
            self.skipTest("run `npm run fixtures` first")
        rebuilt = load_model(EXPORTED).state_dict()
        original, _ = load_checkpoint(str(FIXTURE / "official" / "checkpoint.pth"))
        for name, value in original.state_dict().items():
            self.assertTrue(torch.equal(rebuilt[name], value), name)
        self.assertEqual(set(rebuilt), set(original.state_dict()))

    def test_decoder_without_per_layer_predictions(self):
        model, _ = load_checkpoint(str(FIXTURE / "official" / "checkpoint.pth"))
        latent = fixture("r75_latent.npy")
        with torch.no_grad():
            pred, per_layer = model.forward_decoder(latent, fixture("r75_ids_restore.npy"), per_layer=False)
        self.assertIsNone(per_layer)
        self.assertLess((pred - fixture("r75_pred.npy")).abs().max().item(), 1e-5)

    def test_safetensors_reader_matches_torch_bin(self):
        from_safetensors = read_safetensors(FIXTURE / "hf" / "model.safetensors")
        from_bin = torch.load(FIXTURE / "hf" / "pytorch_model.bin", map_location="cpu")
        self.assertEqual(set(from_safetensors), set(from_bin))
        for key, value in from_bin.items():
            self.assertTrue(torch.equal(from_safetensors[key], value), key)

    def test_sincos_table_matches_checkpoint(self):
        state = torch.load(FIXTURE / "official" / "checkpoint.pth", map_location="cpu")["model"]
        self.assertLess((sincos_pos_embed(192, 14) - state["pos_embed"]).abs().max().item(), 1e-6)
        self.assertLess((sincos_pos_embed(128, 14) - state["decoder_pos_embed"]).abs().max().item(), 1e-6)

    def test_missing_and_unknown_keys_are_named(self):
        state = torch.load(FIXTURE / "official" / "checkpoint.pth", map_location="cpu")["model"]
        with tempfile.TemporaryDirectory() as tmp:
            broken = dict(state)
            del broken["blocks.1.attn.proj.bias"]
            path = Path(tmp) / "broken.pth"
            torch.save({"model": broken, "config": {"num_heads": 3, "decoder_num_heads": 4}}, path)
            with self.assertRaisesRegex(CheckpointError, r"missing key 'blocks\.1\.attn\.proj\.bias'"):
                load_checkpoint(str(path))
            extra = dict(state, **{"blocks.0.attn.rel_pos": torch.zeros(3)})
            torch.save({"model": extra, "config": {"num_heads": 3, "decoder_num_heads": 4}}, path)
            with self.assertRaisesRegex(CheckpointError, r"unknown key 'blocks\.0\.attn\.rel_pos'"):
                load_checkpoint(str(path))
        with self.assertRaisesRegex(
            CheckpointError, r"unknown Hugging Face key 'vit\.pooler\.dense\.weight'"
        ):
            hf_to_meta({"vit.pooler.dense.weight": torch.zeros(1)})

    def test_heads_cannot_be_guessed_for_unknown_width(self):
        model = MaskedAutoencoder(
            MaeConfig(
                embed_dim=96, depth=1, num_heads=2, decoder_embed_dim=64, decoder_depth=1, decoder_num_heads=2
            )
        )
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "odd.pth"
            torch.save({"model": model.state_dict()}, path)
            with self.assertRaisesRegex(CheckpointError, "cannot infer num_heads"):
                load_checkpoint(str(path))

    def test_all_masked_and_nothing_masked(self):
        model, _ = load_checkpoint(str(FIXTURE / "official" / "checkpoint.pth"))
        for keep in (0, 196):
            ids_shuffle = torch.randperm(196).unsqueeze(0)
            ids_keep, ids_restore = ids_shuffle[:, :keep], torch.argsort(ids_shuffle, dim=1)
            with torch.no_grad():
                latent, attentions = model.forward_encoder(torch.randn(1, keep, 768), ids_keep)
                pred, _ = model.forward_decoder(latent, ids_restore)
            self.assertEqual(tuple(latent.shape), (1, keep + 1, 192))
            self.assertEqual(tuple(attentions.shape), (1, 3, 3, keep + 1, keep + 1))
            self.assertEqual(tuple(pred.shape), (1, 196, 768))
            self.assertTrue(torch.isfinite(pred).all())

    def test_window_training_step_uses_window_positions(self):
        torch.manual_seed(0)
        cfg = MaeConfig(
            embed_dim=64, depth=1, num_heads=2, decoder_embed_dim=32, decoder_depth=1, decoder_num_heads=2
        )
        model = MaskedAutoencoder(cfg)
        positions = torch.tensor([r * 14 + c for r in range(3, 10) for c in range(5, 12)])
        loss = model.loss(torch.randn(2, 3, 112, 112), 0.75, positions)
        loss.backward()
        self.assertTrue(torch.isfinite(loss))
        self.assertIsNotNone(model.blocks[0].attn.qkv.weight.grad)


if __name__ == "__main__":
    unittest.main()
