"""ForestFlow behind imbalanced-learn's API: per-class models, exact counts, seeds, categories."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from imblearn.utils.estimator_checks import parametrize_with_checks

from genover.samplers.forest_flow import ForestFlowSampler, _only_seen_categories

TINY = {"n_t": 4, "duplicate_K": 4, "n_estimators": 10, "max_depth": 3}


def _frame(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Majority around 0 with categories x/y/z; minority around 3 holding only y and z."""
    rng = np.random.default_rng(seed)
    n, m = 40, 12
    X = pd.DataFrame(
        {
            "a": np.r_[rng.normal(0, 1, n), rng.normal(3, 0.3, m)],
            "c": pd.Categorical(
                np.r_[rng.choice(list("xyz"), n), rng.choice(list("yz"), m)], list("xyz")
            ),
            "k": np.r_[rng.integers(0, 5, n), rng.integers(3, 6, m)],
        }
    )
    return X, np.r_[np.zeros(n, int), np.ones(m, int)]


def test_exact_counts_for_every_strategy_form():
    X, y = _frame()
    assert Counter(ForestFlowSampler(random_state=0, **TINY).fit_resample(X, y)[1]) == {
        0: 40,
        1: 40,
    }
    got = ForestFlowSampler(random_state=0, sampling_strategy={0: 45, 1: 20}, **TINY)
    assert Counter(got.fit_resample(X, y)[1]) == {0: 45, 1: 20}
    assert got.outcome_["synthetic_rows[0]"] == 5 and got.outcome_["synthetic_rows[1]"] == 8


def test_same_seed_same_rows_and_the_global_numpy_state_is_left_alone():
    X, y = _frame()
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    first = ForestFlowSampler(random_state=0, **TINY).fit_resample(X, y)[0]
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    np.random.seed(7)  # another global state: the rows do not depend on it
    again = ForestFlowSampler(random_state=0, **TINY).fit_resample(X, y)[0]
    other = ForestFlowSampler(random_state=1, **TINY).fit_resample(X, y)[0]
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first["a"].to_numpy()[52:], other["a"].to_numpy()[52:])


def test_one_model_per_oversampled_class_on_its_own_rows_with_the_settings(monkeypatch):
    import ForestDiffusion.diffusion_with_trees_class as package

    seen = []
    real = package.ForestDiffusionModel

    def spy(X, **kwargs):
        seen.append((X.shape, kwargs))
        return real(X, **kwargs)

    monkeypatch.setattr(package, "ForestDiffusionModel", spy)
    X, y = _frame()
    options = {**TINY, "diffusion_type": "vp", "eta": 0.1, "n_threads": 2}
    ForestFlowSampler(random_state=0, **options).fit_resample(X, y)
    assert len(seen) == 1  # the minority only: the majority receives no rows
    shape, kwargs = seen[0]
    assert shape == (12, 1 + 3 + 1)  # its 12 rows: a, one-hot c, k
    names = ("n_t", "duplicate_K", "diffusion_type", "eta", "nthread")
    assert {k: kwargs[k] for k in names} == {
        "n_t": 4,
        "duplicate_K": 4,
        "diffusion_type": "vp",
        "eta": 0.1,
        "nthread": 2,
    }


def test_rows_keep_types_categories_and_the_class_location():
    X, y = _frame()
    Xr, yr = ForestFlowSampler(random_state=0, **TINY).fit_resample(X, y)
    new = Xr.iloc[len(X) :]
    assert list(Xr.dtypes) == list(X.dtypes)
    assert set(new["c"]) <= {"y", "z"}  # the minority's own categories
    assert new["k"].between(3, 5).all() and (new["k"] == new["k"].round()).all()
    assert abs(new["a"].mean() - 3) < 0.5


def test_unseen_categories_are_ruled_out_before_the_argmax():
    # one numeric column, then a 3-category block; the class's rows hold categories 1 and 2
    x = np.array([[0.5, 0, 1, 0], [0.7, 0, 0, 1]], dtype=float)
    rows = np.array([[0.6, 0.0, 0.0, -0.2]])  # clipped draws: the unseen category 0 ties
    got = _only_seen_categories(rows, x, (3,))
    np.testing.assert_array_equal(got, [[0.6, -1.0, 0.0, -0.2]])
    assert got[:, 1:].argmax(axis=1).tolist() == [1]


def test_non_finite_input_is_named():
    X, y = _frame()
    X.loc[3, "a"] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite values in columns \\['a'\\]"):
        ForestFlowSampler(random_state=0, **TINY).fit_resample(X, y)


def _skips(estimator) -> dict:
    return {"check_samplers_sparse": "it needs dense input and raises a TypeError that says so"}


@parametrize_with_checks([ForestFlowSampler(random_state=0, **TINY)], expected_failed_checks=_skips)
def test_imblearn_sampler_contract(estimator, check):
    check(estimator)


def test_a_single_column_table_is_generated_near_its_class():
    """The package's per-level predictions break on one column; the sampler still draws it."""
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, 40), rng.normal(5, 0.3, 12)].reshape(-1, 1)
    y = np.r_[np.zeros(40, int), np.ones(12, int)]
    X_res, y_res = ForestFlowSampler(random_state=0, **TINY).fit_resample(X, y)
    new = X_res[len(X) :]
    assert X_res.shape == (80, 1) and Counter(y_res) == {0: 40, 1: 40}
    assert abs(new.mean() - 5) < 1.0  # the minority's location, not the majority's
