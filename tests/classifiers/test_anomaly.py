"""One-class detectors: minority ranked by anomaly, fitted on the rows asked for, sklearn API."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import average_precision_score
from sklearn.utils.estimator_checks import check_estimator

from genover.classifiers.anomaly import (
    IsolationForestClassifier,
    LocalOutlierFactorClassifier,
    OneClassSVMClassifier,
    score_to_proba,
)
from genover.experiment import build, run

DETECTORS = {
    "isolation_forest": lambda: IsolationForestClassifier(n_estimators=50, random_state=0),
    "one_class_svm": lambda: OneClassSVMClassifier(random_state=0),
    "lof": lambda: LocalOutlierFactorClassifier(),
}


def outlier_problem(n_majority: int = 4000, ratio: int = 200, d: int = 5, seed: int = 0):
    """Majority ~ N(0, I); the 1:ratio minority lies on a shell of radius 4.5-6 around it."""
    rng = np.random.default_rng(seed)
    n_minority = n_majority // ratio
    majority = rng.normal(size=(n_majority, d))
    directions = rng.normal(size=(n_minority, d))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    minority = directions * rng.uniform(4.5, 6.0, size=(n_minority, 1))
    X = np.vstack([majority, minority])
    y = np.r_[np.full(n_majority, "normal"), np.full(n_minority, "anomaly")]
    order = rng.permutation(len(y))
    return X[order], y[order]


@pytest.mark.parametrize("name", list(DETECTORS))
def test_minority_outliers_get_average_precision_far_above_prevalence(name):
    X, y = outlier_problem(seed=0)
    X_test, y_test = outlier_problem(seed=1)
    clf = DETECTORS[name]().fit(X, y)
    # "anomaly" sorts before "normal": the minority is column 0, not the usual column 1.
    assert clf.minority_ == "anomaly" and list(clf.classes_) == ["anomaly", "normal"]
    positive = y_test == "anomaly"
    ap = average_precision_score(positive, clf.predict_proba(X_test)[:, 0])
    prevalence = positive.mean()  # 1/201
    assert ap > 10 * prevalence, (name, ap, prevalence)
    # The 0.5 threshold flags about as many rows as the training prevalence.
    flagged = np.mean(clf.predict(X_test) == "anomaly")
    assert flagged < 5 * prevalence


class _FitSpy:
    """Records the rows each detector ``fit`` call received."""

    def __init__(self, monkeypatch, detector_cls):
        self.rows: list[np.ndarray] = []
        original = detector_cls.fit

        def fit(detector, X, y=None, **kwargs):
            self.rows.append(np.asarray(X).copy())
            return original(detector, X, y, **kwargs)

        monkeypatch.setattr(detector_cls, "fit", fit)


@pytest.mark.parametrize("name", list(DETECTORS))
def test_fit_on_majority_excludes_every_minority_row(monkeypatch, name):
    X, y = outlier_problem(n_majority=600, ratio=20, seed=2)
    clf = DETECTORS[name]()
    spy = _FitSpy(monkeypatch, type(clf._make_detector(len(X))))
    clf.set_params(fit_on="majority").fit(X, y)
    assert clf.n_fit_rows_ == 600
    np.testing.assert_array_equal(spy.rows[-1], X[y == "normal"])
    clf.set_params(fit_on="all").fit(X, y)
    assert clf.n_fit_rows_ == len(X)
    np.testing.assert_array_equal(spy.rows[-1], X)


def test_one_class_svm_caps_its_fit_rows_with_a_seeded_subset():
    X, y = outlier_problem(n_majority=600, ratio=20, seed=3)
    a = OneClassSVMClassifier(max_samples=100, random_state=0).fit(X, y)
    b = OneClassSVMClassifier(max_samples=100, random_state=0).fit(X, y)
    assert a.n_fit_rows_ == 100
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


@pytest.mark.parametrize("name", list(DETECTORS))
def test_sklearn_estimator_checks_pass(name):
    # Binary-only tags: sklearn's checks then use binary data and check that a multiclass
    # y is refused with "Only binary classification is supported."
    check_estimator(DETECTORS[name](), on_skip=None)


@pytest.mark.parametrize("name", list(DETECTORS))
def test_multiclass_is_refused_with_the_fix(name):
    X, _ = outlier_problem(n_majority=300, ratio=10)
    y = np.arange(len(X)) % 3
    with pytest.raises(ValueError, match=r"Only binary.*3 classes.*classifier=brf"):
        DETECTORS[name]().fit(X, y)


def test_score_map_is_strictly_increasing_and_never_saturates():
    scores = np.array([-1e9, -5.0, 0.0, 1.0, 2.0, 1e6, 1e7, 1e9])
    proba = score_to_proba(scores, threshold=1.0, scale=2.0)
    assert np.all(np.diff(proba) > 0)
    assert np.all((proba > 0) & (proba < 1))
    assert proba[3] == 0.5
    assert score_to_proba(np.array([3.0]), 1.0, 2.0)[0] == pytest.approx(0.75)  # z = 1


def test_clone_keeps_the_parameters():
    clf = IsolationForestClassifier(fit_on="all", n_estimators=7, random_state=3)
    assert clone(clf).get_params() == clf.get_params()


@pytest.mark.parametrize("name", list(DETECTORS))
def test_config_builds_the_detector_and_runs_in_the_pipeline(compose_cfg, name):
    cfg = compose_cfg(
        f"classifier={name}", "sampler=none", "baselines=[]", "evaluation.plots=false"
    )
    assert type(build(cfg.classifier)) is type(DETECTORS[name]())
    assert build(cfg.classifier).fit_on == "majority"
    payload = run(cfg)
    method = payload["methods"]["none"]
    assert method["status"] == "ok", method
    assert 0 < method["metrics"]["ap"]["mean"] <= 1
