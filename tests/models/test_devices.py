"""Every generator follows its device: checked on ``meta``, which needs no hardware.

Each module is built on the CPU and moved to ``meta`` the way the Trainer moves it to a GPU
(BAGAN is built from an autoencoder that already sits there, as in BAGANSampler). Then its
tensor-creating paths run under a dispatch mode that records every operation mixing devices,
and every parameter, buffer and output must be on ``meta``. A tensor made without
``device=`` lands on the CPU and is caught when it meets the module's tensors.
"""

from __future__ import annotations

import warnings

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from genover.models import ARAE, BAGAN, CVAE, DDPM, VAEGAN, TabularAutoencoder, TabularLayout

META = torch.device("meta")
LAYOUT = TabularLayout(num_numeric=3, cat_sizes=(2, 4))
CLASSES = 3


class DeviceAudit(TorchDispatchMode):
    """Records each operation whose tensors are not all on ``meta``.

    CPU scalars (0-dim) are allowed: torch mixes them with any device by design.
    """

    def __init__(self):
        super().__init__()
        self.mixed: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        tensors = [t for t in tree_flatten((args, kwargs, out))[0] if isinstance(t, torch.Tensor)]
        off = {str(t.device) for t in tensors if t.device != META and t.dim() > 0}
        if off and any(t.device == META for t in tensors):
            self.mixed.append(f"{func} mixes meta with {sorted(off)}")
        return out


def batch(n: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randn(n, LAYOUT.dim, device=META), torch.zeros(n, dtype=torch.long, device=META)


def on_meta(module) -> None:
    for name, tensor in [*module.named_parameters(), *module.named_buffers()]:
        assert tensor.device == META, f"{type(module).__name__}.{name} is on {tensor.device}"
    assert module.device == META  # what sample() and validation_mmd create tensors on


def run_audited(fn):
    audit = DeviceAudit()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # self.log() without a Trainer
        with audit:
            out = fn()
    assert not audit.mixed, audit.mixed
    for tensor in tree_flatten(out)[0]:
        if isinstance(tensor, torch.Tensor):
            assert tensor.device == META
    return out


def test_audit_catches_a_tensor_made_off_the_device():
    x = torch.randn(4, 3, device=META)
    audit = DeviceAudit()
    with audit:
        torch.nn.functional.linear(x, torch.randn(2, 3))  # meta runs this without raising
    assert audit.mixed


def sampling_paths(module):
    """What validation_mmd and the samplers call: ``sample`` for an int and a tensor label."""
    labels = torch.tensor([0, 1, 2, 2], device=META)
    return module.sample(5, 1), module.sample(4, labels)


def test_cvae_follows_its_device():
    module = CVAE(LAYOUT, CLASSES, hidden=[16], latent_dim=4, class_dim=4).to(META)
    on_meta(module)
    run_audited(lambda: module.training_step(batch(), 0))
    run_audited(lambda: module.validation_step(batch(), 0))
    run_audited(lambda: sampling_paths(module))


@pytest.mark.parametrize(
    "options",
    [
        {"sample_steps": 4},  # DDIM, deterministic
        {"sample_steps": 4, "eta": 1.0, "guidance": 1.0},  # stochastic DDIM with CFG
        {"sample_steps": 10},  # the full ancestral chain
    ],
    ids=["ddim", "ddim_eta_cfg", "ancestral"],
)
def test_ddpm_follows_its_device(options):
    module = DDPM(LAYOUT, CLASSES, hidden=16, depth=1, time_dim=8, steps=10, **options)
    module = module.to(META)
    on_meta(module)
    run_audited(lambda: module.training_step(batch(), 0))
    run_audited(lambda: module.validation_step(batch(), 0))
    run_audited(lambda: sampling_paths(module))


class _NoOptimiser:
    def zero_grad(self):
        pass

    def step(self):
        pass


def test_bagan_follows_the_device_of_its_autoencoder():
    autoencoder = TabularAutoencoder(LAYOUT, hidden=[16], latent_dim=4).to(META)
    run_audited(lambda: autoencoder.training_step(batch(), 0))
    # BAGANSampler builds BAGAN from the trained autoencoder (left on the training device)
    # and scores it with validation_mmd before any Trainer moves it.
    means = torch.zeros(CLASSES, 4, device=META)
    chols = torch.eye(4, device=META).expand(CLASSES, 4, 4)
    module = BAGAN(autoencoder, CLASSES, means, chols)
    on_meta(module)
    run_audited(lambda: sampling_paths(module))
    run_audited(lambda: module.validation_step(batch(), 0))
    # The adversarial step without a Trainer: its optimiser plumbing made inert.
    module.optimizers = lambda: (_NoOptimiser(), _NoOptimiser())
    module.toggle_optimizer = module.untoggle_optimizer = lambda optimiser: None
    module.manual_backward = lambda loss: loss.backward()
    run_audited(lambda: module.training_step(batch(), 0))


@pytest.mark.parametrize(
    "build",
    [
        lambda: VAEGAN(LAYOUT, CLASSES, hidden=[16], latent_dim=4, class_dim=4),
        lambda: ARAE(LAYOUT, CLASSES, hidden=[16], code_dim=4, class_dim=4),
    ],
    ids=["vaegan", "arae"],
)
def test_manual_optimisation_generators_follow_their_device(build):
    module = build().to(META)
    on_meta(module)
    run_audited(lambda: module.validation_step(batch(), 0))
    run_audited(lambda: sampling_paths(module))
    # Both optimiser steps (ARAE's with its gradient penalty) without a Trainer.
    module.optimizers = lambda: (_NoOptimiser(), _NoOptimiser())
    module.toggle_optimizer = module.untoggle_optimizer = lambda optimiser: None
    module.manual_backward = lambda loss: loss.backward()
    run_audited(lambda: module.training_step(batch(), 0))
