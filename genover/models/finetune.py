"""Minority fine-tuning of a trained generator (the idea of SOS, Kim et al. KDD 2022).

After the generator is trained on every class, :class:`MinorityFineTune` trains it further
on the over-sampled classes' rows with the generator's ``finetune_loss``: its own loss on
those rows plus a bounded term pushing each class away from other classes' real rows.
"""

from __future__ import annotations

import torch

from genover.models.base import TabularGenerator
from genover.training.modules import TabularModule


class MinorityFineTune(TabularModule):
    """Fine-tunes ``generator`` on the batches of its data module (rows of the over-sampled
    classes), pairing each row of class c with a random training row ``x_train`` of another
    class than c. ``val/loss`` is the generator's plain loss on the validation rows (fixed
    timesteps and noise), so early stopping keeps the best fine-tuned weights.
    """

    monitor: tuple[str, str] = ("val/loss", "min")

    def __init__(
        self,
        generator: TabularGenerator,
        x_train: torch.Tensor,
        y_train: torch.Tensor,
        classes: list[int],
        lr: float = 1e-4,
        push: float = 1.0,
        margin: float = 1.0,
    ):
        super().__init__()
        self.generator = generator
        self.classes = [int(c) for c in classes]
        self.lr, self.push, self.margin = float(lr), float(push), float(margin)
        self.register_buffer("x_train", torch.as_tensor(x_train, dtype=torch.float32), False)
        for c in self.classes:
            others = torch.nonzero(torch.as_tensor(y_train) != c).flatten()
            if len(others) == 0:
                raise ValueError(f"class {c} has no other-class training rows to push from.")
            self.register_buffer(f"others_{c}", others, persistent=False)

    def other_rows(self, y: torch.Tensor) -> torch.Tensor:
        """Per label in ``y``, a random training row of another class (on the device)."""
        pick = torch.zeros_like(y)
        for c in self.classes:  # a draw per class and row, chosen by label: no host sync
            others = getattr(self, f"others_{c}")
            draw = others[torch.randint(len(others), y.shape, device=y.device)]
            pick = torch.where(y == c, draw, pick)
        return self.x_train[pick]

    def training_step(self, batch, batch_idx):
        x, y = batch
        x_other = self.other_rows(y) if self.push > 0 else None
        loss, parts = self.generator.finetune_loss(x, y, x_other, self.push, self.margin)
        self.log_epoch_means(
            {"finetune/loss": loss, **{f"finetune/{k}": v for k, v in parts.items()}},
            x.shape[0],
        )
        return loss

    def own_loss(self, x: torch.Tensor, y: torch.Tensor, batch_idx: int = 0) -> torch.Tensor:
        """The generator's plain loss on ``x``, with timesteps and noise fixed by
        ``batch_idx`` (so every epoch, and the start weights, are scored alike)."""
        with torch.random.fork_rng(devices=[x.device] if x.is_cuda else []):
            torch.manual_seed(batch_idx)
            return self.generator.finetune_loss(x, y, None, 0.0, self.margin)[0]

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val/loss", self.own_loss(x, y, batch_idx), batch_size=x.shape[0])

    def configure_optimizers(self):
        decay = float(self.generator.hparams.get("weight_decay", 0.0))
        return torch.optim.AdamW(self.generator.parameters(), lr=self.lr, weight_decay=decay)
