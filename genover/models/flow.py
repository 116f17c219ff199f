"""Class-conditional flow matching (Lipman et al. 2023; OT-CFM, Tong et al. 2024) for
tabular rows.

A velocity network over (x_t, t, y) learns the straight path from noise to data
(:mod:`genover.models.components.flow`); rows are drawn by solving the ODE from noise. As in
the DDPM, categorical columns travel as one-hot blocks in the same path and come out as the
argmax category, so every draw holds valid categories.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from genover.models.base import NoiseToData, NoiseToDataSettings, with_settings
from genover.models.components.flow import SOLVERS, integrate, interpolate, ot_pairing
from genover.models.components.mixed import TabularLayout

#: t in [0, 1] is embedded as t x this, the range the sinusoidal time embedding resolves.
TIME_SCALE = 1000.0
COUPLINGS = ("independent", "ot")


@dataclass(frozen=True)
class FlowSettings(NoiseToDataSettings):
    """The flow's settings (see :class:`FlowMatching`): the coupling and the ODE solver."""

    coupling: str = "independent"
    sample_steps: int = 25
    solver: str = "midpoint"

    def __post_init__(self) -> None:
        _check_settings(
            self.coupling, self.solver, self.sample_steps, self.anchor_share, self.anchor_noise
        )


@with_settings(FlowSettings)
class FlowMatching(NoiseToData):
    """A velocity field v(x_t, t, y) trained by conditional flow matching.

    ``coupling`` "independent" pairs each data row with fresh noise (rectified flow / I-CFM);
    "ot" pairs each batch's noise and rows of one class by the minibatch optimal-transport
    plan (OT-CFM). ``sample_steps`` ODE steps of ``solver`` ("euler" or "midpoint") carry
    noise to rows. ``p_uncond`` > 0 trains an unconditional token as well, so that
    ``guidance`` > 0 applies classifier-free guidance at sampling.

    ``anchor_share`` > 0 starts that share of the draws from a real training row of the
    class: the row is moved back along its path to time 1 - ``anchor_noise`` (the share of
    the path that is noise) and carried forward again over the matching share of
    ``sample_steps`` (the flow's SDEdit, as the DDPM's anchored draws).
    """

    def __init__(self, layout: TabularLayout, num_classes: int, **settings):
        super().__init__(layout, num_classes, **settings)
        self.velocity = self._network()

    def path_loss(self, x1: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The conditional flow-matching loss ||v(x_t, t, y) - (x_1 - x_0)||^2 at uniform t."""
        x0 = torch.randn_like(x1)
        if self.hparams.coupling == "ot":
            x0 = ot_pairing(x0, x1, y)
        t = torch.rand(x1.shape[0], device=x1.device)
        return F.mse_loss(self.velocity(interpolate(x0, x1, t), t * TIME_SCALE, y), x1 - x0)

    def _velocity(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self._guided(self.velocity, x, t * TIME_SCALE, y)[0]

    def _from_noise(self, noise, labels, generator):
        steps, solver = int(self.hparams.sample_steps), self.hparams.solver
        return integrate(self._velocity, noise, labels, 0.0, steps, solver)

    def _from_anchors(self, rows, noise, labels, generator):
        """Real ``rows`` moved back to time 1 - ``anchor_noise`` and carried forward again."""
        share = float(self.hparams.anchor_noise)
        start = 1.0 - share
        x = interpolate(noise, rows, torch.full((len(rows),), start, device=rows.device))
        steps = max(1, round(self.hparams.sample_steps * share))
        return integrate(self._velocity, x, labels, start, steps, self.hparams.solver)


def _check_settings(coupling, solver, sample_steps, anchor_share, anchor_noise) -> None:
    if coupling not in COUPLINGS:
        raise ValueError(f"coupling={coupling!r}; use one of {list(COUPLINGS)}.")
    if solver not in SOLVERS:
        raise ValueError(f"solver={solver!r}; use one of {list(SOLVERS)}.")
    if int(sample_steps) < 1:
        raise ValueError(f"sample_steps={sample_steps}; the ODE needs at least 1 step.")
    if not (0.0 <= anchor_share <= 1.0 and 0.0 < anchor_noise <= 1.0):
        raise ValueError(
            f"anchor_share={anchor_share} must lie in [0, 1] and anchor_noise={anchor_noise} "
            "(the share of the path from the anchor back to noise) in (0, 1]."
        )
