"""The common base of genover's class-conditional tabular generators."""

from __future__ import annotations

import torch

from genover.models.components.mixed import TabularLayout
from genover.training.modules import TabularModule


def anchor_index(y: torch.Tensor, classes, lever: str) -> dict[int, torch.Tensor]:
    """The indices into ``y`` of each of ``classes``' rows (every class if None); a class
    with none is an error naming ``lever``, the setting that turns anchored draws off."""
    wanted = y.unique().tolist() if classes is None else [int(c) for c in classes]
    out = {}
    for c in wanted:
        index = torch.nonzero(y == c).flatten()
        if len(index) == 0:
            raise ValueError(
                f"class {c} has no training rows to anchor draws on; give it rows or set "
                f"model.{lever}=0."
            )
        out[int(c)] = index
    return out


def drop_labels(y: torch.Tensor, p_uncond: float, null: int) -> torch.Tensor:
    """``y`` with each label replaced by the "no label" token ``null`` with probability
    ``p_uncond``: training an unconditional model alongside for classifier-free guidance."""
    if p_uncond <= 0:
        return y
    drop = torch.rand(y.shape, device=y.device) < p_uncond
    return torch.where(drop, torch.full_like(y, null), y)


def guided(net, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor, w: float, null: int):
    """Classifier-free guidance (Ho & Salimans 2022): ``(1 + w) net(x, t, y) - w net(x, t,
    null)``, and the conditional output ``net(x, t, y)`` it started from."""
    out = net(x, t, y)
    if w == 0:
        return out, out
    return (1 + w) * out - w * net(x, t, torch.full_like(y, null)), out


class TabularGenerator(TabularModule):
    """A LightningModule over encoded rows that draws class-conditioned rows with ``sample``.

    Subclasses implement the training (and validation) steps and ``sample``. ``monitor`` names
    the validation metric (and its mode) that early stopping and checkpointing follow.
    """

    monitor: tuple[str, str] = ("val/loss", "min")

    def __init__(self, layout: TabularLayout, num_classes: int):
        super().__init__()
        self.layout = layout
        self.num_classes = num_classes

    def labels(self, n: int, y: int | torch.Tensor) -> torch.Tensor:
        """``y`` as a long tensor of ``n`` labels on this module's device."""
        if isinstance(y, torch.Tensor):
            return y.to(self.device, torch.long)
        if not 0 <= int(y) < self.num_classes:
            raise ValueError(f"class {y} is outside 0..{self.num_classes - 1}.")
        return torch.full((n,), int(y), device=self.device, dtype=torch.long)

    def fit_anchors(
        self, x: torch.Tensor, y: torch.Tensor, classes: list[int] | None = None
    ) -> None:
        """Called once after training with the generator's real (encoded) training rows and
        their labels; a generator whose sampling uses them (the CVAE's aggregate posterior)
        keeps what it needs for ``classes`` (None: every class). The default keeps nothing."""

    def sample_with_anchors(
        self, n: int, y: int | torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``sample`` plus, per row, the index (into ``fit_anchors``' rows) of the real row the
        draw started from, -1 where it started from noise. The default anchors nothing."""
        rows = self.sample(n, y, generator)
        return rows, torch.full((rows.shape[0],), -1, dtype=torch.long, device=rows.device)

    def sample(
        self, n: int, y: int | torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """``n`` encoded rows of class ``y`` (an int or a tensor of ``n`` labels)."""
        raise NotImplementedError


class AnchoredDraws:
    """Mixin for a generator whose draws may start from real rows: it implements
    ``sample_with_anchors``, and ``sample`` is that without the anchors."""

    @torch.no_grad()
    def sample(self, n, y, generator=None):
        return self.sample_with_anchors(n, y, generator)[0]


class RowAnchors(AnchoredDraws):
    """Mixin for the generators that move a row from noise to data (the DDPM, the flow): an
    ``anchor_share`` of the draws start instead from a real training row of the class, partly
    noised, and each draw names its row (``sample_with_anchors``).

    The subclass implements ``_from_noise(noise, labels, generator)`` (the full path) and
    ``_from_anchors(rows, noise, labels, generator)`` (the partial path from real rows, with
    the noise drawn for them); categorical blocks of either are snapped to one-hot. Call
    :meth:`_init_anchors` in ``__init__``.
    """

    def _init_anchors(self) -> None:
        self._anchors: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self._anchored = False  # set by fit_anchors: from then on every draw class needs them

    @torch.no_grad()
    def fit_anchors(self, x: torch.Tensor, y: torch.Tensor, classes=None) -> None:
        """Keep the real training rows of ``classes`` (every class if None), with their
        indices into ``x``, for anchored draws."""
        self._anchors = {}
        self._anchored = self.hparams.get("anchor_share", 0.0) > 0
        if not self._anchored:
            return
        x, y = x.to(self.device, torch.float32), y.to(self.device, torch.long)
        for c, index in anchor_index(y, classes, "anchor_share").items():
            self._anchors[int(c)] = (x[index], index)

    @torch.no_grad()
    def sample_with_anchors(self, n, y, generator=None):
        labels = self.labels(n, y)
        noise = torch.randn((len(labels), self.layout.dim), generator=generator, device=self.device)
        anchors = torch.full((len(labels),), -1, dtype=torch.long, device=self.device)
        share = float(self.hparams.get("anchor_share", 0.0))
        if not (share > 0 and self._anchored):
            return self.layout.snap_categories(self._from_noise(noise, labels, generator)), anchors
        use = torch.rand(len(labels), generator=generator, device=self.device) < share
        out = torch.empty_like(noise)
        if (~use).any():
            out[~use] = self._from_noise(noise[~use], labels[~use], generator)
        if use.any():
            rows, anchors[use] = self._pick_anchors(labels[use], generator)
            out[use] = self._from_anchors(rows, noise[use], labels[use], generator)
        return self.layout.snap_categories(out), anchors

    def _pick_anchors(self, labels: torch.Tensor, generator) -> tuple[torch.Tensor, torch.Tensor]:
        """A real row of each label's class, drawn at random, and its index."""
        x0 = torch.empty((len(labels), self.layout.dim), device=self.device)
        anchors = torch.empty(len(labels), dtype=torch.long, device=self.device)
        for c in labels.unique().tolist():
            if int(c) not in self._anchors:
                raise ValueError(
                    f"class {c} has no anchors: they are kept for the classes the sampler "
                    f"over-samples ({sorted(self._anchors)}); sample one of those, or set "
                    "model.anchor_share=0 to draw from noise."
                )
            rows = torch.nonzero(labels == c).flatten()
            pool, index = self._anchors[int(c)]
            pool, index = pool.to(self.device), index.to(self.device)  # if moved after the fit
            pick = torch.randint(len(pool), (len(rows),), generator=generator, device=self.device)
            x0[rows], anchors[rows] = pool[pick], index[pick]
        return x0, anchors
