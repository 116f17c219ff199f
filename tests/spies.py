"""Recording stand-ins for the leakage test: each logs the row ids it is fitted on."""

from __future__ import annotations

import json

import numpy as np
from imblearn.over_sampling import RandomOverSampler
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from genover.classifiers import MLPClassifier
from genover.data import TabularTransformer


def _record(log_path: str, stage: str, X, exact: bool = False) -> None:
    """Log the row ids (column 0). ``exact`` keeps them as floats, so that an interpolated
    (synthetic) row shows up as a non-integer id."""
    column = np.asarray(X, dtype=float)[:, 0]
    ids = sorted({float(v) for v in column} if exact else {int(round(v)) for v in column})
    with open(log_path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"stage": stage, "ids": ids}) + "\n")


class RecordingTransformer(TabularTransformer):
    def __init__(
        self,
        numeric="none",
        categorical_features=None,
        n_categories=None,
        one_hot=True,
        impute=None,
        log_path=None,
    ):
        super().__init__(numeric, categorical_features, n_categories, one_hot, impute)
        self.log_path = log_path

    def fit(self, X, y=None):
        _record(self.log_path, "transform", X)
        return super().fit(X, y)


class RecordingSampler(RandomOverSampler):
    def __init__(
        self, *, sampling_strategy="auto", random_state=None, shrinkage=None, log_path=None
    ):
        super().__init__(
            sampling_strategy=sampling_strategy, random_state=random_state, shrinkage=shrinkage
        )
        self.log_path = log_path

    def _fit_resample(self, X, y):
        _record(self.log_path, "sampler", X)
        return super()._fit_resample(X, y)


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    def __init__(self, log_path=None, random_state=None):
        self.log_path = log_path
        self.random_state = random_state

    def fit(self, X, y):
        _record(self.log_path, "classifier", X)
        self.model_ = LogisticRegression(max_iter=500).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


class RecordingMLP(MLPClassifier):
    """The real MLPClassifier, logging the rows it trains on and the validation rows."""

    def __init__(self, log_path=None, **kwargs):
        super().__init__(**kwargs)
        self.log_path = log_path

    def fit(self, X, y, eval_set=None):
        _record(self.log_path, "classifier", X, exact=True)
        if eval_set is not None:
            _record(self.log_path, "eval_set", eval_set[0], exact=True)
        return super().fit(X, y, eval_set=eval_set)


def spy_on_fold_pipelines(monkeypatch) -> list[dict]:
    """Record, in call order, every fit of a fold pipeline's sampler and classifier and every
    classifier prediction, as ``{"method", "step", "classifier", "X"}`` entries (``X`` as the
    step received it; with ``transform=none`` column 0 keeps a row id column intact).

    The spy wraps the estimators of each pipeline that ``fold_pipeline`` builds, so the
    samplers and classifiers that fit nested models of their own are not mistaken for them.
    """
    from genover.experiment import shared_fit

    calls: list[dict] = []
    build_pipeline = shared_fit.fold_pipeline

    def spied(dataset, method, cfg, log_name=None, log_dir=None, classifier=None):
        pipe, capture = build_pipeline(dataset, method, cfg, log_name, log_dir, classifier)
        node = cfg.classifier if classifier is None else classifier
        name = str(node["_target_"]).rsplit(".", 1)[-1]
        sampler, clf = pipe.named_steps["sampler"], pipe.named_steps["classifier"]

        def wrap(obj, attr, step):
            original = getattr(obj, attr)

            def recording(X, *args, **kwargs):
                calls.append(
                    {"method": method.name, "step": step, "classifier": name, "X": np.asarray(X)}
                )
                return original(X, *args, **kwargs)

            setattr(obj, attr, recording)

        wrap(sampler, "fit_resample", "sampler")
        wrap(clf, "fit", "classifier")
        wrap(clf, "predict_proba", "predict")
        return pipe, capture

    monkeypatch.setattr(shared_fit, "fold_pipeline", spied)
    return calls
