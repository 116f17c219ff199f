"""Copy rejection: draws equal to a training row are redrawn, and what stays is counted."""

from __future__ import annotations

import numpy as np
import pandas as pd

from genover import CVAESampler
from genover.samplers.copies import CopyRejection


def _scripted(*batches):
    """A draw function returning the given row batches in turn (anchors: the row's value)."""
    queue = [np.array(b, dtype=float) for b in batches]

    def draw(m):
        rows = queue.pop(0)
        assert len(rows) == m, (len(rows), m)
        return rows, rows[:, 0].copy()

    return draw


def test_copies_are_redrawn_until_new_and_counted():
    training = np.array([[0.0, 0.0], [1.0, 1.0]])
    check = CopyRejection(lambda rows: rows, training, rounds=10)
    # first draw: rows 0 and 2 copy training rows; their redraw copies again at row 2 only
    draw = check.wrap(_scripted([[0, 0], [2, 2], [1, 1]], [[3, 3], [0, 0]], [[4, 4]]))
    rows, anchors = draw(3)
    np.testing.assert_array_equal(rows, [[3, 3], [2, 2], [4, 4]])
    np.testing.assert_array_equal(anchors, [3, 2, 4])  # each row keeps its own anchor
    assert check.outcome() == {"copies_redrawn": 3, "copies_left": 0}


def test_copies_left_after_the_last_round_are_kept_and_counted():
    check = CopyRejection(lambda rows: rows, np.array([[0.0], [1.0]]), rounds=1)
    rows, _ = check.wrap(_scripted([[0], [5]], [[1]]))(2)
    np.testing.assert_array_equal(rows, [[1], [5]])
    assert check.outcome() == {"copies_redrawn": 1, "copies_left": 1}
    check.reset_counts()
    assert check.outcome() == {"copies_redrawn": 0, "copies_left": 0}


def test_a_generator_with_copy_rejection_keeps_and_counts_only_the_copies_it_could_not_avoid():
    """Three binary columns (8 rows possible), six of them in training: without rejection many
    draws copy a training row; with it, the copies left are exactly those the outcome counts."""
    rng = np.random.default_rng(0)
    combos = np.array([[a, b, c] for a in "pq" for b in "rs" for c in "tu"])[:6]
    X = pd.DataFrame(combos[rng.integers(0, 6, 60)], columns=["a", "b", "c"])
    y = np.r_[np.zeros(45, int), np.ones(15, int)]
    seen = set(map(tuple, X.to_numpy()))

    def copies(reject):
        sampler = CVAESampler(
            random_state=0,
            reject_copies=reject,
            categorical_features=["a", "b", "c"],
            model={"hidden": [16], "latent_dim": 2},
            trainer={"max_steps": 4, "epoch_steps": 2},
            filter_confidence=0.0,
        )
        Xr, _ = sampler.fit_resample(X, y)
        new = Xr.iloc[len(X) :].to_numpy()
        return sum(tuple(row) in seen for row in new), sampler.outcome_

    plain, outcome = copies(False)
    assert "copies_redrawn" not in outcome
    kept, outcome = copies(True)
    assert kept == outcome["copies_left"] < plain
    assert outcome["copies_redrawn"] >= plain - kept
