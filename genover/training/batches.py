"""Tabular tensors kept whole on the training device and batched by index."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from lightning import pytorch as pl

from genover.training.weights import row_weights, tilted_shares


class TensorBatches:
    """An iterable of index-drawn batches over tensors that already live on one device.

    No DataLoader workers and no per-batch host-to-device copies: each epoch draws indices
    on the device and slices the resident tensors. An epoch is ``steps`` batches (None: one
    pass over the ``n`` rows). With ``weights`` (a tensor, or a function of the epoch number
    returning one or None) its rows are drawn with replacement in proportion to them;
    otherwise they are successive permutations.
    """

    def __init__(
        self,
        tensors: tuple[torch.Tensor, ...],
        batch_size: int,
        shuffle: bool,
        seed: int,
        weights: torch.Tensor | Callable[[int], torch.Tensor | None] | None = None,
        steps: int | None = None,
    ):
        self.tensors = tensors
        self.n = int(tensors[0].shape[0])
        self.batch_size = max(1, min(int(batch_size), self.n))
        self.rows_per_epoch = int(steps) * self.batch_size if steps else self.n
        self.steps = -(-self.rows_per_epoch // self.batch_size)
        self.shuffle = shuffle
        self.weights = weights
        self.epoch = 0
        device = tensors[0].device
        self.generator = torch.Generator(device=device).manual_seed(int(seed))

    def __len__(self) -> int:
        return self.steps

    def _order(self, device: torch.device) -> torch.Tensor:
        weights = self.weights(self.epoch) if callable(self.weights) else self.weights
        self.epoch += 1
        total = self.rows_per_epoch
        if weights is not None:
            return torch.multinomial(weights.to(device), total, True, generator=self.generator)
        if not self.shuffle:
            return torch.arange(self.n, device=device)
        passes = -(-total // self.n)
        perms = [torch.randperm(self.n, generator=self.generator, device=device)]
        perms += [
            torch.randperm(self.n, generator=self.generator, device=device)
            for _ in range(passes - 1)
        ]
        return torch.cat(perms)[:total]

    def __iter__(self):
        order = self._order(self.tensors[0].device)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            yield tuple(t[idx] for t in self.tensors)


#: Held-out rows per class at most: enough to score a model, and validation (run every
#: epoch) then costs the same on a million-row table as on a hundred-thousand-row one.
MAX_HOLDOUT_PER_CLASS = 5000


def stratified_holdout(
    y: np.ndarray, fraction: float, seed: int, cap: int | None = MAX_HOLDOUT_PER_CLASS
) -> np.ndarray:
    """A boolean mask of validation rows: ``fraction`` of each class with at least 4 rows,
    at most ``cap`` rows of a class (the rest of a large class stays in training)."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(y), dtype=bool)
    if fraction <= 0:
        return mask
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        take = int(round(fraction * len(rows))) if len(rows) >= 4 else 0
        take = take if cap is None else min(take, cap)
        mask[rng.choice(rows, size=take, replace=False)] = True
    return mask


class TabularDataModule(pl.LightningDataModule):
    """Encoded rows and labels with a stratified validation split, moved once to the device.

    ``class_balance`` tilts training batches towards rare classes: a row of class c is drawn
    with probability proportional to n_c ** -class_balance (0 = natural frequencies, 1 =
    every class equally often). A conditional model p(x | y) is unchanged by this; rare
    classes simply get more of its training signal. ``sampling`` instead maps the training
    labels to row weights per epoch (see :class:`genover.classifiers.sampling.ClassSampling`).
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int,
        val_fraction: float,
        seed: int,
        class_balance: float = 0.0,
        sampling: Callable[[torch.Tensor], Callable[[int], torch.Tensor | None]] | None = None,
        val_mask: np.ndarray | None = None,
    ):
        super().__init__()
        self.class_balance = class_balance
        self.sampling = sampling
        # np.require copies a read-only input (torch warns on sharing one)
        self.x_all = torch.as_tensor(np.require(x, requirements="W"), dtype=torch.float32)
        self.y_all = torch.as_tensor(np.require(y, requirements="W"), dtype=torch.long)
        self.batch_size = batch_size
        self.seed = seed
        self.epoch_steps: int | None = None  # batches per epoch; set by the training settings
        if val_mask is None:
            val_mask = stratified_holdout(np.asarray(y), val_fraction, seed)
        self.val_mask = torch.as_tensor(np.asarray(val_mask, dtype=bool))

    @property
    def has_validation(self) -> bool:
        return bool(self.val_mask.any())

    def setup(self, stage: str | None = None) -> None:
        device = self.trainer.strategy.root_device if self.trainer else torch.device("cpu")
        x, y = self.x_all.to(device), self.y_all.to(device)
        keep = self.val_mask.to(device)
        self.train_x, self.train_y = x[~keep], y[~keep]
        self.val_x, self.val_y = x[keep], y[keep]

    def train_weights(self):
        if self.sampling is not None:
            return self.sampling(self.train_y)
        if self.class_balance <= 0:
            return None
        return row_weights(self.train_y, tilted_shares(self.train_y, self.class_balance))

    def train_dataloader(self):
        return TensorBatches(
            (self.train_x, self.train_y),
            self.batch_size,
            True,
            self.seed,
            self.train_weights(),
            self.epoch_steps,
        )

    def val_dataloader(self):
        if not self.has_validation:
            return []
        return TensorBatches((self.val_x, self.val_y), 4096, False, self.seed)
