"""The generator-backed samplers: learning, exact counts, types, contracts and bad input."""

from __future__ import annotations

import logging
from collections import Counter

import numpy as np
import pandas as pd
import pytest
import torch
from imblearn.pipeline import make_pipeline
from imblearn.utils.estimator_checks import parametrize_with_checks
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_validate

from genover import (
    ARAESampler,
    BAGANSampler,
    CVAESampler,
    DDPMSampler,
    FlowSampler,
    VAEGANSampler,
)
from genover.models.diagnostics import rbf_mmd
from genover.samplers import amount

SAMPLERS = [CVAESampler, DDPMSampler, FlowSampler, BAGANSampler, VAEGANSampler, ARAESampler]
SMALL_MODEL = {
    CVAESampler: {"hidden": [32], "latent_dim": 4, "class_dim": 4},
    DDPMSampler: {"hidden": 32, "depth": 1, "time_dim": 16, "steps": 20, "sample_steps": 5},
    FlowSampler: {"hidden": 32, "depth": 1, "time_dim": 16, "sample_steps": 4},
    BAGANSampler: {"hidden": [32], "latent_dim": 4, "ae_steps": 4},
    VAEGANSampler: {"hidden": [32], "latent_dim": 4, "class_dim": 4},
    ARAESampler: {"hidden": [32], "code_dim": 4, "class_dim": 4},
}


def fast(cls, **kwargs):
    """A sampler that trains for a few optimiser steps on a tiny network."""
    kwargs.setdefault("trainer", {"max_steps": 4, "epoch_steps": 2})
    kwargs.setdefault("model", SMALL_MODEL[next(c for c in SAMPLERS if issubclass(cls, c))])
    kwargs.setdefault("random_state", 0)
    kwargs.setdefault("amount_grid", None)  # exactly the requested rows
    return cls(**kwargs)


def toy(n_major=300, n_minor=40, seed=0):
    """Majority N(0, I); minority a tight blob at (2.5, 2.5) with sd 0.3."""
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0, 1, (n_major, 2)), rng.normal(2.5, 0.3, (n_minor, 2))])
    return X, np.r_[np.zeros(n_major, int), np.ones(n_minor, int)]


LEARN = {
    CVAESampler: dict(model={"hidden": [64, 64], "latent_dim": 2, "kl_warmup_steps": 10}),
    DDPMSampler: dict(
        model={"hidden": 64, "depth": 2, "steps": 100, "sample_steps": 20}, batch_size=64
    ),
    FlowSampler: dict(model={"hidden": 64, "depth": 2, "sample_steps": 10}, batch_size=64),
    # BAGAN keeps its adversarial stage only if it beats the autoencoder start on validation.
    BAGANSampler: dict(
        model={"hidden": [64, 64], "latent_dim": 2, "ae_steps": 160}, val_fraction=0.15
    ),
    VAEGANSampler: dict(model={"hidden": [64, 64], "latent_dim": 2, "kl_warmup_steps": 10}),
    ARAESampler: dict(model={"hidden": [64, 64], "code_dim": 8}),
}
# Manual-optimisation GANs make two optimiser steps per batch: the same 300 batches.
LEARN_STEPS = {VAEGANSampler: 600, ARAESampler: 600}


@pytest.mark.parametrize("cls", SAMPLERS, ids=lambda c: c.__name__)
def test_generators_learn_the_minority_distribution(cls):
    X, y = toy()
    truth = torch.as_tensor(np.random.default_rng(9).normal(2.5, 0.3, (300, 2)))
    scores = {}
    for label, steps in (("untrained", 0), ("trained", LEARN_STEPS.get(cls, 300))):
        options = {"val_fraction": 0.0, "batch_size": 256, **LEARN[cls]}
        if steps == 0:
            options["model"] = (
                {**options["model"], "ae_steps": 0} if cls is BAGANSampler else options["model"]
            )
        sampler = cls(
            random_state=0,
            numeric_transform="standard",
            class_balance=1.0,
            amount_grid=None,
            trainer={"max_steps": steps, "epoch_steps": 25},
            sampling_strategy={0: 300, 1: 340},
            **options,
        )
        Xr, _ = sampler.fit_resample(X, y)
        fake = torch.as_tensor(Xr[len(X) :])
        scores[label] = rbf_mmd(fake, truth).item()
    assert scores["trained"] < 0.3 * scores["untrained"], scores
    assert scores["trained"] < 0.1, scores


def test_bagan_keeps_an_adversarial_stage_that_improves_on_its_start():
    """A short autoencoder start leaves room: the adversarial stage must beat it on
    validation MMD, be kept, and bring the rows closer to the true minority."""
    X, y = toy()
    truth = torch.as_tensor(np.random.default_rng(9).normal(2.5, 0.3, (300, 2)))
    mmd = {}
    for label, steps in (("start", 1), ("adversarial", 300)):
        sampler = BAGANSampler(
            random_state=0,
            numeric_transform="standard",
            class_balance=1.0,
            amount_grid=None,
            batch_size=64,
            model={"hidden": [64, 64], "latent_dim": 2, "ae_steps": 20},
            trainer={"max_steps": steps, "epoch_steps": 25},
            sampling_strategy={0: 300, 1: 340},
        )
        Xr, _ = sampler.fit_resample(X, y)
        mmd[label] = rbf_mmd(torch.as_tensor(Xr[len(X) :]), truth).item()
        kept = sampler.outcome_["adversarial_kept"]
        assert kept is (label == "adversarial"), (label, sampler.outcome_)
    start, best = sampler.adversarial_scores_
    assert best < 0.7 * start  # validation MMD improved on the autoencoder start
    assert mmd["adversarial"] < 0.5 * mmd["start"], mmd


@pytest.mark.parametrize("cls", SAMPLERS, ids=lambda c: c.__name__)
def test_exact_counts_for_every_strategy_form(cls):
    X, y = toy()
    assert Counter(fast(cls).fit_resample(X, y)[1]) == {0: 300, 1: 300}
    assert Counter(fast(cls, sampling_strategy=0.5).fit_resample(X, y)[1]) == {0: 300, 1: 150}
    assert Counter(fast(cls, sampling_strategy={1: 111}).fit_resample(X, y)[1]) == {0: 300, 1: 111}
    rng = np.random.default_rng(1)
    X3 = rng.normal(size=(150, 3))
    y3 = np.array(["a"] * 100 + ["b"] * 35 + ["c"] * 15)
    Xr, yr = fast(cls).fit_resample(X3, y3)
    assert Counter(yr) == {"a": 100, "b": 100, "c": 100} and np.isfinite(Xr).all()
    np.testing.assert_array_equal(Xr[:150], X3)  # the originals come first, untouched


def _mixed_frame(n=120, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "amount": rng.gamma(2.0, 50.0, n),
            "visits": rng.integers(0, 9, n),
            "plan": pd.Categorical(rng.choice(["basic", "gold", "pro"], n)),
            "region": rng.choice(["n", "s"], n),
        }
    )
    y = pd.Series(np.where(np.arange(n) < 15, "fraud", "ok"), name="label")
    return frame, y


@pytest.mark.parametrize("cls", SAMPLERS, ids=lambda c: c.__name__)
def test_dataframe_in_dataframe_out_with_valid_categories(cls):
    frame, y = _mixed_frame()
    Xr, yr = fast(cls).fit_resample(frame, y)
    assert isinstance(Xr, pd.DataFrame) and list(Xr.columns) == list(frame.columns)
    assert (Xr.dtypes == frame.dtypes).all()
    assert Counter(yr) == {"ok": 105, "fraud": 105}
    new = Xr.iloc[len(frame) :]
    assert not new.isna().any().any()
    assert set(new["plan"]) <= {"basic", "gold", "pro"} and set(new["region"]) <= {"n", "s"}
    assert new["amount"].between(frame["amount"].min(), frame["amount"].max()).all()


def test_categorical_features_by_index_name_and_mask():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=80), rng.integers(0, 3, 80)]).astype(float)
    y = np.r_[np.zeros(70, int), np.ones(10, int)]
    for spec in ([1], np.array([False, True])):
        Xr, _ = fast(CVAESampler, categorical_features=spec).fit_resample(X, y)
        assert set(np.unique(Xr[80:, 1])) <= {0.0, 1.0, 2.0}
    frame = pd.DataFrame(X, columns=["a", "b"])
    Xr, _ = fast(CVAESampler, categorical_features=["b"]).fit_resample(frame, y)
    assert set(Xr["b"].iloc[80:]) <= {0.0, 1.0, 2.0}


@pytest.mark.parametrize("cls", SAMPLERS, ids=lambda c: c.__name__)
def test_same_seed_same_samples(cls):
    X, y = toy()
    a = fast(cls, random_state=5).fit_resample(X, y)[0]
    b = fast(cls, random_state=5).fit_resample(X, y)[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, fast(cls, random_state=6).fit_resample(X, y)[0])


def test_amount_selection_scores_on_rows_the_generator_never_saw(monkeypatch):
    """The proxy is trained on the generator's rows and scored on held-out selection rows
    that the generator neither trained nor early-stopped on; the best fraction wins."""
    X, y = toy()
    calls, seen = [], {}

    def spy_proxy(train, extra, held_out, model=None):
        calls.append((train, extra, held_out))
        fraction = sum(len(r) for r, _ in extra) / 260
        return 1.0 - (fraction - 0.5) ** 2  # 0.5 is the unique best

    class SpyCVAE(CVAESampler):
        def _train_module(self, data, *args):
            seen["train_and_val"] = data.x_all.numpy().copy()
            return super()._train_module(data, *args)

    monkeypatch.setattr(amount, "proxy_minority_ap", spy_proxy)
    sampler = fast(SpyCVAE, amount_grid=[0.0, 0.5, 1.0], numeric_transform="standard")
    _, yr = sampler.fit_resample(X, y)
    assert sampler.amount_ == 0.5 and not sampler.amount_tied_
    assert Counter(yr)[1] == 40 + 130
    assert sampler.outcome_["amount"] == 0.5 and sampler.outcome_["synthetic_rows"] == 130
    assert sampler.outcome_["amount_score[0.5]"] == 1.0
    selection = sampler.encoder_.transform(sampler.codec_.encode(X[sampler.selection_rows_]))
    assert len(calls) == 3 and np.bincount(y[sampler.selection_rows_]).min() >= 6
    for train, _, (held_x, _) in calls:
        np.testing.assert_allclose(held_x, selection, rtol=1e-6)
        assert not _shares_rows(train[0], selection)
    # the generator's training and early-stopping rows exclude every selection row
    assert len(seen["train_and_val"]) == len(X) - len(selection)
    assert not _shares_rows(seen["train_and_val"], selection)


def _shares_rows(a: np.ndarray, b: np.ndarray) -> bool:
    return bool((np.abs(a[:, None, :] - b[None, :, :]).max(axis=2) < 1e-9).any())


def test_amount_ties_go_to_the_smallest_fraction_and_are_recorded(monkeypatch):
    X, y = toy()
    monkeypatch.setattr(amount, "proxy_minority_ap", lambda *a: 1.0)
    sampler = fast(CVAESampler, amount_grid=[0.0, 0.5, 1.0])
    _, yr = sampler.fit_resample(X, y)
    assert sampler.amount_ == 0.0 and sampler.amount_tied_
    assert Counter(yr)[1] == 40 and sampler.outcome_["synthetic_rows"] == 0
    assert sampler.outcome_["amount_tied"] is True


def test_neighbour_filter_rejects_rows_among_the_majority_and_records_it():
    X, y = toy()
    sampler = fast(
        CVAESampler,
        filter_neighbors=5,
        filter_confidence=0.0,
        numeric_transform="standard",
        trainer={"max_steps": 150, "epoch_steps": 50},
    )
    Xr, yr = sampler.fit_resample(X, y)
    assert Counter(yr)[1] == 300
    out = sampler.outcome_
    share = sampler.filter_.other_class_share(sampler.encoder_.transform(Xr[len(X) :]), 1)
    assert 0 < out["filter_acceptance"] < 1  # some drawn rows were rejected
    # exactly the rows used to fill a shortfall fail the filter; the rest pass
    assert (share > 0.5).sum() == out["filter_filled_rows"]
    assert out["filter_fell_back"] == (out["filter_filled_rows"] > 0)


def test_filter_fallback_is_recorded_when_too_few_rows_pass():
    X, y = toy()
    sampler = fast(
        CVAESampler, filter_neighbors=5, filter_confidence=0.0, numeric_transform="standard"
    )
    sampler.fit_resample(X, y)
    sampler.filter_.threshold = -1.0  # nothing can pass
    sampler.filter_.reset_counts()
    rows = sampler.sample(20, 1)
    assert len(rows) == 20
    assert sampler.filter_.outcome()["filter_fell_back"] is True
    assert sampler.filter_.outcome()["filter_filled_rows"] == 20
    assert sampler.filter_.outcome()["filter_acceptance"] == 0.0


@pytest.mark.parametrize("cls", SAMPLERS, ids=lambda c: c.__name__)
def test_outcome_records_rows_training_and_timing(cls):
    X, y = toy()
    sampler = fast(cls, sampling_strategy={1: 100})
    sampler.fit_resample(X, y)
    out = sampler.outcome_
    assert out["requested_rows"] == 60 and out["amount"] == 1.0
    assert out["steps"] == 4 and out["stop_reason"] == "budget"
    assert out["fit_seconds"] >= out["train_seconds"] > 0
    if cls is BAGANSampler:
        assert out["autoencoder_steps"] == 4
        assert out["adversarial_kept"] == sampler.adversarial_kept_


def test_sample_draws_fresh_rows_reproducibly():
    X, y = toy()
    first = fast(CVAESampler, random_state=3)
    first.fit_resample(X, y)
    a, b = first.sample(5, 1), first.sample(5, 1)
    assert not np.allclose(a, b)  # a second call continues the stream
    again = fast(CVAESampler, random_state=3)
    again.fit_resample(X, y)
    np.testing.assert_array_equal(again.sample(5, 1), a)
    np.testing.assert_array_equal(again.sample(5, 1), b)


def test_works_in_an_imblearn_pipeline_with_cross_validate():
    X, y = toy()
    pipe = make_pipeline(fast(CVAESampler), LogisticRegression())
    scores = cross_validate(pipe, X, y, cv=3, scoring="average_precision")
    assert len(scores["test_score"]) == 3 and (scores["test_score"] > 0.5).all()


def test_public_sample_draws_in_input_types():
    frame, y = _mixed_frame()
    sampler = fast(CVAESampler)
    sampler.fit_resample(frame, y)
    rows = sampler.sample(7, "fraud")
    assert isinstance(rows, pd.DataFrame) and len(rows) == 7
    with pytest.raises(ValueError, match="unknown class 'nope'"):
        sampler.sample(3, "nope")


# -- bad input -------------------------------------------------------------------------------
def test_one_row_minority_class_warns_and_still_fills_it(caplog):
    X, y = toy(n_minor=1)
    with caplog.at_level(logging.WARNING):
        _, yr = fast(CVAESampler).fit_resample(X, y)
    assert "has 1 row(s)" in caplog.text
    assert Counter(yr) == {0: 300, 1: 300}


def test_impossible_sampling_strategy_is_rejected():
    X, y = toy()
    with pytest.raises(ValueError, match="should be greater or equal to the original number"):
        fast(CVAESampler, sampling_strategy={1: 10}).fit_resample(X, y)


def test_constant_feature_stays_constant():
    X, y = toy()
    X = np.column_stack([X, np.full(len(X), 7.0)])
    Xr, _ = fast(DDPMSampler).fit_resample(X, y)
    np.testing.assert_array_equal(Xr[:, 2], 7.0)


def test_non_finite_values_are_named():
    X, y = toy()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"NaN or infinite values in columns \['1'\]"):
        fast(CVAESampler).fit_resample(X, y)


def test_amount_grid_needs_a_validation_split():
    X, y = toy()
    with pytest.raises(ValueError, match="amount_grid needs validation rows"):
        fast(CVAESampler, amount_grid=[0, 1], val_fraction=0.0).fit_resample(X, y)


def test_unknown_model_or_trainer_setting():
    X, y = toy()
    with pytest.raises(ValueError, match="bad model settings for CVAESampler"):
        CVAESampler(model={"latent": 3}, trainer={"max_steps": 1}).fit_resample(X, y)
    with pytest.raises(ValueError, match=r"model settings \['lr'\] are set by the sampler"):
        CVAESampler(model={"lr": 0.1}, trainer={"max_steps": 1}).fit_resample(X, y)
    with pytest.raises(ValueError, match=r"unknown trainer settings \['epochs'\]"):
        CVAESampler(trainer={"epochs": 1}).fit_resample(X, y)


# -- imbalanced-learn's sampler contract -------------------------------------------------------
def _skips(estimator) -> dict:
    reason = "generators need dense input and raise a TypeError that says so"
    return {"check_samplers_sparse": reason}


@parametrize_with_checks([fast(cls) for cls in SAMPLERS], expected_failed_checks=_skips)
def test_imblearn_sampler_contract(estimator, check):
    check(estimator)


def test_sample_of_no_rows_is_empty_and_a_negative_count_an_error():
    """sample(0, label) and sample(-1, label) raised numpy's "need at least one array to
    concatenate"."""
    frame, y = _mixed_frame()
    sampler = fast(CVAESampler, random_state=3)
    sampler.fit_resample(frame, y)
    empty = sampler.sample(0, "fraud")
    assert isinstance(empty, pd.DataFrame) and empty.shape == (0, frame.shape[1])
    assert (empty.dtypes == sampler.sample(2, "fraud").dtypes).all()
    for bad in (-1, 2.5):
        with pytest.raises(ValueError, match=r"sample\(n=.*whole number >= 0"):
            sampler.sample(bad, "fraud")
