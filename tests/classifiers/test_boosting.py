"""XGBoost, LightGBM and CatBoost behind genover's API: sklearn's contract, the native
imbalance option, multiclass, native categorical splits and threads."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.estimator_checks import parametrize_with_checks

from genover.classifiers import CatBoostClassifier, LightGBMClassifier, XGBoostClassifier

BOOSTERS = [XGBoostClassifier, LightGBMClassifier, CatBoostClassifier]
SMALL = dict(n_estimators=5, n_jobs=1, random_state=0)

# Boosting libraries are not "a weight of 2 is a repeated row": histogram bins are built from
# the rows (XGBoost's weighted sketch, LightGBM's bins), LightGBM's min_child_samples counts
# rows not weight, and CatBoost's ordered boosting permutes rows. The check cannot apply.
WEIGHTS_ARE_NOT_REPEATS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "boosting libraries bin and count rows, so a weight of k is not k repeated rows"
    ),
}


@parametrize_with_checks(
    [cls(**SMALL) for cls in BOOSTERS],
    expected_failed_checks=lambda estimator: WEIGHTS_ARE_NOT_REPEATS,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def _skewed(n: int = 300, seed: int = 0):
    """10% positives, shifted along the first feature: a small model underrates them."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (rng.random(n) < 0.1).astype(int)
    X[y == 1, 0] += 1.0
    return X, y


def test_balanced_xgboost_sets_scale_pos_weight_to_negatives_over_positives():
    X, y = _skewed()
    negatives, positives = int(np.sum(y == 0)), int(np.sum(y == 1))
    model = XGBoostClassifier(imbalance="balanced", **SMALL).fit(X, y)
    assert model.scale_pos_weight_ == negatives / positives
    assert model.model_.get_params()["scale_pos_weight"] == negatives / positives
    # labels are encoded in sorted order: with the minority named first, XGBoost's "positive"
    # code is the majority, and balancing it means weighting it by minority / majority
    labels = np.where(y == 1, "a_rare", "b_common")
    model = XGBoostClassifier(imbalance="balanced", **SMALL).fit(X, labels)
    assert model.scale_pos_weight_ == positives / negatives
    none = XGBoostClassifier(imbalance="none", **SMALL).fit(X, y)
    assert none.model_.get_params().get("scale_pos_weight") in (None, 1.0)


@pytest.mark.parametrize(
    ("cls", "key", "value"),
    [
        (LightGBMClassifier, "class_weight", "balanced"),
        (CatBoostClassifier, "auto_class_weights", "Balanced"),
    ],
)
def test_balanced_sets_the_library_class_weighting(cls, key, value):
    X, y = _skewed()
    assert cls(imbalance="balanced", **SMALL).fit(X, y).model_.get_params()[key] == value
    assert cls(imbalance="none", **SMALL).fit(X, y).model_.get_params().get(key) is None


@pytest.mark.parametrize("cls", BOOSTERS)
def test_balanced_raises_the_minority_probability(cls):
    X, y = _skewed()
    mean_positive = {}
    for imbalance in ("none", "balanced"):
        model = cls(n_estimators=10, max_depth=2, imbalance=imbalance, n_jobs=1, random_state=0)
        mean_positive[imbalance] = model.fit(X, y).predict_proba(X)[y == 1, 1].mean()
    assert mean_positive["balanced"] > mean_positive["none"] + 0.1, mean_positive


@pytest.mark.parametrize("cls", BOOSTERS)
def test_multiclass_probabilities(cls):
    rng = np.random.default_rng(1)
    y = np.repeat(np.array(["a", "b", "c"]), [150, 40, 10])
    X = rng.normal(size=(len(y), 3)) + (y == "b")[:, None] * 1.5 - (y == "c")[:, None] * 1.5
    model = cls(imbalance="balanced", n_estimators=10, n_jobs=1, random_state=0).fit(X, y)
    proba = model.predict_proba(X)
    assert proba.shape == (len(y), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert list(model.classes_) == ["a", "b", "c"]
    assert np.mean(model.predict(X) == y) > 0.7


def test_multiclass_balanced_xgboost_is_balanced_sample_weights():
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1, 2], [150, 40, 10])
    X = rng.normal(size=(len(y), 3)) + y[:, None] * 0.7
    settings = dict(n_estimators=10, n_jobs=1, random_state=0)
    balanced = XGBoostClassifier(imbalance="balanced", **settings).fit(X, y).predict_proba(X)
    weighted = (
        XGBoostClassifier(imbalance="none", **settings)
        .fit(X, y, sample_weight=compute_sample_weight("balanced", y))
        .predict_proba(X)
    )
    plain = XGBoostClassifier(imbalance="none", **settings).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(balanced, weighted, rtol=1e-6)
    assert np.abs(balanced - plain).max() > 0.05  # the weights did something
    assert balanced[y == 2, 2].mean() > plain[y == 2, 2].mean()


def _parity_codes(n: int, seed: int):
    """A noise column and a column of codes 0..9; the class is the code's parity, which no
    single threshold on the code separates."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 10, n)
    return np.column_stack([rng.normal(size=n), codes]).astype(float), codes % 2


@pytest.mark.parametrize("cls", BOOSTERS)
def test_native_categorical_splits_learn_a_non_monotone_code(cls):
    X, y = _parity_codes(400, seed=0)
    X_test, y_test = _parity_codes(400, seed=1)
    auc = {}
    for name, cats in (("numeric", None), ("native", [1])):
        model = cls(
            n_estimators=5,
            max_depth=1,
            learning_rate=0.5,
            categorical_features=cats,
            n_jobs=1,
            random_state=0,
        ).fit(X, y)
        auc[name] = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
        assert model.outcome_["categorical"] == ("none" if cats is None else "native")
    assert auc["native"] > 0.99 and auc["numeric"] < 0.85, auc
    # a boolean mask is the same as the indices
    mask = cls(categorical_features=[False, True], **SMALL).fit(X, y)
    assert mask.categorical_idx_.tolist() == [1]


@pytest.mark.parametrize("cls", BOOSTERS)
@pytest.mark.parametrize(
    ("cats", "message"),
    [([2], "are not columns of X"), ([-1], "are not columns of X"), ([True], "mask of 1")],
)
def test_bad_categorical_features_is_a_clear_error(cls, cats, message):
    X, y = _parity_codes(60, seed=0)
    with pytest.raises(ValueError, match=message):
        cls(categorical_features=cats, **SMALL).fit(X, y)


@pytest.mark.parametrize(
    ("cls", "key"),
    [
        (XGBoostClassifier, "n_jobs"),
        (LightGBMClassifier, "n_jobs"),
        (CatBoostClassifier, "thread_count"),
    ],
)
def test_n_jobs_none_follows_torch_threads(cls, key):
    X, y = _skewed(100)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(3)
        assert cls(n_estimators=2, n_jobs=None).fit(X, y).model_.get_params()[key] == 3
        assert cls(n_estimators=2, n_jobs=2).fit(X, y).model_.get_params()[key] == 2
    finally:
        torch.set_num_threads(before)
    assert cls(n_estimators=2, n_jobs=None).fit(X, y).model_.get_params()[key] == before
