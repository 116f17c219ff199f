"""Class-balanced losses for imbalanced classification.

Every loss is an ``nn.Module`` built from the training class counts. Weights and margins are
buffers, so a loss moves with its model to any device. Each loss maps the network's raw
outputs to training logits in ``forward`` and to inference logits in :meth:`logits`
(balanced softmax drops its prior at inference; the cosine losses scale cosines by ``s``).
Any loss can defer its class weights (DRW, Cao et al. 2019) until ``drw_fraction`` of the
epochs have passed.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

WEIGHTINGS = ("none", "inverse", "sqrt_inverse", "effective_number")


def class_weights(counts: Sequence[int], scheme: str = "none", beta: float = 0.999) -> torch.Tensor:
    """Per-class weights normalised to sum to C.

    ``inverse``: N / N_c; ``sqrt_inverse``: 1 / sqrt(N_c); ``effective_number`` (Cui et al.
    2019): (1 - beta) / (1 - beta ** N_c); ``none``: all ones.
    """
    n = torch.as_tensor(counts, dtype=torch.float64).clamp(min=1)
    if scheme == "none":
        w = torch.ones_like(n)
    elif scheme == "inverse":
        w = n.sum() / n
    elif scheme == "sqrt_inverse":
        w = n.rsqrt()
    elif scheme == "effective_number":
        if not 0 <= beta < 1:
            raise ValueError(f"effective_number needs 0 <= beta < 1; got beta={beta}.")
        w = (1 - beta) / (1 - torch.pow(torch.tensor(beta, dtype=torch.float64), n))
    else:
        raise ValueError(f"unknown weighting {scheme!r}; use one of {WEIGHTINGS}.")
    return (w * len(n) / w.sum()).float()


class ClassBalancedLoss(nn.Module):
    """Base: class counts, a weighting scheme and optional deferred re-weighting (DRW).

    With ``drw_fraction`` set, the weights are all ones until ``set_epoch`` reports that
    ``drw_fraction`` of the epochs have passed, then the scheme's weights apply.
    """

    needs_cosine_head = False

    def __init__(
        self,
        counts: Sequence[int],
        weighting: str = "none",
        beta: float = 0.999,
        drw_fraction: float | None = None,
    ):
        super().__init__()
        self.register_buffer("counts", torch.as_tensor(counts, dtype=torch.float32))
        self.register_buffer("class_weight", class_weights(counts, weighting, beta))
        self.drw_fraction = drw_fraction
        self.weights_on = drw_fraction is None

    @property
    def num_classes(self) -> int:
        return int(self.counts.numel())

    def set_epoch(self, epoch: int, max_epochs: int) -> None:
        """Switch deferred weights on once ``drw_fraction`` of the epochs have passed."""
        if self.drw_fraction is not None:
            self.weights_on = epoch >= int(self.drw_fraction * max_epochs)

    def active_weight(self) -> torch.Tensor | None:
        return self.class_weight if self.weights_on else None

    def logits(self, raw: torch.Tensor) -> torch.Tensor:
        """Inference logits from the network's raw outputs."""
        return raw

    def forward(self, raw: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(self.logits(raw), y, weight=self.active_weight())


class CrossEntropyLoss(ClassBalancedLoss):
    """Cross-entropy, optionally class-weighted (``weighting``: inverse, sqrt_inverse,
    effective_number)."""


class FocalLoss(ClassBalancedLoss):
    """Focal loss (Lin et al. 2017): -alpha_t (1 - p_t) ** gamma log p_t.

    Binary problems use the sigmoid form on the logit margin z_1 - z_0, where ``alpha`` (a
    float) weighs the minority class and 1 - alpha the majority. Multiclass problems use the
    softmax form, with ``alpha`` None or one value per class. ``weighting`` multiplies in class
    weights: effective-number weights give the class-balanced focal loss (Cui et al. 2019),
    any other scheme a cost-sensitive hybrid.
    """

    def __init__(
        self,
        counts: Sequence[int],
        gamma: float = 2.0,
        alpha: float | Sequence[float] | None = None,
        weighting: str = "none",
        beta: float = 0.999,
        drw_fraction: float | None = None,
    ):
        super().__init__(counts, weighting, beta, drw_fraction)
        self.gamma = gamma
        self.register_buffer("alpha", self._alpha_vector(alpha, counts))

    @staticmethod
    def _alpha_vector(alpha, counts) -> torch.Tensor:
        k = len(counts)
        if alpha is None:
            return torch.ones(k)
        if isinstance(alpha, (int, float)):
            if k != 2:
                raise ValueError("a scalar focal alpha is for binary problems; give one per class.")
            minority = int(torch.as_tensor(counts).argmin())
            vec = torch.full((2,), 1.0 - float(alpha))
            vec[minority] = float(alpha)
            return vec
        if len(alpha) != k:
            raise ValueError(f"focal alpha has {len(alpha)} values for {k} classes.")
        return torch.as_tensor(alpha, dtype=torch.float32)

    def _log_pt(self, raw: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.num_classes == 2:
            margin = raw[:, 1] - raw[:, 0]
            return F.logsigmoid(torch.where(y == 1, margin, -margin))
        return F.log_softmax(raw, dim=1).gather(1, y[:, None]).squeeze(1)

    def forward(self, raw: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        log_pt = self._log_pt(raw.float(), y)
        pt = log_pt.exp()
        loss = -self.alpha[y] * (1 - pt).clamp(min=0).pow(self.gamma) * log_pt
        weight = self.active_weight()
        if weight is None:
            return loss.mean()
        return (weight[y] * loss).sum() / weight[y].sum()


class BalancedSoftmaxLoss(ClassBalancedLoss):
    """Balanced softmax (Ren et al. 2020): CE on logits + log(prior) in training; plain
    logits at inference."""

    def __init__(self, counts: Sequence[int], drw_fraction: float | None = None):
        super().__init__(counts, "none", 0.999, drw_fraction)
        prior = self.counts.clamp(min=1) / self.counts.clamp(min=1).sum()
        self.register_buffer("log_prior", prior.log())

    def forward(self, raw: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(raw + self.log_prior, y, weight=self.active_weight())


class _CosineMarginLoss(ClassBalancedLoss):
    """Shared by LDAM and LMCL: raw outputs are cosines, scaled by ``s``, with per-class
    additive margins subtracted from the true class in training."""

    needs_cosine_head = True

    def __init__(
        self,
        counts,
        margins: torch.Tensor,
        s: float,
        weighting: str,
        beta: float,
        drw_fraction: float | None,
    ):
        super().__init__(counts, weighting, beta, drw_fraction)
        self.s = s
        self.register_buffer("margins", margins.float())

    def logits(self, raw: torch.Tensor) -> torch.Tensor:
        return self.s * raw

    def forward(self, raw: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        shifted = raw - F.one_hot(y, self.num_classes) * self.margins[y][:, None]
        return F.cross_entropy(self.s * shifted, y, weight=self.active_weight())


class LDAMLoss(_CosineMarginLoss):
    """LDAM (Cao et al. 2019): margins proportional to N_c ** -1/4, the largest equal to
    ``max_margin``. Pair with DRW via ``drw_fraction`` (effective-number weights by default)."""

    def __init__(
        self,
        counts: Sequence[int],
        max_margin: float = 0.5,
        s: float = 30.0,
        drw_fraction: float | None = 0.8,
        weighting: str = "effective_number",
        beta: float = 0.9999,
    ):
        n = torch.as_tensor(counts, dtype=torch.float64).clamp(min=1)
        raw = n.pow(-0.25)
        super().__init__(counts, raw * (max_margin / raw.max()), s, weighting, beta, drw_fraction)


class LargeMarginCosineLoss(_CosineMarginLoss):
    """Large-margin cosine loss (CosFace, Wang et al. 2018) with class-balanced margins
    m_c = m0 * (N_max / N_c) ** alpha."""

    def __init__(
        self,
        counts: Sequence[int],
        m0: float = 0.1,
        alpha: float = 0.25,
        s: float = 30.0,
        weighting: str = "none",
        beta: float = 0.999,
        drw_fraction: float | None = None,
    ):
        n = torch.as_tensor(counts, dtype=torch.float64).clamp(min=1)
        super().__init__(counts, m0 * (n.max() / n).pow(alpha), s, weighting, beta, drw_fraction)


LOSSES = {
    "ce": CrossEntropyLoss,
    "focal": FocalLoss,
    "balanced_softmax": BalancedSoftmaxLoss,
    "ldam": LDAMLoss,
    "lmcl": LargeMarginCosineLoss,
}
