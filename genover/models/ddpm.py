"""A small DDPM (Ho et al. 2020) for tabular rows, with DDIM sampling and optional CFG.

Categorical columns are diffused as one-hot vectors in the same Gaussian process and decoded
by argmax. One process and one epsilon loss cover every column, DDIM's fast sampler applies
unchanged, and argmax always yields a valid category. TabDDPM's multinomial diffusion needs
a second process, a second loss to balance, and has no DDIM-style shortcut; on the small
KEEL tables genover targets, the one-hot Gaussian is the simpler sound choice.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from genover.models.base import NoiseToData, NoiseToDataSettings, with_settings
from genover.models.components.diffusion import GaussianDiffusion
from genover.models.components.mixed import TabularLayout
from genover.models.components.schedules import make_schedule


@dataclass(frozen=True)
class DDPMSettings(NoiseToDataSettings):
    """The DDPM's settings (see :class:`DDPM`): the chain, its sampler and contrast."""

    steps: int = 200
    schedule: str = "cosine"
    sample_steps: int = 50
    eta: float = 0.0
    contrast: float = 0.0
    anchor_share: float = 1.0

    def __post_init__(self) -> None:
        if not (0.0 <= self.anchor_share <= 1.0 and 0.0 < self.anchor_noise < 1.0):
            raise ValueError(
                f"anchor_share={self.anchor_share} must lie in [0, 1] and anchor_noise="
                f"{self.anchor_noise} (the noise share 1 - abar of the noised anchor) in (0, 1)."
            )


@with_settings(DDPMSettings)
class DDPM(NoiseToData):
    """Class-conditional Gaussian diffusion over encoded rows.

    ``steps`` is the chain length; ``sample_steps`` < ``steps`` samples with DDIM (``eta``
    controls its stochasticity). ``p_uncond`` > 0 trains an unconditional token as well, so
    that ``guidance`` > 0 applies classifier-free guidance (Ho & Salimans 2022) at sampling.
    ``contrast`` > 0 applies class-contrastive guidance at sampling (the idea of SOS, Kim et
    al. 2022): eps_y + contrast * (eps_y - eps_other), where eps_other is the mean noise
    prediction of the other classes, pushing the class's draws away from them.

    ``anchor_share`` > 0 starts that share of the draws from a real training row of the class
    instead of pure noise: the row is noised and denoised back (SDEdit, Meng et al. 2022)
    with DDIM over the matching share of ``sample_steps``. ``anchor_noise`` is the noise
    level, the share 1 - abar_t of the noised row's variance that is noise: the chain starts
    at the first timestep whose 1 - abar_t reaches it, so one value means the same noise
    under every schedule (``anchor_timestep``). The draws stay on the class's support (the
    diffusion analogue of the CVAE's posterior draws); ``anchor_noise`` sets how far they
    may move from their anchors. The anchors are set after training, so the ``val/mmd``
    diagnostic logged during training scores draws from pure noise.
    """

    def __init__(self, layout: TabularLayout, num_classes: int, **settings):
        super().__init__(layout, num_classes, **settings)
        self.denoiser = self._network()
        self.diffusion = GaussianDiffusion(
            make_schedule(self.settings.schedule, self.settings.steps)
        )

    def path_loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The epsilon loss at random timesteps."""
        return self.diffusion.p_losses(self.denoiser, x, y)

    def finetune_loss(
        self,
        x_own: torch.Tensor,
        y_own: torch.Tensor,
        x_other: torch.Tensor | None,
        push: float = 1.0,
        margin: float = 1.0,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The minority fine-tuning objective (the idea of SOS, Kim et al. 2022).

        The epsilon loss on the rows ``x_own`` conditioned on their labels ``y_own``, plus
        ``push`` x mean(relu(margin - ||eps(x_t^other, t, y_own) - eps||^2 / d)): row i of
        ``x_other`` (a real row of another class than ``y_own[i]``), noised and conditioned
        on ``y_own[i]``, should be denoised at least ``margin`` badly (1.0 is the error of
        predicting zero noise), so the class's score field stops covering other classes'
        regions. The hinge is bounded: its gradient stops once the margin is reached.
        ``push`` = 0 or ``x_other`` None: the epsilon loss alone (other rows are not used).
        With anchored draws (``anchor_share`` > 0) the hinge covers only the timesteps those
        draws pass through (up to ``anchor_timestep``): above it, where a noised row is
        nearly pure noise, it would fight the class's own denoising.
        """
        own = self.diffusion.p_losses(self.denoiser, x_own, y_own)
        parts = {"own": own}
        if push <= 0 or x_other is None:
            return own, parts
        t = torch.randint(0, self._push_steps(), (x_other.shape[0],), device=x_other.device)
        noise = torch.randn_like(x_other)
        x_t = self.diffusion.q_sample(x_other, t, noise)
        error = (self.denoiser(x_t, t, y_own) - noise).pow(2).mean(dim=1)
        hinge = F.relu(margin - error).mean()
        parts["push"] = hinge
        return own + push * hinge, parts

    def _push_steps(self) -> int:
        """How many timesteps, from 0, the fine-tuning hinge samples."""
        if self.hparams.get("anchor_share", 0.0) > 0:
            return self.anchor_timestep() + 1
        return self.diffusion.num_steps

    def _eps(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        c = float(self.hparams.get("contrast", 0.0))
        out, eps = self._guided(self.denoiser, x, t, y)
        if c != 0 and self.num_classes > 1:
            others = [
                self.denoiser(x, t, (y + k) % self.num_classes) for k in range(1, self.num_classes)
            ]
            out = out + c * (eps - torch.stack(others).mean(dim=0))
        return out

    def anchor_timestep(self) -> int:
        """The first timestep whose noise share 1 - abar_t reaches ``anchor_noise``."""
        abar = self.diffusion.alphas_cumprod
        reached = torch.nonzero(1 - abar >= float(self.hparams.anchor_noise) - 1e-12).flatten()
        return int(reached[0]) if len(reached) else len(abar) - 1

    def _from_anchors(self, x0, noise, labels, generator):
        """Real rows ``x0`` noised to ``anchor_noise`` and denoised back (SDEdit)."""
        start = self.anchor_timestep()
        t = torch.full((len(labels),), start, device=self.device, dtype=torch.long)
        x_start = self.diffusion.q_sample(x0, t, noise)
        sample_steps = max(1, round(self.hparams.sample_steps * (start + 1) / self.hparams.steps))
        return self.diffusion.ddim_sample(
            self._eps, x_start, labels, generator, sample_steps, self.hparams.eta, start=start
        )

    def _from_noise(self, x_T, labels, generator):
        if self.hparams.sample_steps < self.hparams.steps:
            return self.diffusion.ddim_sample(
                self._eps, x_T, labels, generator, self.hparams.sample_steps, self.hparams.eta
            )
        return self.diffusion.p_sample_loop(self._eps, x_T, labels, generator)
