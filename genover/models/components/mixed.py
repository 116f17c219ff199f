"""Mixed numeric + categorical rows: the encoded layout, output heads and likelihoods.

An encoded row is ``[numeric columns..., one-hot block of categorical 1, ...]``. Numeric
columns get a Gaussian likelihood with a learned per-column scale; each categorical block a
softmax (categorical) likelihood.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class TabularLayout:
    """Widths of the encoded row: ``num_numeric`` Gaussian columns, then one-hot blocks."""

    num_numeric: int
    cat_sizes: tuple[int, ...] = ()

    @property
    def dim(self) -> int:
        return self.num_numeric + sum(self.cat_sizes)

    def split(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The numeric part and the list of categorical blocks of ``x``."""
        numeric = x[:, : self.num_numeric]
        blocks = list(torch.split(x[:, self.num_numeric :], list(self.cat_sizes), dim=1))
        return numeric, blocks if self.cat_sizes else []

    def snap_categories(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` with each categorical block replaced by the one-hot of its argmax: the
        generators that move one-hot blocks as continuous values (the DDPM, the flow) return
        valid categories this way."""
        numeric, blocks = self.split(x)
        parts = [numeric] + [F.one_hot(b.argmax(dim=1), b.shape[1]).to(x.dtype) for b in blocks]
        return torch.cat(parts, dim=1)


class MixedHead(nn.Module):
    """Maps hidden features to Gaussian means (with learned log-scales) and category logits."""

    def __init__(self, in_dim: int, layout: TabularLayout):
        super().__init__()
        self.layout = layout
        self.linear = nn.Linear(in_dim, layout.dim)
        self.log_sigma = nn.Parameter(torch.full((layout.num_numeric,), -1.0))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """Raw outputs: numeric means followed by category logits."""
        return self.linear(h)

    def nll(self, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood per row (Gaussian numerics + categorical blocks)."""
        mean, logits = self.layout.split(out)
        target_num, targets = self.layout.split(x)
        log_sigma = self.log_sigma.clamp(-5.0, 2.0)
        loss = out.new_zeros(out.shape[0])
        if self.layout.num_numeric:
            z = (target_num - mean) * torch.exp(-log_sigma)
            loss = loss + (0.5 * z**2 + log_sigma).sum(dim=1)
        for block, target in zip(logits, targets, strict=True):
            loss = loss + F.cross_entropy(block, target.argmax(dim=1), reduction="none")
        return loss.mean()

    def sample(self, out: torch.Tensor, generator: torch.Generator | None, noise: bool = True):
        """Draw rows from the likelihood: Gaussian numerics, categories from the softmax."""
        mean, logits = self.layout.split(out)
        parts = []
        if self.layout.num_numeric:
            if noise:
                eps = torch.randn(mean.shape, generator=generator, device=mean.device)
                mean = mean + eps * self.log_sigma.clamp(-5.0, 2.0).exp()
            parts.append(mean)
        for block in logits:
            probs = torch.softmax(block.float(), dim=1)
            picks = torch.multinomial(probs, 1, generator=generator).squeeze(1)
            parts.append(F.one_hot(picks, block.shape[1]).to(out.dtype))
        return torch.cat(parts, dim=1)

    def relax(self, out: torch.Tensor, tau: float = 0.2, noise: bool = False) -> torch.Tensor:
        """A differentiable row for adversarial training: Gumbel-softmax categories, and
        with ``noise`` reparameterised Gaussian numerics (mean + sigma * eps) as ``sample``
        draws them; otherwise the numeric means."""
        mean, logits = self.layout.split(out)
        if noise and self.layout.num_numeric:
            mean = mean + torch.randn_like(mean) * self.log_sigma.clamp(-5.0, 2.0).exp()
        parts = [mean] + [F.gumbel_softmax(block, tau=tau, hard=False) for block in logits]
        return torch.cat(parts, dim=1)
