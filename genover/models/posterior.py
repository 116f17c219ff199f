"""Posterior draws: codes around real rows' posterior means, shared by the VAE-family
generators (the CVAE, the VAEGAN)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from genover.models.base import AnchoredDraws, anchor_index


@dataclass(frozen=True)
class PosteriorSettings:
    """Posterior draws (:class:`PosteriorDraws`): the share ``posterior_share`` of draws
    around real rows' codes (0: every draw from the prior), and ``posterior_scale``, the
    scale of their spread."""

    posterior_share: float = 0.0
    posterior_scale: float = 1.0

    def __post_init__(self) -> None:
        check_posterior_settings(self.posterior_share, self.posterior_scale)


class PosteriorDraws(AnchoredDraws):
    """Mixin for a generator with an encoder ``_posterior(x, y) -> (mu, logvar)``, a decoder
    ``_decode(z, y)``, a ``head`` and hyper-parameters ``latent_dim``, ``posterior_share``
    and ``posterior_scale``: a ``posterior_share`` of the draws start from a real training
    row of the class, z ~ N(mu(x), (``posterior_scale`` sigma(x))^2), and each draw names its
    row (``sample_with_anchors``). Call :meth:`_init_anchors` in ``__init__``."""

    def _init_anchors(self) -> None:
        self._anchors: dict[int, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}
        self._anchored = False  # set by fit_anchors: from then on every draw class needs them

    @torch.no_grad()
    def fit_anchors(self, x: torch.Tensor, y: torch.Tensor, classes=None) -> None:
        """Keep the posterior means and standard deviations of each of ``classes``' rows (all
        classes if None), with their indices into ``x``, for posterior draws."""
        self._anchors = {}
        self._anchored = self.hparams.posterior_share > 0
        if not self._anchored:
            return
        was_training = self.training
        self.eval()
        x, y = x.to(self.device, torch.float32), y.to(self.device, torch.long)
        for c, index in anchor_index(y, classes, "posterior_share").items():
            mu, logvar = self._posterior(x[index], y[index])
            self._anchors[int(c)] = (mu, (0.5 * logvar).exp(), index)
        self.train(was_training)

    @torch.no_grad()
    def sample_with_anchors(self, n, y, generator=None):
        labels = self.labels(n, y)
        z = torch.randn(
            (len(labels), self.hparams.latent_dim), generator=generator, device=self.device
        )
        anchors = torch.full((len(labels),), -1, dtype=torch.long, device=self.device)
        share = float(self.hparams.posterior_share)
        if share > 0 and getattr(self, "_anchored", False):
            z, anchors = self._posterior_draws(z, labels, share, generator)
        return self.head.sample(self._decode(z, labels), generator), anchors

    def _posterior_draws(self, z, labels, share, generator):
        """Replace a ``share`` of the prior codes ``z`` by draws around real rows' codes;
        also returns each code's anchor (the index of its real row, -1 for a prior draw)."""
        use = torch.rand(len(labels), generator=generator, device=self.device) < share
        anchors = torch.full((len(labels),), -1, dtype=torch.long, device=self.device)
        scale = float(self.hparams.posterior_scale)
        for c in labels[use].unique().tolist():
            if int(c) not in self._anchors:
                raise ValueError(
                    f"class {c} has no anchors: they are kept for the classes the sampler "
                    f"over-samples ({sorted(self._anchors)}); sample one of those, or set "
                    "model.posterior_share=0 to draw from the prior."
                )
        for c, (mu, sigma, index) in self._anchors.items():
            rows = torch.nonzero(use & (labels == c)).flatten()
            if len(rows) == 0:
                continue
            mu, sigma = mu.to(self.device), sigma.to(self.device)  # if moved after the fit
            pick = torch.randint(len(mu), (len(rows),), generator=generator, device=self.device)
            z[rows] = mu[pick] + scale * sigma[pick] * z[rows]
            anchors[rows] = index.to(self.device)[pick]
        return z, anchors


@dataclass(frozen=True)
class VAENetworkSettings:
    """The VAE family's networks: MLP widths ``hidden`` (the decoder mirrors the encoder),
    code size ``latent_dim``, label embedding size ``class_dim`` and ``dropout``."""

    hidden: Sequence[int] = (256, 256)
    latent_dim: int = 16
    class_dim: int = 16
    dropout: float = 0.0


@dataclass(frozen=True)
class KLSettings:
    """The KL term's weight ``beta``, reached by a linear warm-up over ``kl_warmup_steps``."""

    beta: float = 1.0
    kl_warmup_steps: int = 200


class ConditionalVAEParts(PosteriorDraws):
    """The VAE family's shared parts (the CVAE, the VAEGAN): a class embedding, an encoder
    q(z|x,y), a decoder p(x|z,y) with a mixed-type head, the KL warm-up, and posterior
    draws. Call :meth:`_build_vae` in ``__init__`` once ``settings`` (a
    :class:`VAENetworkSettings`) are set."""

    def _build_vae(self, layout, num_classes: int) -> None:
        from torch import nn

        from genover.models.components.mixed import MixedHead
        from genover.models.components.mlp import mlp

        self._init_anchors()
        net = self.settings
        hidden, latent_dim, class_dim = list(net.hidden), net.latent_dim, net.class_dim
        dropout = net.dropout
        self.class_embedding = nn.Embedding(num_classes, class_dim)
        self.encoder = mlp(layout.dim + class_dim, hidden, 2 * latent_dim, dropout)
        self.decoder = mlp(latent_dim + class_dim, hidden[::-1], dropout=dropout)
        self.head = MixedHead(hidden[0], layout)

    def kl_weight(self) -> float:
        """``beta`` times a linear warm-up over the first ``kl_warmup_steps`` steps."""
        warmup = max(int(self.hparams.kl_warmup_steps), 1)
        return float(self.hparams.beta) * min(1.0, (self.global_step + 1) / warmup)

    def _decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.head(self.decoder(torch.cat([z, self.class_embedding(y)], dim=1)))

    def _posterior(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(torch.cat([x, self.class_embedding(y)], dim=1)).chunk(2, dim=1)
        return mu, logvar.clamp(-10.0, 10.0)

    def _code(
        self, x: torch.Tensor, y: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """A code z ~ q(z|x,y) (reparameterised), with the posterior's mean and log-variance."""
        mu, logvar = self._posterior(x, y)
        return mu + torch.randn_like(mu) * (0.5 * logvar).exp(), mu, logvar

    @staticmethod
    def _kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """KL(q(z|x,y) || N(0, I)) averaged over the batch."""
        return 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(dim=1).mean()


def check_posterior_settings(posterior_share: float, posterior_scale: float) -> None:
    """Reject posterior-draw settings that cannot sample, naming the fix."""
    if not 0.0 <= posterior_share <= 1.0 or posterior_scale < 0:
        raise ValueError(
            f"posterior_share={posterior_share} must lie in [0, 1] and posterior_scale="
            f"{posterior_scale} must be >= 0."
        )
