"""Mixins that keep Lightning's per-step overhead off small tabular fits.

On a table of a few hundred rows one optimiser step costs a few milliseconds; Lightning's
per-batch device walk and each per-step ``self.log`` cost about a millisecond more apiece.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from lightning import pytorch as pl


class ResidentBatches:
    """Batches of :class:`genover.training.batches.TensorBatches` already sit on the
    device, so Lightning's per-batch walk to move them there is skipped."""

    def transfer_batch_to_device(self, batch, device, dataloader_idx):
        if isinstance(batch, tuple) and all(
            isinstance(t, torch.Tensor) and t.device == device for t in batch
        ):
            return batch
        return super().transfer_batch_to_device(batch, device, dataloader_idx)


class EpochMeans:
    """Training-step values are summed on the device (no host sync per step) and logged
    once per epoch as batch-size-weighted means, instead of one ``self.log`` per step."""

    def log_epoch_means(self, values: dict[str, torch.Tensor], batch_size: int) -> None:
        sums = self.__dict__.setdefault("_epoch_sums", {})
        for key, value in values.items():
            value = value.detach().float() * batch_size
            sums[key] = sums[key] + value if key in sums else value
        self.__dict__["_epoch_rows"] = self.__dict__.get("_epoch_rows", 0) + batch_size

    def on_train_epoch_end(self) -> None:
        sums = self.__dict__.pop("_epoch_sums", {})
        rows = self.__dict__.pop("_epoch_rows", 0)
        if rows:
            self.log_dict({key: total / rows for key, total in sums.items()})


class LeanSteps(ResidentBatches, EpochMeans):
    """Both of the above, for every genover LightningModule."""


@dataclass(frozen=True)
class AdamSettings:
    """A module's learning rate (a generator sampler sets it from its own ``lr``)."""

    lr: float = 1e-3


@dataclass(frozen=True)
class AdamWSettings(AdamSettings):
    """The learning rate and weight decay of :class:`TabularModule`'s AdamW."""

    weight_decay: float = 1e-5


class TabularModule(LeanSteps, pl.LightningModule):
    """The base of every genover LightningModule: lean steps, and AdamW on its trainable
    parameters with the ``lr`` and ``weight_decay`` of its saved hyper-parameters."""

    def configure_optimizers(self):
        params = [p for p in self.parameters() if p.requires_grad]
        # foreach: one multi-tensor update instead of a Python loop over the parameters (on
        # the CPU torch defaults to the loop); the same arithmetic, so the same weights.
        return torch.optim.AdamW(
            params, lr=self.hparams.lr, weight_decay=self.hparams.weight_decay, foreach=True
        )
