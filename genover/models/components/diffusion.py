"""Gaussian diffusion (Ho et al. 2020) over encoded tabular rows, with DDIM sampling.

The process only holds the schedule (as buffers); the denoiser is a separate network called
as ``denoiser(x_t, t, y)`` that predicts the added noise.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

Denoiser = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


class GaussianDiffusion(nn.Module):
    """The forward process q(x_t | x_0) and the reverse samplers for a beta schedule."""

    def __init__(self, betas: torch.Tensor, clip: float = 6.0):
        super().__init__()
        self.clip = clip  # encoded features are near standard normal; x0 estimates are clipped
        betas = betas.double()
        alphas_cumprod = torch.cumprod(1 - betas, dim=0)
        prev = torch.cat([torch.ones(1, dtype=torch.float64), alphas_cumprod[:-1]])
        posterior_variance = betas * (1 - prev) / (1 - alphas_cumprod)
        buffers = {
            "betas": betas,
            "alphas_cumprod": alphas_cumprod,
            "sqrt_alphas_cumprod": alphas_cumprod.sqrt(),
            "sqrt_one_minus_alphas_cumprod": (1 - alphas_cumprod).sqrt(),
            "posterior_log_variance": torch.log(
                torch.cat([posterior_variance[1:2], posterior_variance[1:]])
            ),
            "posterior_mean_coef1": betas * prev.sqrt() / (1 - alphas_cumprod),
            "posterior_mean_coef2": (1 - prev) * (1 - betas).sqrt() / (1 - alphas_cumprod),
        }
        for name, value in buffers.items():
            self.register_buffer(name, value.float(), persistent=False)

    @property
    def num_steps(self) -> int:
        return int(self.betas.shape[0])

    @staticmethod
    def _at(values: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return values.gather(0, t)[:, None]

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Draw x_t ~ q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I)."""
        return (
            self._at(self.sqrt_alphas_cumprod, t) * x0
            + self._at(self.sqrt_one_minus_alphas_cumprod, t) * noise
        )

    def p_losses(self, denoiser: Denoiser, x0: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The simple epsilon-prediction loss at uniformly drawn timesteps."""
        t = torch.randint(0, self.num_steps, (x0.shape[0],), device=x0.device)
        noise = torch.randn_like(x0)
        return F.mse_loss(denoiser(self.q_sample(x0, t, noise), t, y), noise)

    def predict_x0(self, x_t: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        abar = self._at(self.alphas_cumprod, t)
        return (x_t - (1 - abar).sqrt() * eps) / abar.sqrt()

    @torch.no_grad()
    def p_sample_loop(
        self, eps_fn: Denoiser, x_T: torch.Tensor, y: torch.Tensor, generator: torch.Generator
    ) -> torch.Tensor:
        """Ancestral sampling through every step of the chain."""
        x = x_T
        for step in reversed(range(self.num_steps)):
            t = torch.full((x.shape[0],), step, device=x.device, dtype=torch.long)
            x0 = self.predict_x0(x, t, eps_fn(x, t, y)).clamp(-self.clip, self.clip)
            mean = (
                self._at(self.posterior_mean_coef1, t) * x0
                + self._at(self.posterior_mean_coef2, t) * x
            )
            if step > 0:
                noise = torch.randn(x.shape, generator=generator, device=x.device)
                x = mean + (0.5 * self._at(self.posterior_log_variance, t)).exp() * noise
            else:
                x = mean
        return x

    @torch.no_grad()
    def ddim_sample(
        self,
        eps_fn: Denoiser,
        x_T: torch.Tensor,
        y: torch.Tensor,
        generator: torch.Generator,
        steps: int = 50,
        eta: float = 0.0,
        start: int | None = None,
    ) -> torch.Tensor:
        """DDIM (Song et al. 2021) on ``steps`` evenly spaced timesteps; eta=0 is deterministic.

        ``start`` < T - 1 begins the reverse chain at that timestep, with ``x_T`` holding
        x_start (SDEdit, Meng et al. 2022: a noised real row denoised back)."""
        first = self.num_steps - 1 if start is None else int(start)
        # Host-side integers: no per-step index tensor has to reach the device.
        times = torch.linspace(first, 0, max(1, min(steps, first + 1))).round().long()
        times = times.tolist()
        x = x_T
        for i, step in enumerate(times):
            t = torch.full((x.shape[0],), step, device=x.device, dtype=torch.long)
            eps = eps_fn(x, t, y)
            x0 = self.predict_x0(x, t, eps).clamp(-self.clip, self.clip)
            eps = (x - self._at(self.sqrt_alphas_cumprod, t) * x0) / self._at(
                self.sqrt_one_minus_alphas_cumprod, t
            )
            abar = self.alphas_cumprod[step]
            abar_prev = (
                self.alphas_cumprod[times[i + 1]] if i + 1 < len(times) else x.new_tensor(1.0)
            )
            sigma = (
                eta * ((1 - abar_prev) / (1 - abar) * (1 - abar / abar_prev)).clamp(min=0).sqrt()
            )
            direction = (1 - abar_prev - sigma**2).clamp(min=0).sqrt() * eps
            x = abar_prev.sqrt() * x0 + direction
            if eta > 0 and i + 1 < len(times):
                x = x + sigma * torch.randn(x.shape, generator=generator, device=x.device)
        return x
