"""``synthetic_weight=w``: the rows a sampler appends enter the classifier's fit with weight w
(real rows 1), for every classifier fed by the fold's one sampler fit; recorded per fold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from genover.data import load_dataset
from genover.experiment import Method, run
from genover.experiment.shared_fit import fit_fold
from tests.conftest import FAST_GENERATOR

RECORDER = {"_target_": "tests.test_synthetic_weight.WeightRecorder"}


class WeightRecorder(ClassifierMixin, BaseEstimator):
    """Keeps the rows, labels and sample weights its ``fit`` received."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        self.X_, self.y_, self.weights_ = np.asarray(X), np.asarray(y), sample_weight
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


@pytest.mark.parametrize("sampler", ["random_over", "smote", "cvae"])
def test_the_classifier_sees_w_on_exactly_the_appended_rows(compose_cfg, sampler):
    fast = FAST_GENERATOR if sampler == "cvae" else []
    cfg = compose_cfg(f"sampler={sampler}", "transform=none", "synthetic_weight=0.5", *fast)
    dataset = load_dataset("synthetic:n300:d5:ir8")
    X, y = dataset.X[:150], dataset.y[:150]
    method = Method(sampler, dict(cfg.sampler))
    # "a" is fitted through the pipeline, "b" on the same sampler rows with its own weight
    classifiers = {"a": RECORDER, "b": RECORDER}
    fitted, _, _ = fit_fold(
        dataset, method, cfg, X, y, 0, classifiers, synthetic_weights={"b": 0.25}
    )
    for name, weight in (("a", 0.5), ("b", 0.25)):
        clf = fitted[name][0].named_steps["classifier"]
        real = clf.weights_ == 1.0
        assert real.sum() == len(y) and len(clf.y_) > len(y)
        np.testing.assert_allclose(clf.X_[real], X, rtol=1e-6)  # the real rows, in order
        assert np.all(clf.weights_[~real] == weight)
        assert np.all(clf.y_[~real] == dataset.minority_class)
        outcome_total = fitted[name][1].synthetic_total
        assert outcome_total == pytest.approx(weight * (len(clf.y_) - len(y)))


def test_smote_tomek_weights_its_synthetic_rows_though_tomek_links_remove_real_ones(compose_cfg):
    """SMOTETomek has no sample_indices_ and drops real rows too: the kept real rows keep
    weight 1 (the cleaner's indices say which), the kept SMOTE rows get w."""
    cfg = compose_cfg("sampler=smote_tomek", "transform=none", "synthetic_weight=0.5")
    dataset = load_dataset("synthetic:n300:d5:ir8:sep0.5")
    X, y = dataset.X[:200], dataset.y[:200]
    method = Method("smote_tomek", OmegaConf.to_container(cfg.sampler, resolve=True))
    fitted, _, _ = fit_fold(dataset, method, cfg, X, y, 0, {"a": RECORDER})
    pipe, capture = fitted["a"]
    clf, sampler = pipe.named_steps["classifier"], pipe.named_steps["sampler"]
    kept = np.asarray(sampler.tomek_.sample_indices_)
    assert (kept < len(y)).sum() < len(y)  # Tomek links removed real rows here
    real = clf.weights_ == 1.0
    np.testing.assert_array_equal(real, kept < len(y))
    np.testing.assert_allclose(clf.X_[real], X[kept[kept < len(y)]], rtol=1e-6)
    assert np.all(clf.weights_[~real] == 0.5)
    assert capture.synthetic_total == pytest.approx(0.5 * (~real).sum())


def test_a_classifier_without_sample_weight_is_refused_before_any_fit(compose_cfg, tmp_path):
    log = tmp_path / "fits.jsonl"
    cfg = compose_cfg(
        "sampler=random_over",
        "sampler._target_=tests.spies.RecordingSampler",
        f"+sampler.log_path={log}",
        "synthetic_weight=0.5",
    )
    dataset = load_dataset("synthetic:n300:d5:ir8")
    knn = {"_target_": "sklearn.neighbors.KNeighborsClassifier"}
    with pytest.raises(ValueError, match=r"synthetic_weight=0.5: classifier 'knn'.*1\.0"):
        fit_fold(
            dataset,
            Method("random_over", dict(cfg.sampler)),
            cfg,
            dataset.X,
            dataset.y,
            0,
            {"lr": dict(cfg.classifier), "knn": knn},
        )
    assert not log.exists()  # the sampler was never fitted


def test_folds_record_the_weight_and_the_synthetic_rows_total(compose_cfg, tmp_path):
    cfg = compose_cfg(
        "sampler=random_over", "baselines=[none]", "synthetic_weight=0.25", "evaluation.plots=false"
    )
    run(cfg, tmp_path)
    folds = pd.read_csv(tmp_path / "folds.csv")
    assert (folds["synthetic_weight"] == 0.25).all()
    expected = 0.25 * folds["synthetic_rows"]
    np.testing.assert_allclose(folds["synthetic_weight_total"], expected)
    assert (folds.loc[folds["method"] == "random_over", "synthetic_weight_total"] > 0).all()
    assert (folds["threshold.tuning"] == "tuned").all()  # composes with threshold tuning


def test_a_negative_weight_is_refused_naming_the_option(compose_cfg):
    from genover.experiment import validate_config

    with pytest.raises(ValueError, match="synthetic_weight=-0.5: use a non-negative number"):
        validate_config(compose_cfg("synthetic_weight=-0.5"))
