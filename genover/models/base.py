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
