"""Conditional VAE (Sohn et al. 2015) for mixed tabular rows."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from genover.models.base import TabularGenerator
from genover.models.components.mixed import MixedHead, TabularLayout
from genover.models.components.mlp import mlp
from genover.models.posterior import PosteriorDraws


class CVAE(PosteriorDraws, TabularGenerator):
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

    def __init__(
        self,
        layout: TabularLayout,
        num_classes: int,
        hidden: Sequence[int] = (256, 256),
        latent_dim: int = 16,
        class_dim: int = 16,
        beta: float = 1.0,
        kl_warmup_steps: int = 200,
        dropout: float = 0.0,
        posterior_share: float = 1.0,
        posterior_scale: float = 1.0,
        lr: float = 1e-3,
        weight_decay: float = 1e-5,
    ):
        super().__init__(layout, num_classes)
        if not 0.0 <= posterior_share <= 1.0 or posterior_scale < 0:
            raise ValueError(
                f"posterior_share={posterior_share} must lie in [0, 1] and posterior_scale="
                f"{posterior_scale} must be >= 0."
            )
        self.save_hyperparameters(ignore=["layout"])
        self._init_anchors()
        hidden = list(hidden)
        self.class_embedding = nn.Embedding(num_classes, class_dim)
        self.encoder = mlp(layout.dim + class_dim, hidden, 2 * latent_dim, dropout)
        self.decoder = mlp(latent_dim + class_dim, hidden[::-1], dropout=dropout)
        self.head = MixedHead(hidden[0], layout)

    def kl_weight(self) -> float:
        warmup = max(int(self.hparams.kl_warmup_steps), 1)
        return float(self.hparams.beta) * min(1.0, (self.global_step + 1) / warmup)

    def _decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.head(self.decoder(torch.cat([z, self.class_embedding(y)], dim=1)))

    def _posterior(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(torch.cat([x, self.class_embedding(y)], dim=1)).chunk(2, dim=1)
        return mu, logvar.clamp(-10.0, 10.0)

    def elbo_terms(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(reconstruction NLL, KL) averaged over the batch."""
        mu, logvar = self._posterior(x, y)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        recon = self.head.nll(self._decode(z, y), x)
        kl = 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(dim=1).mean()
        return recon, kl

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
