"""SCARF (Bahri et al. 2022): contrastive pre-training of the MLP's features on randomly
corrupted views of the training rows, without labels.

Each row gets a corrupted view in which ``round(corruption_rate * d)`` of its features, chosen
at random, are replaced by the same feature's value in a random training row (a draw from that
feature's empirical marginal). The encoder (the classifier's own feature extractor) and a small
projection head are trained with InfoNCE so that a row's clean embedding is closest to its own
corrupted view among the batch. The projection head is then dropped and the supervised stage
starts from the pre-trained features.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from genover.training.batches import TabularDataModule
from genover.training.loop import TrainResult, TrainSettings, train_module
from genover.training.modules import TabularModule


def corrupt(x: torch.Tensor, pool: torch.Tensor, rate: float) -> torch.Tensor:
    """``x`` with ``round(rate * d)`` distinct features of every row replaced by the same
    column's value in a random row of ``pool`` (the feature's empirical marginal)."""
    n, d = x.shape
    k = int(round(rate * d))
    if k == 0:
        return x.clone()
    chosen = torch.rand(n, d, device=x.device).argsort(dim=1)[:, :k]
    mask = torch.zeros(n, d, dtype=torch.bool, device=x.device).scatter_(1, chosen, True)
    donors = torch.randint(len(pool), (n, d), device=x.device)
    marginal = pool[donors, torch.arange(d, device=x.device)]
    return torch.where(mask, marginal, x)


def info_nce(anchor: torch.Tensor, positive: torch.Tensor, temperature: float) -> torch.Tensor:
    """InfoNCE in SCARF's one-directional form: row i's clean embedding must pick its own
    corrupted view among the batch's corrupted views, with cosine similarity / temperature:
    mean_i -log softmax_k(cos(a_i, p_k) / t)[i]."""
    a = F.normalize(anchor.float(), dim=1)
    p = F.normalize(positive.float(), dim=1)
    logits = a @ p.T / temperature
    return F.cross_entropy(logits, torch.arange(len(a), device=a.device))


class SCARFNet(TabularModule):
    """The classifier's encoder plus a projection head, trained with InfoNCE on corrupted
    views. ``pool`` holds the rows whose columns give the marginal draws (the training rows).

    It trains a fixed number of epochs with no model selection (``select_best=False``): a
    held-out contrastive loss would take rows, scarce in the minority, away from the
    supervised stage and would say little about the features' use for it. The mean training
    loss of every epoch is kept in ``epoch_losses``.
    """

    monitor = ("pretrain/loss", "min")  # logged only; nothing is selected on it

    def __init__(
        self,
        encoder: nn.Module,
        width: int,
        pool: np.ndarray,
        corruption_rate: float = 0.6,
        temperature: float = 1.0,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
    ):
        super().__init__()
        self.save_hyperparameters(ignore=["encoder", "pool"])  # lr, weight_decay: the optimiser
        self.encoder = encoder
        self.projection = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width))
        self.register_buffer("pool", torch.as_tensor(pool, dtype=torch.float32), persistent=False)
        self.corruption_rate = corruption_rate
        self.temperature = temperature
        self.epoch_losses: list[float] = []

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.projection(self.encoder(x))

    def contrastive_loss(self, x: torch.Tensor) -> torch.Tensor:
        view = corrupt(x, self.pool, self.corruption_rate)
        return info_nce(self.embed(x), self.embed(view), self.temperature)

    def training_step(self, batch, batch_idx):
        x = batch[0]
        loss = self.contrastive_loss(x)
        self.log_epoch_means({"pretrain/loss": loss}, x.shape[0])
        return loss

    def on_train_epoch_end(self) -> None:
        super().on_train_epoch_end()
        self.epoch_losses.append(float(self.trainer.callback_metrics["pretrain/loss"]))


def pretrain_encoder(
    net: SCARFNet, X: np.ndarray, batch_size: int, settings: TrainSettings, seed: int
) -> dict:
    """Pre-train ``net``'s encoder in place on the rows ``X`` (no labels, no validation) and
    return the stage as flat ``pretrain_*`` fields for the classifier's ``outcome_``.

    Every batch is full (``len(X) // batch_size`` of them per epoch): InfoNCE's negatives are
    the batch, and a batch of one row would have none.
    """
    batch_size = max(2, min(batch_size, len(X)))
    data = TabularDataModule(
        X, np.zeros(len(X), dtype=np.int64), batch_size, 0.0, seed, val_mask=np.zeros(len(X), bool)
    )
    settings = dataclasses.replace(
        settings, epoch_steps=max(1, len(X) // batch_size), select_best=False
    )
    with warnings.catch_warnings():  # the data module offers an (empty) validation loader
        warnings.filterwarnings("ignore", message=r".*no `validation_step`.*")
        result: TrainResult = train_module(net, data, settings, seed)
    losses = net.epoch_losses
    stage = result.outcome("pretrain_")
    for unselected in ("pretrain_best_val", "pretrain_best_epoch"):  # nothing was selected
        stage.pop(unselected)
    return {
        **stage,
        "pretrain_rows": len(X),
        "pretrain_first_loss": losses[0] if losses else None,
        "pretrain_last_loss": losses[-1] if losses else None,
    }
