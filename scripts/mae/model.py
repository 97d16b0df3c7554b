"""A compact ViT-MAE with the exact math of facebookresearch/mae `models_mae.py`.

Parameter names are Meta's (``blocks.0.attn.qkv.weight`` ...), so a Meta checkpoint loads with
``load_state_dict`` as is; ``loaders.py`` maps Hugging Face names onto them.

The encoder takes the *visible patches only*, as (p, q, c)-ordered vectors with their patch
indices (``ids_keep``): the caller chooses the mask, so no randomness lives in the graph.
"""

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn


@dataclass
class MaeConfig:
    image_size: int = 224
    patch_size: int = 16
    in_chans: int = 3
    embed_dim: int = 768
    depth: int = 12
    num_heads: int = 12
    decoder_embed_dim: int = 512
    decoder_depth: int = 8
    decoder_num_heads: int = 16
    mlp_ratio: float = 4.0
    layer_norm_eps: float = 1e-6
    norm_pix_loss: bool = False

    @property
    def grid_size(self) -> int:
        return self.image_size // self.patch_size

    @property
    def num_patches(self) -> int:
        return self.grid_size**2

    @property
    def patch_dim(self) -> int:
        return self.patch_size**2 * self.in_chans

    def to_dict(self) -> dict:
        return asdict(self)


# Meta's released sizes (models_mae.py): mae_vit_{base,large,huge}_patch{16,16,14}.
PRESETS = {
    "tiny": MaeConfig(
        embed_dim=192, depth=3, num_heads=3, decoder_embed_dim=128, decoder_depth=2, decoder_num_heads=4
    ),
    "base": MaeConfig(embed_dim=768, depth=12, num_heads=12),
    "large": MaeConfig(embed_dim=1024, depth=24, num_heads=16),
    "huge": MaeConfig(patch_size=14, embed_dim=1280, depth=32, num_heads=16),
}


def sincos_pos_embed(dim: int, grid_size: int) -> torch.Tensor:
    """Fixed 2-D sin-cos table [1, 1+G*G, dim] with a zero cls row, as upstream.

    Upstream's first half encodes the column (x) although its variable is called emb_h.
    """
    quarter = dim // 4
    omega = 1.0 / 10000 ** (np.arange(quarter, dtype=np.float64) / quarter)
    rows, cols = np.meshgrid(np.arange(grid_size), np.arange(grid_size), indexing="ij")
    col_angles = cols.reshape(-1, 1) * omega  # [N, D/4]
    row_angles = rows.reshape(-1, 1) * omega
    table = np.concatenate(
        [np.sin(col_angles), np.cos(col_angles), np.sin(row_angles), np.cos(row_angles)], axis=1
    )
    table = np.concatenate([np.zeros((1, dim)), table], axis=0)
    return torch.from_numpy(table).float().unsqueeze(0)


class Attention(nn.Module):
    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):  # x: [B, T, C]
        B, T, C = x.shape
        qkv = self.qkv(x).reshape(B, T, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # [B, H, T, Dh]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)  # [B, H, T, T]
        out = (attn @ v).transpose(1, 2).reshape(B, T, C)
        return self.proj(out), attn


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()  # exact erf GELU, as timm's default
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm transformer block (timm 0.3.2 `Block` without drop-path)."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float, eps: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        attn_out, attn = self.attn(self.norm1(x))
        x = x + attn_out
        x = x + self.mlp(self.norm2(x))
        return x, attn


class PatchEmbed(nn.Module):
    def __init__(self, patch_size: int, in_chans: int, dim: int):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch_size, stride=patch_size)


class MaskedAutoencoder(nn.Module):
    def __init__(self, cfg: MaeConfig):
        super().__init__()
        self.cfg = cfg
        D, Dd, eps = cfg.embed_dim, cfg.decoder_embed_dim, cfg.layer_norm_eps
        self.patch_embed = PatchEmbed(cfg.patch_size, cfg.in_chans, D)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, D))
        self.register_buffer("pos_embed", sincos_pos_embed(D, cfg.grid_size))  # [1, 1+N, D]
        self.blocks = nn.ModuleList(Block(D, cfg.num_heads, cfg.mlp_ratio, eps) for _ in range(cfg.depth))
        self.norm = nn.LayerNorm(D, eps=eps)

        self.decoder_embed = nn.Linear(D, Dd)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, Dd))
        self.register_buffer("decoder_pos_embed", sincos_pos_embed(Dd, cfg.grid_size))  # [1, 1+N, Dd]
        self.decoder_blocks = nn.ModuleList(
            Block(Dd, cfg.decoder_num_heads, cfg.mlp_ratio, eps) for _ in range(cfg.decoder_depth)
        )
        self.decoder_norm = nn.LayerNorm(Dd, eps=eps)
        self.decoder_pred = nn.Linear(Dd, cfg.patch_dim)
        self._init_weights()

    def _init_weights(self):
        """Upstream initialize_weights(): xavier for linears and the patch projection."""
        w = self.patch_embed.proj.weight.data
        nn.init.xavier_uniform_(w.view(w.shape[0], -1))
        nn.init.normal_(self.cls_token, std=0.02)
        nn.init.normal_(self.mask_token, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    # --- pixels <-> patch vectors -------------------------------------------------------------
    def patchify(self, imgs):  # [B, C, S, S] -> [B, N, P*P*C]
        P, G, C = self.cfg.patch_size, imgs.shape[2] // self.cfg.patch_size, self.cfg.in_chans
        x = imgs.reshape(imgs.shape[0], C, G, P, G, P)
        return torch.einsum("nchpwq->nhwpqc", x).reshape(imgs.shape[0], G * G, P * P * C)

    def unpatchify(self, patches):  # [B, N, P*P*C] -> [B, C, S, S]
        P, C = self.cfg.patch_size, self.cfg.in_chans
        G = int(round(patches.shape[1] ** 0.5))
        x = patches.reshape(patches.shape[0], G, G, P, P, C)
        return torch.einsum("nhwpqc->nchpwq", x).reshape(patches.shape[0], C, G * P, G * P)

    def patch_weight(self):
        """The conv projection as a matrix over (p, q, c)-ordered vectors: [D, P*P*C]."""
        w = self.patch_embed.proj.weight  # [D, c, p, q]
        return w.permute(0, 2, 3, 1).reshape(w.shape[0], -1)

    # --- the two halves, as exported ----------------------------------------------------------
    def forward_encoder(self, visible_patches, ids_keep, positions=None):
        """visible_patches [B, K, P*P*C], ids_keep [B, K]
        -> latent [B, K+1, D], attentions [B, L, H, K+1, K+1].

        `positions` (training only) maps token index -> row of the position table, for windows
        smaller than the full grid; None means the full grid.
        """
        x = visible_patches @ self.patch_weight().t() + self.patch_embed.proj.bias  # [B, K, D]
        pos_rows = ids_keep if positions is None else positions[ids_keep]
        x = x + self.pos_embed[0, 1:][pos_rows]  # [B, K, D]
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1)  # [B, K+1, D]
        attentions = []
        for block in self.blocks:
            x, attn = block(x)
            attentions.append(attn)
        return self.norm(x), torch.stack(attentions, dim=1)

    def forward_decoder(self, latent, ids_restore, positions=None, per_layer=True):
        """latent [B, K+1, D], ids_restore [B, N] -> pred [B, N, P*P*C], pred_per_layer [B, Ld, N, P*P*C].

        per_layer=False skips the head on the inner blocks (pred_per_layer is then None): the
        computation of decoder.lean.onnx, for timing PyTorch against it.
        """
        x = self.decoder_embed(latent)  # [B, K+1, Dd]
        B, Dd = x.shape[0], x.shape[2]
        num_masked = ids_restore.shape[1] + 1 - x.shape[1]
        mask_tokens = self.mask_token.expand(B, num_masked, Dd)
        x_ = torch.cat([x[:, 1:], mask_tokens], dim=1)  # [B, N, Dd] in shuffled order
        x_ = torch.gather(x_, 1, ids_restore.unsqueeze(-1).expand(-1, -1, Dd))  # unshuffle
        x = torch.cat([x[:, :1], x_], dim=1)  # [B, N+1, Dd]
        if positions is None:
            x = x + self.decoder_pos_embed
        else:
            x = x + torch.cat(
                [self.decoder_pos_embed[:, :1], self.decoder_pos_embed[:, 1:][:, positions]], dim=1
            )
        preds = []
        for index, block in enumerate(self.decoder_blocks):
            x, _ = block(x)
            if per_layer or index == len(self.decoder_blocks) - 1:
                preds.append(self.decoder_pred(self.decoder_norm(x))[:, 1:])
        return preds[-1], torch.stack(preds, dim=1) if per_layer else None

    # --- training -----------------------------------------------------------------------------
    def loss(self, imgs, mask_ratio: float, positions=None):
        """Upstream forward(): random masking, mean squared error over the masked patches."""
        return self.loss_per_image(imgs, mask_ratio, positions).mean()  # every image masks as many

    def loss_per_image(self, imgs, mask_ratio: float, positions=None):
        """[B] mean squared error over each image's masked patches (random masking as upstream)."""
        target = self.patchify(imgs)  # [B, N, P*P*C]
        B, N, _ = target.shape
        noise = torch.rand(B, N)
        ids_shuffle = torch.argsort(noise, dim=1)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        len_keep = int(N * (1 - mask_ratio))
        ids_keep = ids_shuffle[:, :len_keep]
        visible = torch.gather(target, 1, ids_keep.unsqueeze(-1).expand(-1, -1, target.shape[2]))
        latent, _ = self.forward_encoder(visible, ids_keep, positions)
        pred, _ = self.forward_decoder(latent, ids_restore, positions, per_layer=False)
        mask = torch.ones(B, N)
        mask[:, :len_keep] = 0
        mask = torch.gather(mask, 1, ids_restore)
        if self.cfg.norm_pix_loss:
            mean, var = target.mean(dim=-1, keepdim=True), target.var(dim=-1, keepdim=True)
            target = (target - mean) / (var + 1e-6) ** 0.5
        per_patch = ((pred - target) ** 2).mean(dim=-1)  # [B, N]
        return (per_patch * mask).sum(dim=1) / mask.sum(dim=1)
