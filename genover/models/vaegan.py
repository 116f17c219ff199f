"""VAE/GAN (Larsen et al. 2016), class-conditional, for mixed tabular rows.

A conditional VAE whose decoder doubles as a GAN generator, and whose reconstruction is
also measured in the discriminator's feature space ("learned similarity").
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from genover.models.base import TabularGenerator, check_non_negative, with_settings
from genover.models.components.critic import ConditionalCritic
from genover.models.components.mixed import TabularLayout
from genover.models.posterior import (
    ConditionalVAEParts,
    KLSettings,
    PosteriorSettings,
    VAENetworkSettings,
)
from genover.training.modules import AdamSettings


@dataclass(frozen=True)
class VAEGANSettings(AdamSettings, PosteriorSettings, KLSettings, VAENetworkSettings):
    """The VAEGAN's settings (see :class:`VAEGAN`): the weights of its loss terms and the
    Gumbel-softmax temperature ``tau``."""

    feature_weight: float = 1.0
    nll_weight: float = 1.0
    adversarial_weight: float = 1.0
    tau: float = 0.2

    def __post_init__(self) -> None:
        _check(self.feature_weight, self.nll_weight, self.adversarial_weight, self.tau)
        super().__post_init__()


@with_settings(VAEGANSettings)
class VAEGAN(ConditionalVAEParts, TabularGenerator):
    """Encoder q(z|x,y), decoder p(x|z,y) with the mixed head, discriminator D(x,y).

    Each batch makes two optimiser steps (both count towards ``trainer.max_steps``):

    1. D, with binary cross-entropy on logits: real rows are 1, reconstructions
       Dec(Enc(x)) and prior draws Dec(z ~ N(0, I)) are 0 (half weight each).
    2. Encoder and decoder (one optimiser): ``kl_weight * KL`` + ``feature_weight *`` the
       mean squared distance between D's last hidden layer on the real row and on its
       reconstruction + ``nll_weight *`` the element-wise mixed NLL (which keeps small
       tables stable while D's features are still uninformative) + ``adversarial_weight *``
       the non-saturating GAN loss of reconstructions and prior draws. As in the paper, the
       encoder gets no GAN gradient (the GAN term decodes a detached code); D is never
       trained on the feature distance.

    The KL weight is ``beta`` times a linear warm-up over ``kl_warmup_steps`` optimiser
    steps, as in the CVAE. D's categorical inputs are Gumbel-softmax draws at temperature
    ``tau`` (differentiable and near one-hot, like the real rows' one-hot). In the GAN term
    its numeric inputs are reparameterised draws from the decoder's Gaussian (mean + sigma *
    eps), the rows ``sample`` returns; the feature distance compares the reconstruction's
    means, as the paper compares Dec(z) with x.

    Early stopping follows ``val/loss``, the NLL plus ``beta`` * KL of validation rows (as
    the CVAE's): it has no adversary in it, so it moves smoothly and rises when the VAE
    overfits. ``val/mmd`` (prior draws against held-out rows, logged every fifth
    validation) would judge the product, but on KEEL-size tables its handful of validation
    rows per class leave a noise floor that hides progress, and the feature distance moves
    with D and is no fixed yardstick.

    Sampling decodes prior codes, or for a share ``posterior_share`` of the rows codes
    around a real row of the class (``fit_anchors``, as the CVAE), and draws the row from
    the decoder's likelihood.
    """

    monitor = ("val/loss", "min")

    def __init__(self, layout: TabularLayout, num_classes: int, **settings):
        super().__init__(layout, num_classes, **settings)
        self.automatic_optimization = False
        self._build_vae(layout, num_classes)
        net = self.settings
        self.discriminator = ConditionalCritic(
            layout.dim, num_classes, net.hidden, net.class_dim, net.dropout
        )

    def _relaxed(self, out: torch.Tensor, noise: bool = True) -> torch.Tensor:
        """A decoder output as D sees it: Gumbel-softmax categories, and numerics drawn
        from the likelihood (``noise``, as ``sample`` draws them) or its means."""
        return self.head.relax(out, float(self.hparams.tau), noise)

    def vae_terms(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """The reconstruction terms, the KL and the codes, averaged over the batch."""
        z, mu, logvar = self._code(x, y)
        out = self._decode(z, y)
        features = self.discriminator.features
        return {
            "z": z,
            "nll": self.head.nll(out, x),
            "feature": F.mse_loss(features(self._relaxed(out, noise=False), y), features(x, y)),
            "kl": self._kl(mu, logvar),
        }

    def _fakes(self, z: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Reconstructions from the codes ``z`` and prior draws, both of classes ``y``."""
        prior = torch.randn(z.shape, device=self.device)
        return self._relaxed(self._decode(z, y)), self._relaxed(self._decode(prior, y))

    def training_step(self, batch, batch_idx):
        x, y = batch
        opt_model, opt_d = self.optimizers()
        d = self.discriminator

        self.toggle_optimizer(opt_d)
        with torch.no_grad():
            recon, prior = self._fakes(self._code(x, y)[0], y)
        loss_d = _bce(d(x, y), 1.0) + 0.5 * (_bce(d(recon, y), 0.0) + _bce(d(prior, y), 0.0))
        opt_d.zero_grad()
        self.manual_backward(loss_d)
        opt_d.step()
        self.untoggle_optimizer(opt_d)

        self.toggle_optimizer(opt_model)
        terms = self.vae_terms(x, y)
        recon, prior = self._fakes(terms["z"].detach(), y)
        loss_gan = 0.5 * (_bce(d(recon, y), 1.0) + _bce(d(prior, y), 1.0))
        h = self.hparams
        loss = (
            self.kl_weight() * terms["kl"]
            + h.feature_weight * terms["feature"]
            + h.nll_weight * terms["nll"]
            + h.adversarial_weight * loss_gan
        )
        opt_model.zero_grad()
        self.manual_backward(loss)
        opt_model.step()
        self.untoggle_optimizer(opt_model)
        logged = {f"train/{k}": terms[k] for k in ("nll", "feature", "kl")}
        self.log_epoch_means(
            {"train/loss_d": loss_d, "train/loss_g": loss_gan, **logged}, x.shape[0]
        )

    def validation_step(self, batch, batch_idx):
        x, y = batch
        terms = self.vae_terms(x, y)
        loss = terms["nll"] + float(self.hparams.beta) * terms["kl"]
        self.log("val/loss", loss, batch_size=x.shape[0])

    def configure_optimizers(self):
        betas = (0.5, 0.9)
        model = [p for name, p in self.named_parameters() if not name.startswith("discriminator.")]
        return (
            torch.optim.Adam(model, lr=self.hparams.lr, betas=betas),
            torch.optim.Adam(self.discriminator.parameters(), lr=self.hparams.lr, betas=betas),
        )


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def _check(feature_weight, nll_weight, adversarial_weight, tau) -> None:
    """Reject settings that cannot train or sample, naming the fix."""
    check_non_negative(
        "VAEGAN weights",
        feature_weight=feature_weight,
        nll_weight=nll_weight,
        adversarial_weight=adversarial_weight,
    )
    if feature_weight == 0 and nll_weight == 0:
        raise ValueError(
            "VAEGAN needs a reconstruction term: set feature_weight > 0 or nll_weight > 0."
        )
    if tau <= 0:
        raise ValueError(f"tau={tau} is a Gumbel-softmax temperature: use tau > 0 (e.g. 0.2).")
