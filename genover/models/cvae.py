"""Conditional VAE (Sohn et al. 2015) for mixed tabular rows."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from genover.models.base import TabularGenerator, with_settings
from genover.models.components.mixed import TabularLayout
from genover.models.posterior import (
    ConditionalVAEParts,
    KLSettings,
    PosteriorSettings,
    VAENetworkSettings,
)
from genover.training.modules import AdamWSettings


@dataclass(frozen=True)
class CVAESettings(AdamWSettings, PosteriorSettings, KLSettings, VAENetworkSettings):
    """The CVAE's settings (see :class:`CVAE`): posterior draws by default."""

    posterior_share: float = 1.0


@with_settings(CVAESettings)
class CVAE(ConditionalVAEParts, TabularGenerator):
    """Encoder q(z|x,y), decoder p(x|z,y) with Gaussian numerics and softmax categoricals.

    The KL term is weighted by ``beta`` times a linear warm-up over the first
    ``kl_warmup_steps`` optimiser steps.

    Sampling draws the latent code from the prior N(0, I), or, for a share
    ``posterior_share`` of the rows, from the aggregate posterior of the class: a real
    training row of that class is picked at random and z ~ N(mu(x), (``posterior_scale`` *
    sigma(x))^2). Posterior draws stay on the class's own support where the prior's mass can
    fall between classes (many prior draws of a small minority land among the majority).
    The anchors are set after training (``fit_anchors``), so the ``val/mmd`` diagnostic
    logged during training scores prior draws.
    """

    def __init__(self, layout: TabularLayout, num_classes: int, **settings):
        super().__init__(layout, num_classes, **settings)
        self._build_vae(layout, num_classes)

    def elbo_terms(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(reconstruction NLL, KL) averaged over the batch."""
        z, mu, logvar = self._code(x, y)
        return self.head.nll(self._decode(z, y), x), self._kl(mu, logvar)

    def training_step(self, batch, batch_idx):
        recon, kl = self.elbo_terms(*batch)
        loss = recon + self.kl_weight() * kl
        self.log_epoch_means(
            {"train/loss": loss, "train/recon": recon, "train/kl": kl}, batch[0].shape[0]
        )
        return loss

    def validation_step(self, batch, batch_idx):
        recon, kl = self.elbo_terms(*batch)
        self.log("val/loss", recon + float(self.hparams.beta) * kl, batch_size=batch[0].shape[0])
