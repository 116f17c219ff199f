"""MetaSAug (Li et al., CVPR 2021): ISDA implicit semantic augmentation in the MLP's feature
space, with class-conditional covariances updated by a meta-gradient on real, class-balanced
meta-validation rows.

ISDA (Wang et al. 2019) augments a feature h of class y with draws from N(h, lambda Sigma_y)
in closed form: the expected cross-entropy over the draws is bounded above by the
cross-entropy of the logits z_j + (lambda / 2) (w_j - w_y)^T Sigma_y (w_j - w_y), where w are
the rows of the linear head. MetaSAug makes Sigma a meta-parameter: each step it takes a
one-step look-ahead of the head under the ISDA loss, scores the looked-ahead head with
cross-entropy on a class-balanced meta batch, and moves Sigma down that loss's gradient.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from genover.classifiers.module import MLPNet
from genover.losses import ClassBalancedLoss
from genover.models.components.mlp import last_width


class ClassCovariance(nn.Module):
    """Per-class feature means and covariances, estimated online from batches (ISDA's
    estimator): each batch's class statistics are merged in by the exact pooled formulas."""

    def __init__(self, num_classes: int, dim: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(num_classes, dim))
        self.register_buffer("cov", torch.zeros(num_classes, dim, dim))
        self.register_buffer("count", torch.zeros(num_classes))

    @torch.no_grad()
    def update(self, h: torch.Tensor, y: torch.Tensor) -> None:
        onehot = F.one_hot(y, self.count.numel()).to(h.dtype)  # (N, C)
        n = onehot.sum(0)  # (C,)
        mean = onehot.T @ h / n.clamp(min=1)[:, None]  # (C, D)
        centred = (h[:, None, :] - mean[None]) * onehot[:, :, None]  # (N, C, D)
        cov = torch.einsum("ncd,nce->cde", centred, centred) / n.clamp(min=1)[:, None, None]
        w = n / (n + self.count).clamp(min=1)  # the batch's share of each class's rows
        shift = mean - self.mean
        between = (w * (1 - w))[:, None, None] * shift[:, :, None] * shift[:, None, :]
        self.cov.mul_((1 - w)[:, None, None]).add_(w[:, None, None] * cov + between)
        self.mean.add_(w[:, None] * shift)
        self.count.add_(n)


def isda_logits(
    raw: torch.Tensor, weight: torch.Tensor, y: torch.Tensor, cov: torch.Tensor, lam: float
) -> torch.Tensor:
    """ISDA's surrogate logits: raw_j + (lam / 2) (w_j - w_y)^T Sigma_y (w_j - w_y).

    ``weight`` is the linear head (C, D), ``cov`` the class covariances (C, D, D). The
    quadratic term depends on the pair (y, j) only, so it is computed once per class pair.
    """
    diff = weight[None, :, :] - weight[:, None, :]  # (C_y, C_j, D): w_j - w_y
    quad = torch.einsum("yjd,yde,yje->yj", diff, cov.to(diff.dtype), diff)
    return raw + (0.5 * lam * quad)[y].to(raw.dtype)


def lookahead_meta_loss(
    head: tuple[torch.Tensor, torch.Tensor],
    batch: tuple[torch.Tensor, torch.Tensor],
    meta: tuple[torch.Tensor, torch.Tensor],
    cov: torch.Tensor,
    lam: float,
    inner_lr: float,
    loss: ClassBalancedLoss,
) -> torch.Tensor:
    """Meta cross-entropy of the head after one SGD step (``inner_lr``) on the ISDA loss.

    ``head`` is (weight, bias); ``batch`` and ``meta`` are (features, labels). The result is
    differentiable in ``cov`` through the look-ahead (second order).
    """
    weight, bias = head
    h, y = batch
    inner = loss(isda_logits(F.linear(h, weight, bias), weight, y, cov, lam), y)
    grad_w, grad_b = torch.autograd.grad(inner, (weight, bias), create_graph=True)
    h_meta, y_meta = meta
    raw = F.linear(h_meta, weight - inner_lr * grad_w, bias - inner_lr * grad_b)
    return F.cross_entropy(loss.logits(raw).float(), y_meta)


def meta_covariance_step(
    head, batch, meta, cov: torch.Tensor, lam: float, inner_lr: float, meta_lr: float, loss
) -> tuple[torch.Tensor, torch.Tensor]:
    """(Sigma - meta_lr * d meta_loss / d Sigma, meta loss before the step)."""
    cov = cov.detach().float().requires_grad_(True)
    meta_loss = lookahead_meta_loss(head, batch, meta, cov, lam, inner_lr, loss)
    (grad,) = torch.autograd.grad(meta_loss, cov)
    return (cov - meta_lr * grad).detach(), meta_loss.detach()


class MetaSAugNet(MLPNet):
    """:class:`MLPNet` trained with MetaSAug. Each training step: update the class covariances
    from the batch's features; take one meta step on them with a class-balanced batch of the
    meta rows (see :meth:`set_meta_rows`); train the network on the ISDA loss with the updated
    covariances. lambda grows linearly from 0 to ``isda_lambda`` over all epochs, as in ISDA.
    The head's look-ahead step uses ``lr`` as its SGD step size.
    """

    def __init__(self, *args, isda_lambda: float = 0.5, meta_lr: float = 100.0, **kwargs):
        """``args``, ``kwargs``: :class:`MLPNet`'s; ``isda_lambda``, ``meta_lr``: MetaSAug's."""
        super().__init__(*args, **kwargs)
        if self.loss.needs_cosine_head:
            raise ValueError(
                "augment=metasaug augments a linear head's logits; cosine-margin losses "
                "(ldam, lmcl) have none. Use ce, focal or balanced_softmax."
            )
        width = last_width(self.hparams.in_dim, list(self.hparams.hidden))
        self.covariance = ClassCovariance(self.loss.num_classes, width)
        self.isda_lambda, self.meta_lr = isda_lambda, meta_lr

    def set_meta_rows(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """The real rows that meta batches are drawn from, class-balanced."""
        self.register_buffer("meta_x", torch.as_tensor(x, dtype=torch.float32), persistent=False)
        self.register_buffer("meta_y", torch.as_tensor(y, dtype=torch.long), persistent=False)

    def current_lambda(self) -> float:
        offset = getattr(self, "epoch_offset", 0)
        total = getattr(self, "total_epochs", self.trainer.max_epochs)
        return self.isda_lambda * (self.current_epoch + offset) / max(1, total)

    def meta_batch(self, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``size`` meta rows drawn with replacement, every class equally often, as features
        (eval mode: no dropout, and batch-norm statistics untouched by meta rows)."""
        counts = torch.bincount(self.meta_y, minlength=self.loss.num_classes).float()
        idx = torch.multinomial((1 / counts.clamp(min=1))[self.meta_y], size, replacement=True)
        was_training = self.features.training
        self.features.eval()
        with torch.no_grad():
            h = self.features(self.meta_x[idx])
        self.features.train(was_training)
        return h, self.meta_y[idx]

    def training_step(self, batch, batch_idx):
        x, y = batch
        h = self.features(x)
        self.covariance.update(h.detach().float(), y)
        lam = self.current_lambda()
        head = (self.head.weight, self.head.bias)
        cov, meta_loss = meta_covariance_step(
            head,
            (h.detach(), y),
            self.meta_batch(x.shape[0]),
            self.covariance.cov,
            lam,
            self.hparams.lr,
            self.meta_lr,
            self.loss,
        )
        self.covariance.cov.copy_(cov)
        loss = self.loss(isda_logits(self.head(h), self.head.weight, y, cov, lam), y)
        self.log_epoch_means({"train/loss": loss, "train/meta_loss": meta_loss}, x.shape[0])
        return loss
