"""Sample diagnostics logged while a generator trains."""

from __future__ import annotations

import torch
from lightning import pytorch as pl


def rbf_mmd(a: torch.Tensor, b: torch.Tensor, scales=(0.5, 1.0, 2.0)) -> torch.Tensor:
    """Squared MMD (biased V-statistic) with RBF kernels at multiples of the median distance."""
    pooled = torch.cat([a, b]).float()
    d2 = torch.cdist(pooled, pooled).pow(2)
    median = d2[d2 > 0].median() if (d2 > 0).any() else d2.new_tensor(1.0)
    kernel = sum(torch.exp(-d2 / (s * median)) for s in scales) / len(scales)
    n = a.shape[0]
    return kernel[:n, :n].mean() + kernel[n:, n:].mean() - 2 * kernel[:n, n:].mean()


@torch.no_grad()
def validation_mmd(
    module, val_x: torch.Tensor, val_y: torch.Tensor, seed: int = 0, max_rows: int = 256
) -> torch.Tensor:
    """Mean over classes of the MMD between generated rows and held-out real rows."""
    generator = torch.Generator(device=module.device).manual_seed(seed)
    val_x, val_y = val_x.to(module.device), val_y.to(module.device)
    scores = []
    for c in torch.unique(val_y).tolist():
        real = val_x[val_y == c][:max_rows]
        scores.append(rbf_mmd(module.sample(real.shape[0], int(c), generator), real))
    return torch.stack(scores).mean()


class SampleDiagnostics(pl.Callback):
    """Logs ``val/mmd``: per class, MMD between generated and held-out real encoded rows.

    The mean over the classes present in the validation split (each class weighs the same,
    so minority classes count as much as the majority). Draws use a fixed seed, so epochs
    are compared on the same noise. Drawing rows costs a full sampling pass (50 denoiser
    calls for the DDPM), so a module that does not select on it gets it every ``every``-th
    validation only.
    """

    def __init__(self, max_rows: int = 256, seed: int = 0, every: int = 5):
        self.max_rows = max_rows
        self.seed = seed
        self.every = every
        self.runs = 0

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module) -> None:
        dm = trainer.datamodule
        if dm is None or not getattr(dm, "has_validation", False):
            return
        self.runs += 1
        selects_on_it = pl_module.monitor[0] == "val/mmd"
        if not selects_on_it and (self.runs - 1) % self.every:
            return
        score = validation_mmd(pl_module, dm.val_x, dm.val_y, self.seed, self.max_rows)
        pl_module.log("val/mmd", score)
