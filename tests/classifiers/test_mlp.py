"""MLPClassifier: the sklearn contract, pipelines, strategies and the effect of weighting."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from imblearn.pipeline import make_pipeline
from sklearn.datasets import make_classification
from sklearn.metrics import recall_score
from sklearn.model_selection import cross_validate
from sklearn.utils.estimator_checks import parametrize_with_checks

from genover.classifiers import ClassSampling, MLPClassifier
from genover.losses import CrossEntropyLoss, FocalLoss
from genover.samplers import SMOTE

FAST = dict(hidden=(16,), max_epochs=3, patience=2, random_state=0)


def _skips(estimator) -> dict:
    return {
        "check_sample_weight_equivalence_on_dense_data": "fit has no sample_weight; imbalance is handled by the loss",
        "check_classifiers_train": "3 epochs on a tiny net cannot reach sklearn's accuracy bar",
    }


@parametrize_with_checks([MLPClassifier(**FAST, val_fraction=0.0)], expected_failed_checks=_skips)
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def imbalanced():
    X, y = make_classification(
        n_samples=2040,
        n_features=8,
        n_informative=5,
        weights=[50 / 51],
        class_sep=0.8,
        flip_y=0.0,
        random_state=3,
    )
    return X.astype(np.float32), y


def test_weighting_improves_minority_recall_at_the_same_budget(imbalanced):
    # 1:50 imbalance, same network and epochs: inverse-frequency weights must raise recall.
    X, y = imbalanced
    budget = dict(hidden=(32,), max_epochs=15, val_fraction=0.0, random_state=0)
    recalls = {}
    for name, loss in [
        ("ce", "ce"),
        ("weighted", functools.partial(CrossEntropyLoss, weighting="inverse")),
        ("focal", functools.partial(FocalLoss, gamma=2.0, alpha=0.9)),
    ]:
        clf = MLPClassifier(loss=loss, **budget).fit(X[:1530], y[:1530])
        recalls[name] = recall_score(y[1530:], clf.predict(X[1530:]))
    assert recalls["weighted"] > recalls["ce"] + 0.2, recalls
    assert recalls["focal"] > recalls["ce"], recalls


@pytest.mark.parametrize(
    "options",
    [
        dict(loss="balanced_softmax"),
        dict(loss="ldam"),
        dict(loss="lmcl"),
        dict(loss="focal", sampling="curriculum"),
        dict(loss="ce", sampling="class_balanced"),
        dict(loss="ce", decoupled="crt", crt_epochs=2),
        dict(loss="ce", decoupled="tau_norm"),
        dict(loss="ce", batch_norm=True, decoupled="crt", crt_epochs=2),
    ],
    ids=str,
)
def test_every_strategy_trains_and_predicts_probabilities(imbalanced, options):
    X, y = imbalanced
    clf = MLPClassifier(**{**FAST, **options}).fit(X[:600], y[:600])
    proba = clf.predict_proba(X[600:700])
    assert proba.shape == (100, 2) and np.allclose(proba.sum(1), 1, atol=1e-5)
    assert set(clf.predict(X[600:700])) <= set(clf.classes_)


def test_crt_keeps_features_and_retrains_the_head(imbalanced):
    X, y = imbalanced
    clf = MLPClassifier(**{**FAST, "max_epochs": 2}, decoupled="crt", crt_epochs=2).fit(
        X[:400], y[:400]
    )
    assert not any(p.requires_grad for p in clf.module_.features.parameters())
    assert all(p.requires_grad for p in clf.module_.head.parameters())


def test_tau_norm_equalises_head_norms(imbalanced):
    X, y = imbalanced
    clf = MLPClassifier(**FAST, decoupled="tau_norm", tau=1.0).fit(X[:400], y[:400])
    norms = clf.module_.head.weight.norm(dim=1)
    assert norms.tolist() == pytest.approx([1.0, 1.0], abs=1e-5)
    with pytest.raises(ValueError, match="tau_norm rescales a linear head"):
        MLPClassifier(**FAST, loss="ldam", decoupled="tau_norm").fit(X[:200], y[:200])


def test_curriculum_moves_from_uniform_to_natural():
    import torch

    y = torch.tensor([0] * 90 + [1] * 10)
    sampling = ClassSampling(y, "curriculum", total_epochs=10)
    assert sampling.class_probabilities(0).tolist() == pytest.approx([0.5, 0.5])
    assert sampling.class_probabilities(5).tolist() == pytest.approx([0.7, 0.3])
    assert sampling.class_probabilities(10).tolist() == pytest.approx([0.9, 0.1])
    w = sampling(0)
    assert w[y == 1].sum().item() == pytest.approx(w[y == 0].sum().item())
    assert ClassSampling(y, "instance", 10)(3) is None


def test_multiclass_and_string_labels(imbalanced):
    X, _ = imbalanced
    y = np.array(["a", "b", "c"])[np.arange(len(X)) % 3]
    clf = MLPClassifier(**FAST, loss="focal").fit(X[:300], y[:300])
    assert clf.predict_proba(X[:5]).shape == (5, 3) and set(clf.predict(X[:50])) <= {"a", "b", "c"}


def test_in_an_imblearn_pipeline_with_cross_validate(imbalanced):
    X, y = imbalanced
    pipe = make_pipeline(SMOTE(random_state=0), MLPClassifier(**FAST))
    scores = cross_validate(pipe, X[:600], y[:600], cv=3, scoring="average_precision")
    assert np.isfinite(scores["test_score"]).all()


def test_bad_settings(imbalanced):
    X, _ = imbalanced
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        MLPClassifier(**FAST, loss="hinge").fit(X[:100], np.arange(100) % 2)
    with pytest.raises(ValueError, match="at least two classes"):
        MLPClassifier(**FAST).fit(X[:10], np.zeros(10))
