"""Curation by learning dynamics (CLLM / Data-IQ): confidence and aleatoric uncertainty of
synthetic rows over a boosting classifier's checkpoints, cross-fitted like the real rows."""

from __future__ import annotations

import numpy as np
import pytest

from genover import CVAESampler
from genover.samplers.curation import LearningDynamicsFilter
from tests.samplers.test_levers import overlapping


def test_bars_are_out_of_fold_quantiles_of_the_real_rows():
    X, y = overlapping()
    filt = LearningDynamicsFilter(quantile=0.25, random_state=0).fit(X, y)
    minority = np.flatnonzero(y == 1)
    conf = np.empty(len(minority))
    vary = np.empty(len(minority))
    for i, row in enumerate(minority):
        model = filt.fold_models_[filt.fold_of_[row]]
        staged = [p[0, 1] for p in model.staged_predict_proba(X[row : row + 1])]
        checkpoints = np.array(staged[5::6])  # every 6th of 60 rounds: 10 checkpoints
        conf[i], vary[i] = checkpoints.mean(), checkpoints.std()
    bar_conf, bar_vary = filt.bars_[1]
    assert bar_conf == pytest.approx(np.quantile(conf, 0.25))
    assert bar_vary == pytest.approx(np.quantile(vary[conf >= bar_conf], 0.75))
    # a copy of a real row is judged as that row: by the model that held it out
    ok, _ = filt.badness(X[minority], 1, anchors=minority)
    np.testing.assert_array_equal(ok, (conf >= bar_conf) & (vary <= bar_vary))
    assert 0 < int((~ok).sum()) < len(minority)


def test_rows_deep_in_the_other_class_are_rejected_and_own_core_rows_kept():
    X, y = overlapping()
    filt = LearningDynamicsFilter(quantile=0.25, random_state=0).fit(X, y)
    core = np.array([[1.3, 1.3], [1.1, 1.4]])
    majority = np.array([[-1.5, -1.0], [-0.5, -2.0]])
    ok, score = filt.badness(np.vstack([core, majority]), 1)
    assert ok.tolist() == [True, True, False, False]
    assert score[0] < score[2]  # lower badness for the confident rows


def test_curation_in_a_sampler_records_acceptance_and_bars():
    X, y = overlapping()
    sampler = CVAESampler(
        random_state=0,
        filter_confidence=0.0,
        curate=0.25,
        numeric_transform="standard",
        model={"hidden": [32], "latent_dim": 2, "posterior_share": 0.0},
        trainer={"max_steps": 100, "epoch_steps": 50},
    )
    Xr, yr = sampler.fit_resample(X, y)
    out = sampler.outcome_
    assert isinstance(sampler.filter_, LearningDynamicsFilter)
    assert 0 < out["filter_acceptance"] < 1  # prior draws land among the majority too
    assert out["curation_confidence_bar[1]"] == pytest.approx(sampler.filter_.bars_[1][0], abs=1e-4)
    assert out["curation_inactive"] is False
    assert np.bincount(yr).tolist() == [400, 400]


def test_curation_and_another_filter_at_once_is_an_error():
    X, y = overlapping()
    with pytest.raises(ValueError, match="filter_confidence and curate"):
        CVAESampler(curate=0.25).fit_resample(X, y)
