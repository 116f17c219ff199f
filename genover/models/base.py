"""The common base of genover's class-conditional tabular generators."""

from __future__ import annotations

import dataclasses
import inspect

import torch

from genover.models.components.denoiser import DenoiserSettings, MLPDenoiser
from genover.models.components.mixed import TabularLayout
from genover.training.modules import AdamWSettings, TabularModule


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


def check_non_negative(what: str, **values: float) -> None:
    """Reject negative ``values``, naming each: ``what`` (e.g. "ARAE settings") must be >= 0."""
    negative = [f"{k}={v}" for k, v in values.items() if v < 0]
    if negative:
        raise ValueError(f"{what} must be >= 0; got {', '.join(negative)}.")


def drop_labels(y: torch.Tensor, p_uncond: float, null: int) -> torch.Tensor:
    """``y`` with each label replaced by the "no label" token ``null`` with probability
    ``p_uncond``: training an unconditional model alongside for classifier-free guidance."""
    if p_uncond <= 0:
        return y
    drop = torch.rand(y.shape, device=y.device) < p_uncond
    return torch.where(drop, torch.full_like(y, null), y)


@dataclasses.dataclass(frozen=True)
class GuidanceSettings:
    """Classifier-free guidance: the share ``p_uncond`` of training labels dropped (an
    unconditional model trained alongside), and the weight ``guidance`` at sampling (0: off)."""

    p_uncond: float = 0.1
    guidance: float = 0.0


def guided(net, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor, w: float, null: int):
    """Classifier-free guidance (Ho & Salimans 2022): ``(1 + w) net(x, t, y) - w net(x, t,
    null)``, and the conditional output ``net(x, t, y)`` it started from."""
    out = net(x, t, y)
    if w == 0:
        return out, out
    return (1 + w) * out - w * net(x, t, torch.full_like(y, null)), out


def with_settings(settings_class):
    """Class decorator for a generator whose ``__init__(self, layout, num_classes,
    **settings)`` takes the fields of the frozen dataclass ``settings_class`` as keywords:
    the class's signature shows them (names, types, defaults), as ``inspect.signature(cls)``
    and the samplers' ``model_defaults`` read them."""

    def wrap(cls):
        head = [
            p
            for name, p in inspect.signature(cls.__init__).parameters.items()
            if name != "self" and p.kind is not p.VAR_KEYWORD
        ]
        keyword = inspect.Parameter.KEYWORD_ONLY
        cls.__signature__ = inspect.Signature(
            head
            + [
                inspect.Parameter(f.name, keyword, default=f.default, annotation=f.type)
                for f in dataclasses.fields(settings_class)
            ]
        )
        cls.settings_class = settings_class
        return cls

    return wrap


class TabularGenerator(TabularModule):
    """A LightningModule over encoded rows that draws class-conditioned rows with ``sample``.

    Subclasses implement the training (and validation) steps and ``sample``. ``monitor`` names
    the validation metric (and its mode) that early stopping and checkpointing follow. A
    subclass decorated :func:`with_settings` passes its keyword settings on: they are checked
    by its settings class and saved as hparams (with ``num_classes``).
    """

    monitor: tuple[str, str] = ("val/loss", "min")
    settings_class: type | None = None
    settings = None

    def __init__(self, layout: TabularLayout, num_classes: int, **settings):
        super().__init__()
        self.layout = layout
        self.num_classes = num_classes
        if self.settings_class is not None:
            self.settings = self.settings_class(**settings)
            values = dataclasses.asdict(self.settings)
            self.save_hyperparameters({"num_classes": num_classes, **values})

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


@dataclasses.dataclass(frozen=True)
class AnchorSettings:
    """Anchored draws (:class:`RowAnchors`): the share ``anchor_share`` of draws that start
    from a real row, noised to the level ``anchor_noise``."""

    anchor_share: float = 0.0
    anchor_noise: float = 0.5


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


@dataclasses.dataclass(frozen=True)
class NoiseToDataSettings(AdamWSettings, AnchorSettings, GuidanceSettings, DenoiserSettings):
    """The settings the DDPM and the flow share: the network, guidance, anchors and AdamW."""


class NoiseToData(RowAnchors, TabularGenerator):
    """The base of the generators that move rows from noise to data along a path learnt by an
    :class:`MLPDenoiser` over (x_t, t, y) (the DDPM, the flow), with classifier-free
    guidance and anchored draws; ``settings`` are a :class:`NoiseToDataSettings`."""

    def __init__(self, layout: TabularLayout, num_classes: int, **settings):
        super().__init__(layout, num_classes, **settings)
        self._init_anchors()

    def path_loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The training loss of the rows ``x`` of classes ``y`` (subclasses implement it)."""
        raise NotImplementedError

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = self.path_loss(x, self._drop_labels(y))
        self.log_epoch_means({"train/loss": loss}, x.shape[0])
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        with torch.random.fork_rng(devices=[x.device] if x.is_cuda else []):
            torch.manual_seed(batch_idx)  # the same times and noise every epoch
            loss = self.path_loss(x, y)
        self.log("val/loss", loss, batch_size=x.shape[0])

    def _network(self) -> MLPDenoiser:
        """The (noise or velocity) network, built from the settings."""
        return MLPDenoiser(self.layout.dim, self.num_classes, self.settings)

    def _drop_labels(self, y: torch.Tensor) -> torch.Tensor:
        """Training labels with a ``p_uncond`` share dropped (see :func:`drop_labels`)."""
        return drop_labels(y, self.hparams.p_uncond, self.num_classes)

    def _guided(self, net, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor):
        """``net`` with classifier-free guidance of weight ``guidance`` (see :func:`guided`)."""
        return guided(net, x, t, y, float(self.hparams.guidance), self.num_classes)
