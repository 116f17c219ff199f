"""Posterior draws: codes around real rows' posterior means, shared by the VAE-family
generators (the CVAE, the VAEGAN)."""

from __future__ import annotations

import torch

from genover.models.base import anchor_index


class PosteriorDraws:
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
    def sample(self, n, y, generator=None):
        return self.sample_with_anchors(n, y, generator)[0]

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
