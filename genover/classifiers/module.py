"""The LightningModule behind :class:`genover.classifiers.MLPClassifier`."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from genover.evaluation.metrics import rare_class_ap
from genover.losses import ClassBalancedLoss
from genover.models.components.mlp import last_width, mlp
from genover.training.modules import TabularModule


class CosineLinear(nn.Module):
    """Cosine similarities between L2-normalised features and class weight vectors."""

    def __init__(self, in_dim: int, num_classes: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_classes, in_dim))
        nn.init.xavier_uniform_(self.weight)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        # full precision: margin losses scale cosines by s=30, which would amplify bf16 error
        with torch.autocast(h.device.type, enabled=False):
            return F.linear(F.normalize(h.float(), dim=1), F.normalize(self.weight.float(), dim=1))


class MLPNet(TabularModule):
    """Features -> linear (or cosine, for margin losses) head, trained with ``loss``.

    Logs ``val/ap``: the mean one-vs-rest average precision over the rarer classes, which
    early stopping and checkpointing maximise.
    """

    monitor = ("val/ap", "max")

    def __init__(
        self,
        in_dim: int,
        loss: ClassBalancedLoss,
        hidden: Sequence[int] = (128, 64),
        dropout: float = 0.1,
        batch_norm: bool = False,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
    ):
        super().__init__()
        self.save_hyperparameters(ignore=["loss"])
        hidden = list(hidden)
        self.loss = loss
        self.features = mlp(in_dim, hidden, None, dropout, batch_norm, activation=nn.ReLU)
        width = last_width(in_dim, hidden)
        head = CosineLinear if loss.needs_cosine_head else nn.Linear
        self.head = head(width, loss.num_classes)
        self._val_outputs: list[tuple[torch.Tensor, torch.Tensor]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Inference logits."""
        return self.loss.logits(self.head(self.features(x)))

    def set_epoch_offset(self, offset: int, total_epochs: int) -> None:
        """The next training stage starts at epoch ``offset`` of ``total_epochs`` overall
        (the loss's deferred weights follow the overall epoch)."""
        self.epoch_offset, self.total_epochs = offset, total_epochs

    def on_train_epoch_start(self) -> None:
        offset = getattr(self, "epoch_offset", 0)
        total = getattr(self, "total_epochs", self.trainer.max_epochs)
        self.loss.set_epoch(self.current_epoch + offset, total)
        if not any(p.requires_grad for p in self.features.parameters()):
            self.features.eval()  # frozen features keep their batch-norm statistics

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = self.loss(self.head(self.features(x)), y)
        self.log_epoch_means({"train/loss": loss}, x.shape[0])
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self._val_outputs.append((torch.softmax(self(x).float(), dim=1), y))

    def on_validation_epoch_end(self) -> None:
        proba = torch.cat([p for p, _ in self._val_outputs]).cpu().numpy()
        y = torch.cat([t for _, t in self._val_outputs]).cpu().numpy()
        self._val_outputs.clear()
        self.log("val/ap", rare_class_ap(y, proba, self.loss.counts.cpu().numpy()))

    def reset_head(self) -> None:
        """Re-initialise the classifier head and freeze the features (cRT's second stage)."""
        for p in self.features.parameters():
            p.requires_grad_(False)
        self.features.eval()
        if isinstance(self.head, nn.Linear):
            self.head.reset_parameters()
        else:
            nn.init.xavier_uniform_(self.head.weight)

    @torch.no_grad()
    def tau_normalise(self, tau: float) -> None:
        """tau-normalisation (Kang et al. 2020): w_c <- w_c / ||w_c|| ** tau."""
        w = self.head.weight
        w.div_(w.norm(dim=1, keepdim=True).clamp(min=1e-12).pow(tau))
        if isinstance(self.head, nn.Linear) and self.head.bias is not None:
            self.head.bias.zero_()
