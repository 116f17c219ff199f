"""Threshold tuning recovers known optima."""

from __future__ import annotations

import numpy as np
import pytest

from genover.evaluation.threshold import best_threshold


def test_separable_scores_give_a_threshold_between_the_classes():
    y = np.array([0] * 50 + [1] * 5)
    scores = np.r_[np.linspace(0.0, 0.3, 50), np.linspace(0.6, 0.9, 5)]
    t = best_threshold(y, scores, "fbeta", beta=1.0)
    assert 0.3 < t <= 0.6
    assert np.all((scores >= t) == (y == 1))


def test_fbeta_optimum_matches_brute_force():
    rng = np.random.default_rng(1)
    y = (rng.random(400) < 0.1).astype(int)
    scores = np.clip(rng.normal(0.3 + 0.3 * y, 0.15), 0, 1)
    for beta in (0.5, 1.0, 2.0):
        t = best_threshold(y, scores, "fbeta", beta=beta)

        def f(th, beta=beta):
            pred = scores >= th
            tp, fp, fn = np.sum(pred & (y == 1)), np.sum(pred & (y == 0)), np.sum(~pred & (y == 1))
            return (1 + beta**2) * tp / ((1 + beta**2) * tp + beta**2 * fn + fp)

        brute = max(f(th) for th in np.unique(scores))
        assert f(t) == pytest.approx(brute)
    assert best_threshold(y, scores, "fbeta", beta=4.0) <= best_threshold(
        y, scores, "fbeta", beta=0.5
    )


def test_cost_objective_follows_the_cost_ratio():
    rng = np.random.default_rng(2)
    y = (rng.random(500) < 0.2).astype(int)
    scores = np.clip(rng.normal(0.35 + 0.3 * y, 0.15), 0, 1)
    cheap_misses = best_threshold(y, scores, "cost", cost=[[0, 5], [1, 0]])
    costly_misses = best_threshold(y, scores, "cost", cost=[[0, 1], [20, 0]])
    assert costly_misses < cheap_misses
    # with a missed positive 20x as costly, nearly every positive must be caught
    assert np.mean(scores[y == 1] >= costly_misses) > 0.9


def test_bad_objective_and_matrix():
    with pytest.raises(ValueError, match="threshold objective 'auc'"):
        best_threshold([0, 1], [0.1, 0.9], "auc")
    with pytest.raises(ValueError, match="needs a cost matrix"):
        best_threshold([0, 1], [0.1, 0.9], "cost")
