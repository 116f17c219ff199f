"""Per-epoch class sampling schedules for training batches."""

from __future__ import annotations

import torch

from genover.training.weights import row_weights

SAMPLING = ("instance", "class_balanced", "curriculum")


class ClassSampling:
    """Row weights for each epoch, given the training labels.

    ``instance``: every row equally (natural class frequencies). ``class_balanced``: every
    class equally. ``curriculum`` (dynamic sampling, Pouyanfar et al. 2018): class
    probabilities move from uniform towards the natural distribution, with a_t = t / T:
    p_c(t) = (1 - a_t) / C + a_t * pi_c.
    """

    def __init__(self, y: torch.Tensor, mode: str, total_epochs: int, offset: int = 0):
        if mode not in SAMPLING:
            raise ValueError(f"sampling={mode!r}; use one of {SAMPLING}.")
        self.y = y
        self.mode = mode
        self.total_epochs = max(1, total_epochs)
        self.offset = offset
        counts = torch.bincount(y).double()
        self.prior = counts / counts.sum()
        self.counts = counts.clamp(min=1)

    def class_probabilities(self, epoch: int) -> torch.Tensor:
        uniform = torch.full_like(self.prior, 1.0 / len(self.prior))
        if self.mode == "instance":
            return self.prior
        if self.mode == "class_balanced":
            return uniform
        a = min(1.0, epoch / self.total_epochs)
        return (1 - a) * uniform + a * self.prior

    def __call__(self, epoch: int) -> torch.Tensor | None:
        """Row weights for the stage's ``epoch`` (None: a plain permutation); a later
        training stage passes its first epoch's number as ``offset``."""
        if self.mode == "instance":
            return None
        return row_weights(self.y, self.class_probabilities(epoch + self.offset))

    @classmethod
    def schedule(cls, mode: str, total_epochs: int, offset: int = 0):
        """A ``TabularDataModule`` ``sampling`` argument: training labels -> this schedule."""
        return lambda y: cls(y, mode, total_epochs, offset)
