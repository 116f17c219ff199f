"""The DDPM denoiser: an MLP over (x_t, t, y) with time and class embeddings."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from genover.models.components.embeddings import SinusoidalTimeEmbedding


class ResidualBlock(nn.Module):
    def __init__(self, dim: int, dropout: float):
        super().__init__()
        self.net = nn.Sequential(
            nn.LayerNorm(dim),
            nn.Linear(dim, dim),
            nn.SiLU(),
            nn.Dropout(dropout),
            nn.Linear(dim, dim),
        )

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.net(h)


@dataclass(frozen=True)
class DenoiserSettings:
    """The :class:`MLPDenoiser`'s width ``hidden``, its ``depth`` residual blocks, the size
    ``time_dim`` of its time embedding and its ``dropout``."""

    hidden: int = 256
    depth: int = 3
    time_dim: int = 64
    dropout: float = 0.0


class MLPDenoiser(nn.Module):
    """Predicts the noise in ``x_t``; class ``num_classes`` is the "no label" token (CFG)."""

    def __init__(self, dim: int, num_classes: int, settings: DenoiserSettings | None = None):
        super().__init__()
        settings = settings or DenoiserSettings()
        hidden, depth, time_dim = settings.hidden, settings.depth, settings.time_dim
        dropout = settings.dropout
        self.inp = nn.Linear(dim, hidden)
        self.time = nn.Sequential(SinusoidalTimeEmbedding(time_dim), nn.Linear(time_dim, hidden))
        self.label = nn.Embedding(num_classes + 1, hidden)
        self.blocks = nn.Sequential(*[ResidualBlock(hidden, dropout) for _ in range(depth)])
        self.out = nn.Sequential(nn.LayerNorm(hidden), nn.SiLU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.inp(x) + self.time(t) + self.label(y)
        return self.out(self.blocks(h))
