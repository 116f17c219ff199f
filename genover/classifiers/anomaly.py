"""One-class and anomaly detectors with the sklearn classifier API, for ratios above 100:1.

Each classifier fits an sklearn detector (Isolation Forest, one-class SVM, Local Outlier
Factor in novelty mode) on the majority rows only (``fit_on="majority"``, the one-class
setting) or on every training row (``fit_on="all"``, unsupervised anomaly detection), and
reports the anomaly score as the minority column of ``predict_proba``.

The map from score to probability is fitted on the training rows:

    z = (s - t) / scale,    p_minority = 0.5 + 0.5 * z / (1 + |z|)

where ``s`` is the detector's anomaly score (``-score_samples``: larger is more anomalous),
``t`` is the training scores' ``1 - prevalence`` quantile (so the default 0.5 threshold flags
as many training rows as there are minority rows) and ``scale`` their standard deviation.
The map is strictly increasing and, unlike a logistic, does not round extreme outliers to
exactly 1.0, so the probability ranks rows exactly as the raw score does: average precision,
ROC-AUC, threshold tuning and the report treat these detectors like any other classifier.

The detectors are binary (majority against minority): a multiclass ``y`` is a ``ValueError``.
Run them with ``sampler=none``: over-sampled minority rows are ignored by ``fit_on="majority"``
and modelled as normal by ``fit_on="all"``.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import LocalOutlierFactor
from sklearn.svm import OneClassSVM
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

FIT_ON = ("majority", "all")


def score_to_proba(scores: np.ndarray, threshold: float, scale: float) -> np.ndarray:
    """Strictly increasing map of anomaly scores to (0, 1) with 0.5 at ``threshold``."""
    z = (np.asarray(scores, dtype=float) - threshold) / scale
    return 0.5 + 0.5 * z / (1.0 + np.abs(z))


class OneClassClassifier(ClassifierMixin, BaseEstimator):
    """Base: fit ``_make_detector()`` on the chosen rows; score the minority by anomaly.

    Subclasses store ``fit_on`` here and their detector's parameters in ``__init__``; the
    detector is ``detector_class`` built with the parameters named in ``detector_params``
    (or a subclass's ``_make_detector``). Fitted state: ``classes_``, ``minority_`` (the
    rarer label), ``detector_``, ``n_fit_rows_`` (rows the detector saw), ``threshold_``
    and ``scale_``.
    """

    _parameter_constraints: dict = {"fit_on": [StrOptions(set(FIT_ON))]}
    #: The sklearn detector, and the parameters of this classifier passed on to it as they are.
    detector_class: type
    detector_params: tuple[str, ...] = ()

    def __init__(self, fit_on="majority"):
        self.fit_on = fit_on

    def _make_detector(self, rows: int):
        """The unfitted detector for ``rows`` training rows."""
        return self.detector_class(**{k: getattr(self, k) for k in self.detector_params})

    def _fit_rows(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        return X if self.fit_on == "all" else X[y != self.minority_]

    def fit(self, X, y):
        """Fit the detector on the majority rows (or all rows) and calibrate the score map."""
        self._validate_params()
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        self.classes_, counts = np.unique(y, return_counts=True)
        if len(self.classes_) != 2:
            raise ValueError(
                "Only binary classification is supported. "
                f"{type(self).__name__} separates a majority from a minority class, but y has "
                f"{len(self.classes_)} classes; use a binary dataset (e.g. sklearn:digits:3) or "
                "a multiclass classifier such as classifier=brf."
            )
        self.minority_ = self.classes_[int(np.argmin(counts))]
        rows = self._fit_rows(X, y)
        self.n_fit_rows_ = int(len(rows))
        self.detector_ = self._make_detector(len(rows)).fit(rows)
        train = self.anomaly_score(X)
        prevalence = float(np.mean(y == self.minority_))
        self.threshold_ = float(np.quantile(train, 1.0 - prevalence))
        spread = float(np.std(train))
        self.scale_ = spread if spread > 0 else 1.0
        return self

    def anomaly_score(self, X) -> np.ndarray:
        """The detector's anomaly score: larger means more anomalous (more minority-like)."""
        check_is_fitted(self, "detector_")
        X = validate_data(self, X, reset=False)
        return -self.detector_.score_samples(X)

    def predict_proba(self, X) -> np.ndarray:
        """Columns in ``classes_`` order; the minority column is the calibrated anomaly score."""
        minority = score_to_proba(self.anomaly_score(X), self.threshold_, self.scale_)
        proba = np.empty((len(minority), 2))
        pos = int(np.flatnonzero(self.classes_ == self.minority_)[0])
        proba[:, pos] = minority
        proba[:, 1 - pos] = 1.0 - minority
        return proba

    def predict(self, X) -> np.ndarray:
        """The minority label where the calibrated anomaly score exceeds 0.5."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        # Unsupervised scores do not reach the accuracy sklearn's checks expect of classifiers.
        tags.classifier_tags.poor_score = True
        return tags


class IsolationForestClassifier(OneClassClassifier):
    """Isolation Forest (Liu et al. 2008): rows that random splits isolate quickly are minority.

    Parameters: ``fit_on`` ("majority" or "all"); ``n_estimators``, ``max_samples``,
    ``max_features``, ``random_state`` and ``n_jobs`` of :class:`sklearn.ensemble.IsolationForest`.
    """

    _parameter_constraints: dict = {
        **OneClassClassifier._parameter_constraints,
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "max_samples": [
            StrOptions({"auto"}),
            Interval(Real, 0, 1, closed="right"),
            Interval(Integral, 1, None, closed="left"),
        ],
        "max_features": [
            Interval(Real, 0, 1, closed="right"),
            Interval(Integral, 1, None, closed="left"),
        ],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }
    detector_class = IsolationForest
    detector_params = ("n_estimators", "max_samples", "max_features", "random_state", "n_jobs")

    def __init__(
        self,
        fit_on="majority",
        n_estimators=200,
        max_samples="auto",
        max_features=1.0,
        random_state=None,
        n_jobs=1,
    ):
        super().__init__(fit_on)
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.max_features = max_features
        self.random_state = random_state
        self.n_jobs = n_jobs


class OneClassSVMClassifier(OneClassClassifier):
    """One-class SVM (Schölkopf et al. 2001): rows outside the learnt support are minority.

    Parameters: ``fit_on``; ``kernel``, ``gamma`` and ``nu`` of :class:`sklearn.svm.OneClassSVM`;
    ``max_samples`` caps the rows the SVM is fitted on (a random subset, drawn with
    ``random_state``), since its fit grows quadratically with them (None: no cap).
    """

    _parameter_constraints: dict = {
        **OneClassClassifier._parameter_constraints,
        "kernel": [StrOptions({"rbf", "linear", "poly", "sigmoid"})],
        "gamma": [StrOptions({"scale", "auto"}), Interval(Real, 0, None, closed="neither")],
        "nu": [Interval(Real, 0, 1, closed="right")],
        "max_samples": [Interval(Integral, 2, None, closed="left"), None],
        "random_state": ["random_state"],
    }
    detector_class = OneClassSVM
    detector_params = ("kernel", "gamma", "nu")

    def __init__(
        self,
        fit_on="majority",
        kernel="rbf",
        gamma="scale",
        nu=0.1,
        max_samples=10_000,
        random_state=None,
    ):
        super().__init__(fit_on)
        self.kernel, self.gamma, self.nu = kernel, gamma, nu  # the SVM's
        self.max_samples, self.random_state = max_samples, random_state  # the row cap

    def _fit_rows(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        rows = super()._fit_rows(X, y)
        if self.max_samples is None or len(rows) <= self.max_samples:
            return rows
        keep = check_random_state(self.random_state).choice(
            len(rows), self.max_samples, replace=False
        )
        return rows[np.sort(keep)]


class LocalOutlierFactorClassifier(OneClassClassifier):
    """Local Outlier Factor (Breunig et al. 2000) in novelty mode: rows in sparser
    neighbourhoods than their neighbours' are minority.

    Parameters: ``fit_on``; ``n_neighbors`` (lowered to the fitted rows minus one when they
    are fewer), ``metric``, ``p`` and ``n_jobs`` of :class:`sklearn.neighbors.LocalOutlierFactor`.
    """

    _parameter_constraints: dict = {
        **OneClassClassifier._parameter_constraints,
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "metric": [str],
        "p": [Interval(Real, 1, None, closed="left")],
        "n_jobs": [Integral, None],
    }

    def __init__(self, fit_on="majority", n_neighbors=20, metric="minkowski", p=2, n_jobs=1):
        super().__init__(fit_on)
        self.n_neighbors = n_neighbors
        self.metric = metric
        self.p = p
        self.n_jobs = n_jobs

    def _make_detector(self, rows: int) -> LocalOutlierFactor:
        return LocalOutlierFactor(
            n_neighbors=max(1, min(self.n_neighbors, rows - 1)),
            novelty=True,
            metric=self.metric,
            p=self.p,
            n_jobs=self.n_jobs,
        )
