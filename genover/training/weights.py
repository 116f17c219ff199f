"""Row weights that give each class a chosen share of the training draws."""

from __future__ import annotations

import torch


def row_weights(y: torch.Tensor, class_share: torch.Tensor) -> torch.Tensor:
    """Per-row draw weights so that class c gets ``class_share[c]`` of the draws: a row of
    class c weighs ``class_share[c] / n_c`` (shares need not be normalised)."""
    counts = torch.bincount(y, minlength=len(class_share)).double().clamp(min=1)
    return (class_share.double().to(y.device) / counts.to(y.device))[y].float()


def tilted_shares(y: torch.Tensor, power: float) -> torch.Tensor:
    """Class shares n_c ** (1 - power): natural frequencies at 0, every class equal at 1."""
    counts = torch.bincount(y).double().clamp(min=1)
    return counts ** (1 - power)
