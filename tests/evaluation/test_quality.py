"""Sample-quality measures rank a good generator above a bad one."""

from __future__ import annotations

import numpy as np
import pytest

from genover.evaluation.quality import copy_rates, majority_neighbour_rate, prdc, sample_quality


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    majority = rng.normal(0, 1, (400, 3))
    minority = rng.normal(3, 0.5, (120, 3))
    X = np.vstack([majority, minority[:60]])
    y = np.r_[np.zeros(400, int), np.ones(60, int)]
    held_out = minority[60:]  # a perfect generator: fresh rows of the true distribution
    noise = rng.uniform(-4, 6, (60, 3))  # a bad one
    return X, y, held_out, noise


def test_real_held_out_rows_beat_uniform_noise(data):
    X, y, good, bad = data
    q_good, q_bad = sample_quality(X, y, good, 1), sample_quality(X, y, bad, 1)
    assert q_good["precision"] > q_bad["precision"] + 0.3
    assert q_good["density"] > q_bad["density"]
    assert q_good["coverage"] > q_bad["coverage"]
    assert q_good["two_sample_auc"] < 0.7 < q_bad["two_sample_auc"]
    assert q_good["majority_neighbour_rate"] < q_bad["majority_neighbour_rate"]


def test_copies_are_flagged(data):
    X, y, good, _ = data
    real = X[y == 1]
    copies = copy_rates(real, real[:30])
    assert copies["exact_copy_rate"] == 1.0 and copies["dcr_median"] == 0.0
    assert copy_rates(real, good)["exact_copy_rate"] == 0.0


def test_prdc_of_identical_sets_and_majority_rate():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(50, 2))
    p = prdc(A, A.copy(), k=5)
    assert p["precision"] == 1.0 and p["recall"] == 1.0 and p["coverage"] == 1.0
    X = np.vstack([np.zeros((10, 2)), np.ones((10, 2)) * 5])
    y = np.r_[np.zeros(10, int), np.ones(10, int)]
    assert majority_neighbour_rate(X, y, np.zeros((4, 2)), label=1, k=5) == 1.0
    assert majority_neighbour_rate(X, y, np.ones((4, 2)) * 5, label=1, k=5) == 0.0
