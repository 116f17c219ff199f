"""The straight probability path of conditional flow matching, and its ODE solvers.

Rectified flow / conditional flow matching (Liu et al. 2023; Lipman et al. 2023): a row
moves from noise x_0 ~ N(0, I) at t = 0 to data x_1 at t = 1 along x_t = (1 - t) x_0 + t x_1,
with velocity x_1 - x_0. OT-CFM (Tong et al. 2024) pairs each batch's noise and data rows by
a minibatch optimal-transport plan first, so that the paths cross less.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

Velocity = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
SOLVERS = ("euler", "midpoint")


def interpolate(x0: torch.Tensor, x1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """The point x_t = (1 - t) x_0 + t x_1 of each row's straight path (``t`` per row)."""
    return (1 - t[:, None]) * x0 + t[:, None] * x1


def ot_pairing(noise: torch.Tensor, data: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """``noise`` reordered so that, within each label, row i is paired with ``data[i]`` by
    the exact minibatch optimal-transport plan (squared Euclidean cost; OT-CFM)."""
    out = noise.clone()
    for c in labels.unique().tolist():
        rows = torch.nonzero(labels == c).flatten()
        cost = torch.cdist(data[rows].float(), noise[rows].float()).pow(2).detach().cpu()
        data_pos, noise_pos = linear_sum_assignment(cost.numpy())
        order = torch.as_tensor(noise_pos[np.argsort(data_pos)], device=noise.device)
        out[rows] = noise[rows][order]
    return out


@torch.no_grad()
def integrate(
    velocity: Velocity,
    x: torch.Tensor,
    labels: torch.Tensor,
    start: float = 0.0,
    steps: int = 50,
    solver: str = "midpoint",
) -> torch.Tensor:
    """Solve dx/dt = velocity(x, t, labels) from t = ``start`` to 1 in ``steps`` equal steps
    with Euler's method or the explicit midpoint rule (two velocity calls per step)."""
    if solver not in SOLVERS:
        raise ValueError(f"unknown ODE solver {solver!r}; use one of {list(SOLVERS)}.")
    h = (1.0 - start) / max(1, steps)
    for i in range(max(1, steps)):
        t = torch.full((x.shape[0],), start + i * h, device=x.device)
        v = velocity(x, t, labels)
        if solver == "midpoint":
            v = velocity(x + 0.5 * h * v, t + 0.5 * h, labels)
        x = x + h * v
    return x
