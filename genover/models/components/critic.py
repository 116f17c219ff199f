"""A class-conditional critic: an MLP scoring (input, label) pairs with one logit."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from genover.models.components.mlp import last_width, mlp


class ConditionalCritic(nn.Module):
    """Scores ``(x, y)`` pairs: ``forward`` gives one logit (or critic value) per row and
    ``features`` the last hidden layer it is computed from.

    The label enters as a learned embedding concatenated to the input. VAEGAN judges rows
    with it (and matches its features); ARAE judges codes.
    """

    def __init__(
        self,
        in_dim: int,
        num_classes: int,
        hidden: Sequence[int],
        class_dim: int = 16,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.class_embedding = nn.Embedding(num_classes, class_dim)
        self.body = mlp(in_dim + class_dim, list(hidden), dropout=dropout)
        self.out = nn.Linear(last_width(in_dim + class_dim, list(hidden)), 1)

    def features(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The last hidden layer for rows ``x`` of classes ``y``."""
        return self.body(torch.cat([x, self.class_embedding(y)], dim=1))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.out(self.features(x, y)).squeeze(1)
