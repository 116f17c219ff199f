"""``classifier.imbalance`` for scikit-learn's lr, rf and hgb: the library's own
``class_weight="balanced"``, from the shipped configs, composing with sample weights."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from sklearn import ensemble, linear_model

import genover
from genover.experiment import build

SKLEARN = {
    "lr": linear_model.LogisticRegression,
    "rf": ensemble.RandomForestClassifier,
    "hgb": ensemble.HistGradientBoostingClassifier,
}
SMALL = {"rf": {"n_estimators": 5}, "hgb": {"max_iter": 5}, "lr": {}}
CONF = genover.__file__.rsplit("/", 2)[0] + "/conf/classifier"


def _skewed(n: int = 200, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (rng.random(n) < 0.1).astype(int)
    X[y == 1, 0] += 1.0
    return X, y


def _library(name: str, node, **settings):
    """The plain scikit-learn estimator with the config's own settings."""
    params = {k: v for k, v in dict(node).items() if k not in ("_target_", "imbalance")}
    return SKLEARN[name](**{**params, **settings})


@pytest.mark.parametrize("name", sorted(SKLEARN))
def test_balanced_is_the_librarys_own_class_weight(compose_cfg, name):
    overrides = [f"classifier.{k}={v}" for k, v in SMALL[name].items()]
    cfg = compose_cfg(f"classifier={name}", "classifier.imbalance=balanced", *overrides)
    X, y = _skewed()
    weights = np.where(np.arange(len(y)) % 3 == 0, 0.5, 1.0)  # e.g. synthetic_weight
    ours = build(cfg.classifier).fit(X, y, sample_weight=weights)
    assert isinstance(ours, SKLEARN[name]) and ours.outcome_ == {"imbalance": "balanced"}
    library = _library(name, cfg.classifier, class_weight="balanced")
    expected = library.fit(X, y, sample_weight=weights).predict_proba(X)
    np.testing.assert_allclose(ours.predict_proba(X), expected)
    plain = _library(name, cfg.classifier).fit(X, y, sample_weight=weights).predict_proba(X)
    assert np.abs(expected - plain).max() > 0.01  # the weighting did something
    assert ours.class_weight is None  # the parameter is left as the user gave it


@pytest.mark.parametrize("name", sorted(SKLEARN))
def test_none_is_the_plain_library(compose_cfg, name):
    cfg = compose_cfg(
        f"classifier={name}", *[f"classifier.{k}={v}" for k, v in SMALL[name].items()]
    )
    X, y = _skewed()
    ours = build(cfg.classifier).fit(X, y)
    np.testing.assert_allclose(
        ours.predict_proba(X), _library(name, cfg.classifier).fit(X, y).predict_proba(X)
    )


@pytest.mark.parametrize("name", ["lr", "rf", "hgb", "xgboost", "lightgbm", "catboost"])
def test_imbalance_default_agrees_with_the_constructor(name):
    node = yaml.safe_load(open(f"{CONF}/{name}.yaml", encoding="utf-8"))
    assert node["imbalance"] == "none"
    cls = build({"_target_": node["_target_"]}).__class__
    assert cls().get_params()["imbalance"] == "none"


def test_both_weightings_at_once_are_rejected():
    X, y = _skewed()
    model = genover.classifiers.LogisticRegression(imbalance="balanced", class_weight={0: 1, 1: 5})
    with pytest.raises(ValueError, match="keep one"):
        model.fit(X, y)
    with pytest.raises(ValueError, match="imbalance=none"):
        genover.classifiers.LogisticRegression(imbalance="yes").fit(X, y)
