"""The shared module base: its optimiser learns exactly what per-tensor AdamW learns."""

from __future__ import annotations

import torch
from torch import nn

from genover.training.modules import TabularModule


class Tiny(TabularModule):
    def __init__(self, lr: float = 1e-2, weight_decay: float = 1e-3):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Linear(5, 8), nn.SiLU(), nn.Linear(8, 3))


def trained(make_optimizer) -> list[torch.Tensor]:
    torch.manual_seed(0)
    module = Tiny()
    optimizer = make_optimizer(module)
    data = torch.Generator().manual_seed(1)
    for _ in range(5):
        x = torch.randn(16, 5, generator=data)
        optimizer.zero_grad()
        module.net(x).pow(2).mean().backward()
        optimizer.step()
    return [p.detach().clone() for p in module.parameters()]


def test_module_optimiser_updates_weights_exactly_as_per_tensor_adamw():
    ours = trained(lambda m: m.configure_optimizers())
    reference = trained(
        lambda m: torch.optim.AdamW(m.parameters(), lr=1e-2, weight_decay=1e-3, foreach=False)
    )
    start = [p.detach() for p in Tiny().parameters()]
    assert not all(torch.equal(a, b) for a, b in zip(ours, start, strict=True))  # it learned
    for a, b in zip(ours, reference, strict=True):
        assert torch.equal(a, b)
