"""One Lightning training run for any genover module: devices, precision, early stopping,
best checkpoint, TensorBoard and the sample diagnostics."""

from __future__ import annotations

import contextlib
import logging
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from lightning import pytorch as pl
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from lightning.pytorch.loggers import TensorBoardLogger

from genover.training.batches import TabularDataModule

_QUIET = ("lightning.pytorch", "lightning.fabric", "lightning")


@dataclass(frozen=True)
class TrainSettings:
    """Trainer settings shared by every module (a sampler's ``trainer`` dict sets them).

    Training stops after ``max_steps`` optimiser steps or ``max_epochs`` epochs, whichever
    comes first (None: no limit of that kind; at least one must be set). ``epoch_steps``
    batches make one Lightning epoch (None: one pass over the training rows), so that small
    tables do not pay Lightning's per-epoch overhead for every one or two batches.
    Validation runs every ``val_every`` epochs; early stopping waits ``patience`` epochs
    without improvement and the best checkpoint is restored, unless ``select_best`` is false
    (then there is no validation at all).
    """

    max_epochs: int | None = None
    max_steps: int | None = 600
    min_epochs: int = 0
    min_steps: int | None = None
    epoch_steps: int | None = 50
    patience: int = 3
    val_every: int = 1
    select_best: bool = True
    accelerator: str = "auto"
    precision: str = "auto"
    progress_bar: str | bool = "auto"
    log_dir: str | None = None
    log_name: str = "generator"

    def __post_init__(self):
        if self.max_steps is None and self.max_epochs is None:
            raise ValueError("set a training budget: trainer.max_steps or trainer.max_epochs.")


@dataclass(frozen=True)
class TrainResult:
    """What one training run did: its length, why it stopped and its best validation score."""

    epochs: int
    steps: int
    seconds: float
    best_score: float | None
    stop_reason: str  # "early_stop" (patience ran out) or "budget" (max steps/epochs reached)
    best_epoch: int | None = None

    def outcome(self, prefix: str = "") -> dict:
        """The run as flat, recordable fields."""
        return {
            f"{prefix}epochs": self.epochs,
            f"{prefix}steps": self.steps,
            f"{prefix}stop_reason": self.stop_reason,
            f"{prefix}best_val": self.best_score,
            f"{prefix}best_epoch": self.best_epoch,
            f"{prefix}train_seconds": round(self.seconds, 3),
        }


def resolve_precision(precision: str, accelerator: str) -> str:
    """bf16 autocast on a CUDA device that supports it, full precision elsewhere."""
    if precision != "auto":
        return precision
    on_gpu = accelerator in ("auto", "gpu", "cuda") and torch.cuda.is_available()
    return "bf16-mixed" if on_gpu and torch.cuda.is_bf16_supported() else "32-true"


@contextlib.contextmanager
def _quiet_lightning():
    """Silence Lightning's per-fit banners (devices, precision) and a known deprecation."""
    loggers = [logging.getLogger(name) for name in _QUIET]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*LeafSpec.*")
            # genover's modules skip the batch transfer on purpose (models/lean.py).
            warnings.filterwarnings("ignore", message=r".*overridden `transfer_batch_to_device`.*")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def train_module(
    module: pl.LightningModule,
    data: TabularDataModule,
    settings: TrainSettings,
    seed: int,
    callbacks: Sequence[pl.Callback] = (),
) -> TrainResult:
    """Fit ``module`` on ``data``; load the best validation checkpoint back into it."""
    monitor, mode = module.monitor
    callbacks = list(callbacks)
    progress = settings.progress_bar
    progress = sys.stderr.isatty() if progress == "auto" else bool(progress)
    precision = resolve_precision(settings.precision, settings.accelerator)
    start = time.perf_counter()
    validate = settings.select_best and data.has_validation
    data.epoch_steps = settings.epoch_steps
    with tempfile.TemporaryDirectory(prefix="genover-ckpt-") as ckpt_dir, _quiet_lightning():
        checkpoint = stopper = None
        if validate:
            # Both act after each validation run only: an epoch that a step budget cuts short
            # has no fresh validation score to act on.
            checkpoint = ModelCheckpoint(
                dirpath=ckpt_dir,
                monitor=monitor,
                mode=mode,
                save_top_k=1,
                save_weights_only=True,
                save_on_train_epoch_end=False,
            )
            stopper = EarlyStopping(
                monitor=monitor,
                mode=mode,
                patience=max(1, settings.patience // settings.val_every),
                check_on_train_epoch_end=False,
            )
            callbacks += [checkpoint, stopper]
        logger = (
            TensorBoardLogger(settings.log_dir, name=settings.log_name, default_hp_metric=False)
            if settings.log_dir
            else False
        )
        trainer = pl.Trainer(
            max_epochs=-1 if settings.max_epochs is None else settings.max_epochs,
            max_steps=-1 if settings.max_steps is None else settings.max_steps,
            min_epochs=settings.min_epochs,
            min_steps=settings.min_steps,
            accelerator=settings.accelerator,
            devices=1,
            precision=precision,
            deterministic=True if not torch.cuda.is_available() else None,
            logger=logger,
            callbacks=callbacks,
            enable_progress_bar=progress,
            enable_model_summary=False,
            enable_checkpointing=checkpoint is not None,
            check_val_every_n_epoch=settings.val_every,
            num_sanity_val_steps=0,
            limit_val_batches=1.0 if validate else 0,
            log_every_n_steps=1,
            default_root_dir=ckpt_dir,
        )
        module.train()
        try:
            trainer.fit(module, datamodule=data)
        except SystemExit as stop:  # Lightning turns Ctrl-C into exit(1): keep it a Ctrl-C
            if isinstance(stop.__context__, KeyboardInterrupt):
                raise KeyboardInterrupt from None
            raise
        best = best_epoch = None
        if checkpoint is not None and checkpoint.best_model_path:
            state = torch.load(
                checkpoint.best_model_path, map_location=module.device, weights_only=True
            )
            module.load_state_dict(state["state_dict"])
            best = float(checkpoint.best_model_score)
            best_epoch = int(state.get("epoch", -1))
    module.to(trainer.strategy.root_device).eval()  # keep it on the device for sampling
    stopped = stopper is not None and stopper.stopped_epoch > 0
    return TrainResult(
        epochs=trainer.current_epoch,
        steps=trainer.global_step,
        seconds=time.perf_counter() - start,
        best_score=best,
        stop_reason="early_stop" if stopped else "budget",
        best_epoch=best_epoch,
    )
