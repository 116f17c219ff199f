"""Noise schedules for diffusion, as pure functions of the number of steps."""

from __future__ import annotations

import math

import torch


def linear_beta_schedule(
    steps: int, beta_start: float = 1e-4, beta_end: float = 0.02
) -> torch.Tensor:
    """Ho et al. (2020): betas linear in t, rescaled so any ``steps`` spans the same noise."""
    scale = 1000.0 / steps
    return torch.linspace(scale * beta_start, scale * beta_end, steps, dtype=torch.float64)


def cosine_beta_schedule(steps: int, s: float = 0.008) -> torch.Tensor:
    """Nichol & Dhariwal (2021): alpha_bar follows a squared cosine; betas clipped at 0.999."""
    t = torch.linspace(0, steps, steps + 1, dtype=torch.float64) / steps
    alpha_bar = torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2
    alpha_bar = alpha_bar / alpha_bar[0]
    betas = 1 - alpha_bar[1:] / alpha_bar[:-1]
    return betas.clamp(1e-8, 0.999)


SCHEDULES = {"linear": linear_beta_schedule, "cosine": cosine_beta_schedule}


def make_schedule(name: str, steps: int) -> torch.Tensor:
    if name not in SCHEDULES:
        raise ValueError(f"unknown noise schedule {name!r}; use one of {sorted(SCHEDULES)}.")
    return SCHEDULES[name](steps)
