"""Sample-quality measures rank a good generator above a bad one."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from genover.evaluation.quality import (
    _distance_blocks,
    closeness,
    copy_rates,
    majority_neighbour_rate,
    prdc,
    real_copy_share,
    sample_quality,
)


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


def _dense_prdc(real, fake, k):
    """The textbook formulas on full distance matrices (Naeem et al. 2020, Kynkaanniemi et al.
    2019): only for small sets, as the reference for the blocked implementation."""
    d_rr = np.linalg.norm(real[:, None] - real[None], axis=2)
    d_ff = np.linalg.norm(fake[:, None] - fake[None], axis=2)
    d_rf = np.linalg.norm(real[:, None] - fake[None], axis=2)
    real_r = np.sort(d_rr, axis=1)[:, k]  # column 0 is the row itself
    fake_r = np.sort(d_ff, axis=1)[:, k]
    inside = d_rf < real_r[:, None]
    return {
        "precision": float(inside.any(axis=0).mean()),
        "recall": float((d_rf < fake_r[None, :]).any(axis=1).mean()),
        "density": float(inside.sum(axis=0).mean() / k),
        "coverage": float((d_rf.min(axis=1) < real_r).mean()),
    }


@pytest.mark.parametrize(("n_real", "n_fake", "d", "k"), [(97, 61, 3, 5), (40, 130, 20, 3)])
def test_blocked_prdc_equals_the_dense_formulas(n_real, n_fake, d, k):
    rng = np.random.default_rng(n_real)
    real = rng.normal(0, 1, (n_real, d))
    fake = rng.normal(0.4, 1.3, (n_fake, d))  # partly overlapping, so no measure is 0 or 1
    # ~0.004 MiB holds 4 rows of distances to 130 fake rows: at least 10 blocks per call.
    blocked = prdc(real, fake, k, working_memory=0.004)
    expected = _dense_prdc(real, fake, k)
    assert blocked == pytest.approx(expected, abs=1e-12)
    assert all(0 < v < 1 for m, v in expected.items() if m != "density")
    assert prdc(real, fake, k) == pytest.approx(expected, abs=1e-12)  # one block


def test_distance_blocks_cover_the_matrix_in_bounded_blocks():
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(50, 4)), rng.normal(size=(30, 4))
    blocks = list(_distance_blocks(A, B, working_memory=0.002))  # 0.002 MiB = 8 rows of 30
    assert [rows.stop - rows.start for rows, _ in blocks] == [8] * 6 + [2]
    np.testing.assert_allclose(
        np.vstack([block for _, block in blocks]),
        np.linalg.norm(A[:, None] - B[None], axis=2),
        atol=1e-12,
    )


def test_prdc_by_hand_on_a_line():
    # k=1. Real 0,1,2,4 have radii 1,1,1,2; fake 0.5,3,3.2,10,10.5 have radii 2.5,.2,.2,.5,.5.
    # Real balls hold fake 0.5 (twice: around 0 and 1), 3 and 3.2 (around 4); 3 is exactly on
    # the ball around 2, which does not count (strict <). 10 and 10.5 lie in no real ball.
    real = np.array([[0.0], [1.0], [2.0], [4.0]])
    fake = np.array([[0.5], [3.0], [3.2], [10.0], [10.5]])
    assert prdc(real, fake, k=1, working_memory=1e-5) == pytest.approx(
        {
            "precision": 3 / 5,  # 0.5, 3, 3.2 lie in a real ball
            "recall": 3 / 4,  # 4 lies in no fake ball (nearest fake 3.2 has radius 0.2)
            "density": (2 + 1 + 1) / 5,
            "coverage": 3 / 4,  # the ball around 2 (radius 1) holds no fake row
        }
    )


def test_prdc_memory_grows_linearly_in_rows():
    # 4,000 x 3,000 distances alone are 96 MB; blocks of 1 MiB keep the peak near the inputs.
    rng = np.random.default_rng(2)
    real, fake = rng.normal(size=(4000, 8)), rng.normal(size=(3000, 8))
    tracemalloc.start()
    try:
        prdc(real, fake, k=5, working_memory=1.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.1f} MiB"


def test_exact_copies_are_exact_in_many_dimensions():
    # The neighbour search's |a|^2 - 2ab + |b|^2 leaves up to ~1e-6 on a copy of a 50-feature row.
    real = np.random.default_rng(4).normal(3, 2, (2000, 50))
    copies = copy_rates(real, real[:500])
    assert copies["exact_copy_rate"] == 1.0 and copies["dcr_median"] == 0.0


def test_closeness_by_hand_on_a_line():
    # Real majority 0, 10; real minority 4, 6, 7, whose nearest-neighbour distances are
    # 2, 1, 1 (median 1). Synthetic minority rows:
    #   4      an exact copy of real 4          -> 0 to the minority, nearest real is minority
    #   5.5    between 4 and 6                  -> 0.5, nearest real 6 (minority)
    #   9      past 7, but 10 is nearer         -> 2 to the minority, nearest real 10 (majority)
    #   6.001  a near copy, not an exact one    -> 0.001, nearest real 6 (minority)
    # Median distance to the real minority: (0.001 + 0.5) / 2 = 0.2505; ratio 0.2505 / 1.
    real = np.array([[0.0], [10.0], [4.0], [6.0], [7.0]])
    y_real = np.array([0, 0, 1, 1, 1])
    fake = np.array([[4.0], [5.5], [9.0], [6.001]])
    got = closeness(real, y_real, fake, np.ones(4, int))
    assert got == pytest.approx(
        {"closest_record_ratio": 0.2505, "exact_copy_share": 1 / 4, "other_class_share": 1 / 4}
    )


def test_real_copy_share_by_hand():
    # Training rows (all classes): (0, 1), (1, 0), (-0.0, NaN). Held-out rows:
    #   (0, 1)     equal to a training row                     -> a repeat
    #   (1, 1)     every value seen, but not in one row         -> new
    #   (0.0, NaN) equal to (-0.0, NaN): -0 is 0, missing alike -> a repeat
    #   (1, 0.5)   new
    train = np.array([[0.0, 1.0], [1.0, 0.0], [-0.0, np.nan]])
    held_out = np.array([[0.0, 1.0], [1.0, 1.0], [0.0, np.nan], [1.0, 0.5]])
    assert real_copy_share(train, held_out) == 2 / 4
    assert real_copy_share(train, np.array([[1, 0]])) == 1.0  # integer input compares by value
    assert np.isnan(real_copy_share(train, held_out[:0]))


def test_closeness_by_hand_in_the_plane_is_euclidean():
    # Real minority (0,0), (3,4), (6,8): each row's nearest other one is 5 away (median 5).
    # Synthetic (4.5,6) is midway between (3,4) and (6,8): 2.5 from both (Manhattan: 3.5);
    # (0,0) is a copy. Median (2.5 + 0) / 2 = 1.25, ratio 1.25 / 5.
    real = np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0], [-20.0, -20.0], [20.0, 20.0]])
    y_real = np.array([1, 1, 1, 0, 0])
    fake = np.array([[4.5, 6.0], [0.0, 0.0]])
    got = closeness(real, y_real, fake, np.array([1, 1]))
    assert got == pytest.approx(
        {"closest_record_ratio": 0.25, "exact_copy_share": 1 / 2, "other_class_share": 0.0}
    )
    assert closeness(real, y_real, fake[:0], np.array([], int)) == {}


def test_closeness_flags_exact_copies_in_many_dimensions_in_linear_memory():
    rng = np.random.default_rng(4)
    real = rng.normal(3, 2, (4000, 30))
    y_real = (np.arange(4000) % 5 == 0).astype(int)
    minority = real[y_real == 1]  # 800 rows
    fake = np.vstack([minority[:300], minority + 0.3])  # 300 exact copies, 800 shifted rows
    y_fake = np.ones(len(fake), int)
    tracemalloc.start()
    try:
        got = closeness(real, y_real, fake, y_fake)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 4,000 x 1,100 distances alone would be 35 MiB; the inputs are 1.2 MiB
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.1f} MiB"
    assert got["exact_copy_share"] == pytest.approx(300 / len(fake))


def test_closeness_with_two_synthetic_classes_by_hand():
    # Real class 0 at 0, 1, 3 and class 1 at 10, 12, 13: nearest-neighbour distances 1, 1, 2
    # and 2, 1, 1, a median spacing of 1 in both classes.
    # Synthetic class 1 at 5 and 6: 5 and 4 from the nearest real class-1 row (10), median 4.5
    #   (to any real row, 3 is nearer: 2 and 3, median 2.5, the wrong measure).
    # Synthetic class 0 at 0.4 and 2.1: 0.4 (to 0) and 0.9 (to 3), median 0.65.
    # Every synthetic row's nearest real row is of class 0: the two of class 1 sit nearer
    # another class (2 of 4), the two of class 0 do not.
    real = np.array([[0.0], [1.0], [3.0], [10.0], [12.0], [13.0]])
    y_real = np.array([0, 0, 0, 1, 1, 1])
    fake = np.array([[5.0], [6.0], [0.4], [2.1]])
    got = closeness(real, y_real, fake, np.array([1, 1, 0, 0]))
    assert got == pytest.approx(
        {
            "closest_record_ratio": (4.5 / 1 + 0.65 / 1) / 2,
            "exact_copy_share": 0.0,
            "other_class_share": 2 / 4,
        }
    )
