"""Minority fine-tuning with a push-away term (the idea of SOS, Kim et al. 2022)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.neighbors import KNeighborsClassifier

from genover import CVAESampler, DDPMSampler
from genover.models import DDPM
from genover.models.components.mixed import TabularLayout
from genover.models.finetune import MinorityFineTune
from tests.samplers.test_levers import overlapping

MODEL = {"hidden": 64, "depth": 2, "steps": 100, "sample_steps": 20, "anchor_share": 0.0}


def _sampler(**finetune):
    return DDPMSampler(
        random_state=0,
        numeric_transform="standard",
        sampling_strategy={1: 400},
        model=MODEL,
        trainer={"max_steps": 200},
        filter_confidence=0.0,
        finetune={"steps": 200, "lr": 1e-3, **finetune},
    )


def test_push_moves_minority_draws_out_of_the_majority():
    X, y = overlapping(n_major=270, n_minor=30)
    judge = KNeighborsClassifier(15).fit(X, y)
    share = {}
    for push in (0.0, 1.0):
        sampler = _sampler(push=push, margin=0.5)
        Xr, _ = sampler.fit_resample(X, y)
        assert sampler.outcome_["finetune_kept"]
        share[push] = judge.predict_proba(Xr[len(X) :])[:, 0].mean()
    # measured: 0.449 of the draws' neighbours are majority with push=1, 0.460 with push=0
    assert share[1.0] < share[0.0] - 0.005, share


def test_push_zero_uses_no_other_class_rows():
    model = DDPM(TabularLayout(2), 2, hidden=8, depth=1, time_dim=4, steps=10)
    x_own, y_own = torch.randn(16, 2), torch.ones(16, dtype=torch.long)
    x_other = torch.randn(16, 2, requires_grad=True)
    loss, parts = model.finetune_loss(x_own, y_own, x_other, push=0.0, margin=1.0)
    loss.backward()
    assert x_other.grad is None and set(parts) == {"own"}
    loss, parts = model.finetune_loss(x_own, y_own, x_other, push=1.0, margin=10.0)
    loss.backward()  # the guard: with a push, the other rows do reach the loss
    assert x_other.grad is not None and x_other.grad.abs().sum() > 0
    assert 0 <= float(parts["push"].detach()) <= 10.0  # a hinge: bounded by the margin


def test_other_rows_are_of_another_class():
    model = DDPM(TabularLayout(1), 3, hidden=8, depth=1, time_dim=4, steps=10)
    x = torch.arange(30, dtype=torch.float32)[:, None]
    y = torch.tensor([0] * 10 + [1] * 10 + [2] * 10)
    stage = MinorityFineTune(model, x, y, classes=[1, 2])
    labels = torch.tensor([1] * 200 + [2] * 200)
    rows = stage.other_rows(labels)[:, 0].long()
    assert (y[rows] != labels).all()
    assert set(y[rows[:200]].tolist()) == {0, 2}  # both other classes are drawn


def test_a_hurting_finetune_is_refused_and_the_start_restored():
    X, y = overlapping(n_major=120, n_minor=30)
    sampler = DDPMSampler(
        random_state=0,
        model={**MODEL, "hidden": 16},
        trainer={"max_steps": 40, "epoch_steps": 10},
        filter_confidence=0.0,
        finetune={"steps": 20, "lr": 10.0},
    )
    start = {}
    original = MinorityFineTune.__init__

    def spy(self, generator, *args, **kwargs):
        start.update({k: v.clone() for k, v in generator.state_dict().items()})
        original(self, generator, *args, **kwargs)

    MinorityFineTune.__init__ = spy
    try:
        sampler.fit_resample(X, y)
    finally:
        MinorityFineTune.__init__ = original
    out = sampler.outcome_
    assert out["finetune"] and not out["finetune_kept"]
    assert out["finetune_best_val"] >= out["finetune_start_val"]
    for k, v in sampler.module_.state_dict().items():
        assert torch.equal(v, start[k]), k


def test_selection_rows_never_reach_finetuning(monkeypatch):
    seen = {}
    original = MinorityFineTune.__init__

    def spy(self, generator, x_train, y_train, *args, **kwargs):
        seen["x"] = x_train.clone()
        original(self, generator, x_train, y_train, *args, **kwargs)

    monkeypatch.setattr(MinorityFineTune, "__init__", spy)
    X, y = overlapping(n_major=120, n_minor=30)
    sampler = DDPMSampler(
        random_state=0,
        numeric_transform="standard",
        model={**MODEL, "hidden": 16},
        amount_grid=[0.0, 1.0],
        trainer={"max_steps": 4, "epoch_steps": 2},
        filter_confidence=0.0,
        finetune={"steps": 4},
    )
    sampler.fit_resample(X, y)
    held = sampler.selection_rows_
    assert len(held) > 0
    encoded = torch.as_tensor(
        sampler.encoder_.transform(X[held].astype(float)), dtype=torch.float32
    )
    # no row the fine-tuning got is a selection row
    dist = torch.cdist(encoded, seen["x"])
    assert float(dist.min()) > 1e-6


def test_unknown_key_and_unsupported_generator_are_rejected():
    X, y = overlapping(n_major=60, n_minor=20)
    with pytest.raises(ValueError, match=r"unknown finetune settings \['step'\]; known"):
        DDPMSampler(finetune={"step": 10}).fit_resample(X, y)
    with pytest.raises(ValueError, match="finetune is DDPM-only"):
        CVAESampler(finetune={}).fit_resample(X, y)


def test_same_seed_same_rows_and_outcome_recorded():
    X, y = overlapping(n_major=120, n_minor=30)

    def fit():
        s = DDPMSampler(
            random_state=3,
            model={**MODEL, "hidden": 16},
            trainer={"max_steps": 20, "epoch_steps": 10},
            filter_confidence=0.0,
            finetune={"steps": 20},
        )
        return s.fit_resample(X, y)[0], s.outcome_

    (a, out), (b, _) = fit(), fit()
    np.testing.assert_array_equal(a, b)
    assert out["finetune"] and out["finetune_steps"] > 0
    assert {"finetune_stop_reason", "finetune_best_val", "finetune_start_val"} <= set(out)
    assert DDPMSampler().finetune is None  # off by default


def test_push_covers_only_the_timesteps_anchored_draws_pass_through():
    from genover.models import DDPM
    from genover.models.components.mixed import TabularLayout

    model = DDPM(TabularLayout(2), 2, hidden=8, depth=1, time_dim=4, steps=50, anchor_noise=0.3)
    seen = []
    model.denoiser.register_forward_pre_hook(lambda module, args: seen.append(args[1].clone()))
    x = torch.randn(400, 2)
    model.finetune_loss(x, torch.ones(400, dtype=torch.long), x, push=1.0, margin=1.0)
    assert int(seen[-1].max()) == model.anchor_timestep()  # the hinge's timesteps
    model.hparams.anchor_share = 0.0
    model.finetune_loss(x, torch.ones(400, dtype=torch.long), x, push=1.0, margin=1.0)
    assert int(seen[-1].max()) > model.anchor_timestep()  # from noise: the whole chain


def test_validation_noise_is_fixed_whatever_the_global_random_state():
    model = DDPM(TabularLayout(2), 2, hidden=8, depth=1, time_dim=4, steps=50)
    x, y = torch.randn(64, 2), torch.randint(0, 2, (64,))
    stage = MinorityFineTune(model, x, y, classes=[1])
    torch.manual_seed(0)
    first = stage.own_loss(x, y, batch_idx=0)
    torch.manual_seed(1)
    assert torch.equal(stage.own_loss(x, y, batch_idx=0), first)
    assert not torch.equal(stage.own_loss(x, y, batch_idx=1), first)  # per batch, not fixed


def test_a_finetune_that_changes_nothing_scores_exactly_its_start():
    """Kept only if it beats its start: with a learning rate too small to move the weights,
    the best fine-tuned validation loss is the start's, so the start and every epoch are
    scored on the same validation noise."""
    X, y = overlapping(n_major=120, n_minor=30)
    sampler = DDPMSampler(
        random_state=0,
        model={**MODEL, "hidden": 16},
        trainer={"max_steps": 20, "epoch_steps": 10},
        filter_confidence=0.0,
        finetune={"steps": 20, "lr": 1e-12},  # two validations (epochs of 10 steps)
    )
    sampler.fit_resample(X, y)
    out = sampler.outcome_
    assert out["finetune"] and out["finetune_start_val"] is not None
    assert out["finetune_best_val"] == pytest.approx(out["finetune_start_val"], rel=1e-6)
