"""Flow matching: the path, the ODE solvers, OT pairing, guidance, anchored draws, categories
and a learnt class-conditional distribution."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from genover import FlowSampler
from genover.models import FlowMatching, TabularLayout
from genover.models.components.flow import integrate, interpolate, ot_pairing


def _growth(x, t, y):
    """dx/dt = x: from x at time s, x(1) = x e^(1 - s)."""
    return x


@pytest.mark.parametrize("solver", ["euler", "midpoint"])
@pytest.mark.parametrize("steps", [1, 4])
def test_integrate_takes_the_set_number_of_steps_of_its_solver(solver, steps):
    x = torch.ones(3, 2)
    h = 0.5 / steps  # from t = 0.5 to 1
    factor = 1 + h + (h * h / 2 if solver == "midpoint" else 0.0)
    out = integrate(_growth, x, torch.zeros(3, dtype=torch.long), 0.5, steps, solver)
    torch.testing.assert_close(out, torch.full((3, 2), factor**steps))
    if solver == "midpoint" and steps == 4:  # close to the exact e^(1/2)
        assert abs(out[0, 0].item() - math.exp(0.5)) < 5e-3
    with pytest.raises(ValueError, match="unknown ODE solver 'rk4'"):
        integrate(_growth, x, torch.zeros(3, dtype=torch.long), 0.0, 1, "rk4")


def test_interpolate_is_the_straight_path():
    x0, x1 = torch.zeros(2, 1), torch.full((2, 1), 4.0)
    torch.testing.assert_close(
        interpolate(x0, x1, torch.tensor([0.25, 1.0])), torch.tensor([[1.0], [4.0]])
    )


def test_ot_pairing_pairs_within_each_class_by_the_cheapest_plan():
    data = torch.tensor([[100.0], [101.0], [0.0], [1.0]])
    noise = torch.tensor([[1.0], [0.0], [100.0], [101.0]])
    labels = torch.tensor([0, 0, 1, 1])
    paired = ot_pairing(noise, data, labels)
    # class 0 swaps its own two noise rows (cost 20,000 < 20,002) and class 1 keeps its
    # order; neither takes the other class's nearer noise
    torch.testing.assert_close(paired, torch.tensor([[0.0], [1.0], [100.0], [101.0]]))


def _module(**kwargs) -> FlowMatching:
    torch.manual_seed(0)
    return FlowMatching(TabularLayout(1, (3,)), 2, hidden=16, depth=1, time_dim=8, **kwargs)


@pytest.mark.parametrize("w", [0.0, 1.5])
def test_guidance_mixes_the_conditional_and_unconditional_velocities(w):
    module = _module(guidance=w).eval()
    x, t, y = torch.randn(5, 4), torch.rand(5), torch.tensor([0, 1, 0, 1, 1])
    cond = module.velocity(x, t * 1000, y)
    uncond = module.velocity(x, t * 1000, torch.full_like(y, 2))
    torch.testing.assert_close(module._velocity(x, t, y), (1 + w) * cond - w * uncond)


def test_sample_steps_and_solver_set_the_velocity_calls(monkeypatch):
    calls = []
    module = _module(sample_steps=8, solver="euler").eval()
    monkeypatch.setattr(module, "_velocity", lambda x, t, y: calls.append(1) or torch.zeros_like(x))
    module.sample(3, 1)
    assert len(calls) == 8
    calls.clear()
    module.hparams.solver = "midpoint"
    module.sample(3, 1)
    assert len(calls) == 16
    calls.clear()  # anchored: the anchor_noise share of the steps, from 1 - anchor_noise
    module.hparams.update(anchor_share=1.0, anchor_noise=0.5, solver="euler")
    module.fit_anchors(torch.zeros(4, 4), torch.tensor([0, 0, 1, 1]), classes=[1])
    module.sample(3, 1)
    assert len(calls) == 4


def test_draws_hold_one_category_per_block():
    rows = _module().eval().sample(50, 0, torch.Generator().manual_seed(0))
    block = rows[:, 1:]
    assert set(block.unique().tolist()) == {0.0, 1.0}
    torch.testing.assert_close(block.sum(dim=1), torch.ones(50))


def test_anchored_draws_start_near_their_anchor_at_low_noise():
    module = _module(anchor_share=1.0, anchor_noise=0.02).eval()
    x = torch.cat([torch.linspace(-3, 3, 6)[:, None], torch.eye(3)[[0, 1, 2, 0, 1, 2]]], dim=1)
    y = torch.tensor([0, 0, 0, 1, 1, 1])
    module.fit_anchors(x, y, classes=[1])
    rows, anchors = module.sample_with_anchors(40, 1, torch.Generator().manual_seed(1))
    assert set(anchors.tolist()) <= {3, 4, 5}  # real rows of class 1 only
    assert (rows[:, 0] - x[anchors, 0]).abs().max() < 0.2
    torch.testing.assert_close(rows[:, 1:], x[anchors, 1:])  # the anchor's category kept
    with pytest.raises(ValueError, match="class 0 has no anchors"):
        module.sample(2, 0)


def test_bad_settings_are_named():
    for bad, match in (
        ({"coupling": "sinkhorn"}, "coupling='sinkhorn'"),
        ({"solver": "rk4"}, "solver='rk4'"),
        ({"sample_steps": 0}, "sample_steps=0"),
        ({"anchor_noise": 0.0}, "anchor_noise=0.0"),
    ):
        with pytest.raises(ValueError, match=match):
            _module(**bad)


@pytest.mark.parametrize("coupling", ["independent", "ot"])
def test_flow_learns_each_class_and_keeps_its_categories(coupling):
    """Two classes with different means and categories: each class's draws have its own
    mean and only the categories the class holds."""
    rng = np.random.default_rng(0)
    n = 200
    X = pd.DataFrame(
        {
            "a": np.r_[rng.normal(-2, 0.5, n), rng.normal(2, 0.5, n)],
            "b": np.r_[rng.normal(1, 0.5, n), rng.normal(-1, 0.5, n)],
            "c": np.r_[rng.choice(["p", "q"], n), np.full(n, "r")],
        }
    )
    y = np.r_[np.zeros(n, int), np.ones(n, int)]
    sampler = FlowSampler(
        random_state=0,
        sampling_strategy={0: 2 * n, 1: 2 * n},
        numeric_transform="standard",
        val_fraction=0.0,
        categorical_features=["c"],
        model={"hidden": 64, "depth": 2, "sample_steps": 10, "coupling": coupling},
        trainer={"max_steps": 250, "epoch_steps": 25},
    )
    Xr, yr = sampler.fit_resample(X, y)
    new, labels = Xr.iloc[2 * n :], yr[2 * n :]
    for c, (a, b) in ((0, (-2, 1)), (1, (2, -1))):
        rows = new[labels == c]
        assert abs(rows["a"].mean() - a) < 0.3 and abs(rows["b"].mean() - b) < 0.3, c
    assert set(new.loc[labels == 1, "c"]) == {"r"}
    assert (new.loc[labels == 0, "c"] != "r").mean() > 0.95
