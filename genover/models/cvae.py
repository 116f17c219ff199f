"""Conditional VAE (Sohn et al. 2015) for mixed tabular rows."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from genover.models.base import TabularGenerator
from genover.models.components.mixed import MixedHead, TabularLayout
from genover.models.components.mlp import mlp


class CVAE(TabularGenerator):
    """Encoder q(z|x,y), decoder p(x|z,y) with Gaussian numerics and softmax categoricals.

    The KL term is weighted by ``beta`` times a linear warm-up over the first
    ``kl_warmup_steps`` optimiser steps.
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
        lr: float = 1e-3,
        weight_decay: float = 1e-5,
    ):
        super().__init__(layout, num_classes)
        self.save_hyperparameters(ignore=["layout"])
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

    def elbo_terms(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(reconstruction NLL, KL) averaged over the batch."""
        stats = self.encoder(torch.cat([x, self.class_embedding(y)], dim=1))
        mu, logvar = stats.chunk(2, dim=1)
        logvar = logvar.clamp(-10.0, 10.0)
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

    @torch.no_grad()
    def sample(self, n, y, generator=None):
        labels = self.labels(n, y)
        z = torch.randn(
            (len(labels), self.hparams.latent_dim), generator=generator, device=self.device
        )
        return self.head.sample(self._decode(z, labels), generator)
