"""One Lightning training run for any genover module: devices, precision, early stopping,
best checkpoint, TensorBoard and the sample diagnostics."""

from __future__ import annotations

import contextlib
import logging
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass

import torch
from lightning import pytorch as pl
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from lightning.pytorch.loggers import TensorBoardLogger

from genover.models.base import TabularGenerator
from genover.models.datamodule import TabularDataModule
from genover.models.diagnostics import SampleDiagnostics

_QUIET = ("lightning.pytorch", "lightning.fabric", "lightning")


@dataclass(frozen=True)
class TrainSettings:
    """Trainer settings shared by every generator (set from a sampler's ``trainer`` dict)."""

    max_epochs: int = 300
    min_epochs: int = 0
    patience: int = 30
    val_every: int = 5
    accelerator: str = "auto"
    precision: str = "auto"
    progress_bar: str | bool = "auto"
    log_dir: str | None = None
    log_name: str = "generator"


@dataclass(frozen=True)
class TrainResult:
    epochs: int
    seconds: float
    best_score: float | None


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
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def train_module(
    module: pl.LightningModule, data: TabularDataModule, settings: TrainSettings, seed: int
) -> TrainResult:
    """Fit ``module`` on ``data``; load the best validation checkpoint back into it."""
    monitor, mode = module.monitor
    callbacks: list[pl.Callback] = []
    if isinstance(module, TabularGenerator):
        callbacks.append(SampleDiagnostics(seed=seed))
    progress = settings.progress_bar
    progress = sys.stderr.isatty() if progress == "auto" else bool(progress)
    precision = resolve_precision(settings.precision, settings.accelerator)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="genover-ckpt-") as ckpt_dir, _quiet_lightning():
        checkpoint = None
        if data.has_validation:
            checkpoint = ModelCheckpoint(
                dirpath=ckpt_dir, monitor=monitor, mode=mode, save_top_k=1, save_weights_only=True
            )
            callbacks += [
                checkpoint,
                EarlyStopping(
                    monitor=monitor,
                    mode=mode,
                    patience=max(1, settings.patience // settings.val_every),
                ),
            ]
        logger = (
            TensorBoardLogger(settings.log_dir, name=settings.log_name, default_hp_metric=False)
            if settings.log_dir
            else False
        )
        trainer = pl.Trainer(
            max_epochs=settings.max_epochs,
            min_epochs=settings.min_epochs,
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
            limit_val_batches=1.0 if data.has_validation else 0,
            log_every_n_steps=1,
            default_root_dir=ckpt_dir,
        )
        module.train()
        trainer.fit(module, datamodule=data)
        best = None
        if checkpoint is not None and checkpoint.best_model_path:
            state = torch.load(
                checkpoint.best_model_path, map_location=module.device, weights_only=True
            )
            module.load_state_dict(state["state_dict"])
            best = float(checkpoint.best_model_score)
    module.to(trainer.strategy.root_device).eval()  # keep it on the device for sampling
    return TrainResult(trainer.current_epoch, time.perf_counter() - start, best)
