"""Minority fine-tuning orchestration for the generative over-samplers (the idea of SOS, Kim
et al. 2022): a further training stage on the over-sampled classes, kept only if it beats its
start on those classes' own validation loss."""

from __future__ import annotations

import dataclasses

import torch

from genover.training import TabularDataModule, TrainSettings, train_module
from genover.training.loop import TrainResult

#: What each ``finetune`` key means when the dict leaves it out.
FINETUNE_DEFAULTS = {"steps": 200, "lr": 1e-4, "push": 1.0, "margin": 1.0}
_VAL_BATCH = 4096  # as TabularDataModule.val_dataloader: the start is scored like each epoch


@dataclasses.dataclass(frozen=True)
class FineTuneRun:
    """What the stage did: its training run, whether its weights were kept, and the own-class
    validation loss at its start and at its best."""

    result: TrainResult
    kept: bool
    start: float | None
    best: float | None

    def outcome(self) -> dict:
        """The stage as flat, recordable fields."""
        return {
            "finetune": True,
            "finetune_steps": self.result.steps,
            "finetune_stop_reason": self.result.stop_reason,
            "finetune_best_val": self.best,
            "finetune_start_val": self.start,
            "finetune_kept": bool(self.kept),
        }


def finetune_settings(finetune: dict | None, module_class, owner: str) -> dict | None:
    """``finetune`` with its defaults filled in (None: off); bad keys are rejected."""
    if finetune is None:
        return None
    unknown = sorted(set(finetune) - set(FINETUNE_DEFAULTS))
    if unknown:
        raise ValueError(
            f"unknown finetune settings {unknown}; known: {sorted(FINETUNE_DEFAULTS)}."
        )
    if not hasattr(module_class, "finetune_loss"):
        raise ValueError(
            f"finetune is DDPM-only: {owner}'s generator has no finetune_loss. Set "
            "finetune=None (sampler.finetune=null)."
        )
    options = {**FINETUNE_DEFAULTS, **finetune}
    if int(options["steps"]) < 1 or float(options["lr"]) <= 0 or float(options["push"]) < 0:
        raise ValueError(f"finetune needs steps >= 1, lr > 0 and push >= 0; got {options}.")
    return options


def finetune_minority(
    module,
    data: TabularDataModule,
    classes: list[int],
    options: dict,
    settings: TrainSettings,
    seed: int,
    batch_size: int,
    class_balance: float,
) -> FineTuneRun:
    """Fine-tune ``module`` on the training rows of ``classes`` in ``data``; restore its
    start unless the stage beats it on the classes' own validation loss."""
    from genover.models.finetune import MinorityFineTune

    own = torch.isin(data.y_all, torch.as_tensor(classes))
    train = ~data.val_mask
    stage = MinorityFineTune(
        module,
        data.x_all[train],
        data.y_all[train],
        classes,
        lr=float(options["lr"]),
        push=float(options["push"]),
        margin=float(options["margin"]),
    )
    rows = TabularDataModule(
        data.x_all[own],
        data.y_all[own],
        batch_size,
        0.0,
        seed,
        class_balance,
        val_mask=data.val_mask[own].numpy(),
    )
    start_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
    start = _own_val_loss(stage, rows) if rows.has_validation else None
    fine = dataclasses.replace(
        settings,
        max_steps=int(options["steps"]),
        max_epochs=None,
        min_epochs=0,
        min_steps=None,
        log_name=f"{settings.log_name}_finetune",
    )
    result = train_module(stage, rows, fine, seed)
    best = result.best_score
    kept = start is None or (best is not None and best < start)
    if not kept:
        module.load_state_dict(start_state)
    module.eval()
    return FineTuneRun(result, kept, start, best)


@torch.no_grad()
def _own_val_loss(stage, rows: TabularDataModule) -> float:
    """The fine-tuning stage's ``val/loss`` of its current weights, batch for batch as its
    validation computes it (a size-weighted mean over the same batches and seeds)."""
    stage.eval()
    device = stage.generator.device
    stage.to(device)
    x, y = rows.x_all[rows.val_mask].to(device), rows.y_all[rows.val_mask].to(device)
    total = 0.0
    for i, at in enumerate(range(0, len(x), _VAL_BATCH)):
        xb, yb = x[at : at + _VAL_BATCH], y[at : at + _VAL_BATCH]
        total += float(stage.own_loss(xb, yb, i)) * len(xb)
    return total / len(x)
