"""The SMOTE family: neighbourhood capped to tiny classes, and imbalanced-learn's contract."""

from __future__ import annotations

import logging
from collections import Counter

import numpy as np
import pytest
from imblearn import over_sampling
from imblearn.utils.estimator_checks import parametrize_with_checks
from sklearn.model_selection import StratifiedKFold

from genover.data import load_dataset
from genover.samplers import ADASYN, SMOTE, SMOTENC, BorderlineSMOTE

TINY_SAFE = [
    SMOTE(random_state=0),
    ADASYN(random_state=0),
    BorderlineSMOTE(kind="borderline-1", random_state=0),
    BorderlineSMOTE(kind="borderline-2", random_state=0),
]


def _known_upstream_failures(estimator) -> dict:
    # imbalanced-learn's own BorderlineSMOTE(kind="borderline-2") fails on sparse input
    # (a dimension mismatch inside imblearn); genover adds nothing to that code path.
    if getattr(estimator, "kind", None) == "borderline-2":
        reason = "upstream imblearn bug: borderline-2 breaks on sparse matrices"
        return {"check_samplers_sparse": reason, "check_samplers_pandas_sparse": reason}
    return {}


@parametrize_with_checks(TINY_SAFE, expected_failed_checks=_known_upstream_failures)
def test_imblearn_sampler_contract(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "sampler", TINY_SAFE, ids=lambda s: type(s).__name__ + s.get_params().get("kind", "")
)
def test_tiny_minority_folds_shrink_k_with_a_warning(sampler, caplog):
    # ecoli-0-1-3-7_vs_2-6 has 7 minority rows: this 2-fold training fold holds 3 of them,
    # fewer than k=5 neighbours + 1, so every sampler runs with 2 neighbours.
    data = load_dataset("keel:ecoli-0-1-3-7_vs_2-6")
    assert data.class_counts.min() == 7
    train, _ = next(StratifiedKFold(2, shuffle=True, random_state=0).split(data.X, data.y))
    X, y = data.X[train], data.y[train]
    assert Counter(y) == {0: 137, 1: 3} and data.minority_class == 1
    with caplog.at_level(logging.WARNING):
        Xr, yr = sampler.fit_resample(X, y)
    name = type(sampler).__name__
    capped = (
        f"{name}: the smallest class to resample has 3 rows, fewer than 5 neighbours + 1; "
        "using 2 neighbours for this fit."
    )
    assert capped in caplog.text
    assert caplog.text.count(f"{name}: the smallest class") == 1
    # The three minority rows have only each other as neighbours: ADASYN's weights are
    # undefined and it falls back to uniform weights.
    assert ("uniform weights" in caplog.text) == isinstance(sampler, ADASYN)
    k_param = "n_neighbors" if isinstance(sampler, ADASYN) else "k_neighbors"
    expected = {k_param: 2, f"{k_param}_shrunk": True}
    if isinstance(sampler, ADASYN):
        expected["uniform_weights"] = True
    assert sampler.outcome_ == expected
    assert Counter(yr) == {0: 137, 1: 137}
    np.testing.assert_array_equal(Xr[: len(X)], X)
    # interpolated rows stay in the minority rows' bounding box
    new = Xr[len(X) :]
    minority = X[y == 1]
    assert (new >= minority.min(0) - 1e-12).all() and (new <= minority.max(0) + 1e-12).all()


def _far_apart(extra_class: bool = False):
    """100 majority rows around 0 and 10 minority rows around 20: no minority row has a
    majority row among its 5 nearest neighbours. Optionally a third class that overlaps."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(20, 0.5, (10, 2))])
    y = np.r_[np.zeros(100, int), np.ones(10, int)]
    if extra_class:
        X = np.vstack([X, rng.normal(0, 1, (20, 2))])
        y = np.r_[y, np.full(20, 2)]
    return X, y


@pytest.mark.parametrize("extra_class", [False, True], ids=["binary", "with_overlapping_class"])
def test_adasyn_falls_back_to_smote_when_minority_rows_have_no_majority_neighbour(
    extra_class, caplog
):
    X, y = _far_apart(extra_class)
    sampler = ADASYN(random_state=0)
    with caplog.at_level(logging.WARNING):
        Xr, yr = sampler.fit_resample(X, y)
    assert "ADASYN: no row of class(es) 1 has a neighbour of another class among its 5 " in (
        caplog.text
    )
    targets = {0: 100, 1: 100, 2: 100} if extra_class else {0: 100, 1: 100}
    assert Counter(yr) == targets
    assert sampler.outcome_ == {
        "n_neighbors": 5,
        "n_neighbors_shrunk": False,
        "uniform_weights": True,
    }
    Xs, ys = SMOTE(sampling_strategy=targets, k_neighbors=5, random_state=0).fit_resample(X, y)
    np.testing.assert_array_equal(Xr, Xs)
    np.testing.assert_array_equal(yr, ys)


def test_adasyn_fallback_tests_the_condition_not_imblearns_error_text(monkeypatch):
    # Should imbalanced-learn fix the spelling of its error ("neigbours"), or reword it, the
    # fallback must still happen: genover decides before imblearn's ADASYN could raise.
    original = over_sampling.ADASYN._fit_resample

    def reworded(self, X, y):
        try:
            return original(self, X, y)
        except RuntimeError as err:
            raise RuntimeError(str(err).replace("neigbours", "neighbours")) from None

    monkeypatch.setattr(over_sampling.ADASYN, "_fit_resample", reworded)
    X, y = _far_apart()
    _, yr = ADASYN(random_state=0).fit_resample(X, y)
    assert Counter(yr) == {0: 100, 1: 100}


@pytest.mark.parametrize("minority", [10, 4], ids=["k=5", "capped_k=3"])
def test_adasyn_with_majority_neighbours_is_imblearns_adasyn(minority, caplog):
    X, y = _far_apart()
    X, y = X[: 100 + minority], y[: 100 + minority]
    X[100:103] = X[:3] + 0.01  # three minority rows inside the majority cloud
    sampler = ADASYN(random_state=0)
    with caplog.at_level(logging.WARNING):
        Xr, yr = sampler.fit_resample(X, y)
    k = min(5, minority - 1)
    assert sampler.outcome_ == {
        "n_neighbors": k,
        "n_neighbors_shrunk": minority < 6,
        "uniform_weights": False,
    }
    capped = "ADASYN: the smallest class to resample has 4 rows, fewer than 5 neighbours + 1; "
    assert caplog.text.count(capped) == (minority < 6)  # logged once, not once per estimator
    assert "uniform weights" not in caplog.text
    Xi, yi = over_sampling.ADASYN(n_neighbors=k, random_state=0).fit_resample(X, y)
    np.testing.assert_array_equal(Xr, Xi)
    np.testing.assert_array_equal(yr, yi)
    # Only the three rows with majority neighbours seed new rows (uniform weights, as in
    # SMOTE, would put about 2/3 of them inside the far cluster of seven).
    if minority == 10:
        in_cluster = np.linalg.norm(Xr[len(X) :] - 20, axis=1) < 3
        assert in_cluster.mean() < 0.2


def test_single_row_class_gets_a_clear_error():
    X = np.vstack([np.random.default_rng(0).normal(size=(20, 3)), np.ones((1, 3))])
    y = np.array([0] * 20 + [1])
    with pytest.raises(ValueError, match="single row.*random_over"):
        SMOTE(random_state=0).fit_resample(X, y)


def test_smote_nc_keeps_categories_valid():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=60), rng.integers(0, 3, 60)]).astype(float)
    y = np.array([0] * 54 + [1] * 6)
    Xr, yr = SMOTENC(categorical_features=[1], random_state=0).fit_resample(X, y)
    assert Counter(yr)[1] == 54
    assert set(np.unique(Xr[:, 1])) <= {0.0, 1.0, 2.0}


def test_same_seed_same_samples():
    data = load_dataset("keel:yeast4")
    a = SMOTE(random_state=3).fit_resample(data.X, data.y)[0]
    b = SMOTE(random_state=3).fit_resample(data.X, data.y)[0]
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("features", [np.array([1, 2]), np.array([False, True, True])])
def test_smote_nc_takes_a_numpy_array_of_two_categorical_columns(features):
    """imblearn compares ``categorical_features == "auto"``: an array of two entries raised
    "truth value of an array ... is ambiguous" (the experiment passes arrays)."""
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=60), rng.integers(0, 3, (60, 2))]).astype(float)
    y = np.array([0] * 54 + [1] * 6)
    sampler = SMOTENC(categorical_features=features, random_state=0)
    Xr, yr = sampler.fit_resample(X, y)
    assert Counter(yr)[1] == 54
    assert set(np.unique(Xr[:, 1:])) <= {0.0, 1.0, 2.0}
    assert sampler.get_params()["categorical_features"] is features  # parameters untouched


def test_smote_nc_on_all_categorical_columns_names_the_alternatives():
    """keel:zoo-3 (16 categorical columns, no numeric one)."""
    X = np.random.default_rng(0).integers(0, 3, (40, 2)).astype(float)
    with pytest.raises(ValueError, match=r"every column here is categorical; use sampler=random"):
        SMOTENC(categorical_features=[0, 1]).fit_resample(X, np.array([0] * 34 + [1] * 6))
