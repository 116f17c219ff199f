"""Multilayer perceptrons for tabular rows."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn


def mlp(
    in_dim: int,
    hidden: Sequence[int],
    out_dim: int | None = None,
    dropout: float = 0.0,
    batch_norm: bool = False,
    activation: type[nn.Module] = nn.SiLU,
) -> nn.Sequential:
    """Linear -> (BatchNorm) -> activation -> (Dropout) blocks, with an optional linear
    output. The generators use SiLU; the MLP classifier's feature extractor ReLU."""
    layers: list[nn.Module] = []
    width = in_dim
    for size in hidden:
        layers.append(nn.Linear(width, size))
        if batch_norm:
            layers.append(nn.BatchNorm1d(size))
        layers.append(activation())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = size
    if out_dim is not None:
        layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)


def last_width(in_dim: int, hidden: Sequence[int]) -> int:
    """The width of the last hidden layer of ``mlp(in_dim, hidden)``."""
    return hidden[-1] if hidden else in_dim
