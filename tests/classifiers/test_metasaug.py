"""MetaSAug: the ISDA surrogate, the covariance estimator, the meta step and the classifier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import make_classification
from sklearn.utils.estimator_checks import parametrize_with_checks

from genover.classifiers import MetaSAugNet, MLPClassifier
from genover.classifiers.metasaug import (
    ClassCovariance,
    isda_logits,
    lookahead_meta_loss,
    meta_covariance_step,
)
from genover.experiment import run
from genover.losses import CrossEntropyLoss

FAST = dict(hidden=(16,), max_epochs=3, patience=3, random_state=0)


_SKIPS = {
    "check_sample_weight_equivalence_on_dense_data": "fit has no sample_weight",
    "check_classifiers_train": "needs more epochs; see test_mlp.py",
}


@parametrize_with_checks(
    [MLPClassifier(**FAST, val_fraction=0.0, augment="metasaug")],
    expected_failed_checks=lambda estimator: _SKIPS,
)
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)


def _hand_example():
    raw = torch.tensor([[0.5, -1.0, 0.2], [1.0, 0.0, -0.5]], dtype=torch.float64)
    weight = torch.tensor([[1.0, 0.0], [0.0, 2.0], [-1.0, 1.0]], dtype=torch.float64)
    y = torch.tensor([0, 2])
    cov = torch.stack(
        [torch.tensor([[2.0, 0.5], [0.5, 1.0]]), torch.eye(2) * 3, torch.tensor([[1.0, 0], [0, 4]])]
    ).double()
    return raw, weight, y, cov


def test_isda_logits_match_the_closed_form_on_a_hand_example():
    raw, weight, y, cov = _hand_example()
    # row 0 (y=0): w1-w0 = (-1, 2): [-1 2] S0 [-1 2]' = 2 - 2 + 4 = 4; w2-w0 = (-2, 1): 8 - 2 + 1 = 7
    # row 1 (y=2): w0-w2 = (2, -1): 4 + 4 = 8; w1-w2 = (1, 1): 1 + 4 = 5
    lam = 0.5
    expected = raw + lam / 2 * torch.tensor([[0.0, 4.0, 7.0], [8.0, 5.0, 0.0]], dtype=torch.float64)
    torch.testing.assert_close(isda_logits(raw, weight, y, cov, lam), expected)


def test_isda_loss_is_the_log_expected_softmax_denominator_of_gaussian_features():
    # ISDA: for features h + d, d ~ N(0, lam S_y), E[sum_j exp(z_j - z_y)] has the closed form
    # sum_j exp(z_j - z_y + lam/2 (w_j - w_y)' S_y (w_j - w_y)): its log is the surrogate loss,
    # an upper bound (Jensen) of the expected cross-entropy.
    raw, weight, y, cov = _hand_example()
    lam = 0.2
    surrogate = F.cross_entropy(isda_logits(raw, weight, y, cov, lam), y, reduction="none")
    gen = torch.Generator().manual_seed(0)
    for i in range(2):
        chol = torch.linalg.cholesky(lam * cov[y[i]])
        d = torch.randn(400_000, 2, generator=gen, dtype=torch.float64) @ chol.T
        z = raw[i] + d @ weight.T  # logits of the augmented features
        margin = (z - z[:, y[i] : y[i] + 1]).exp().sum(1)
        assert margin.mean().log().item() == pytest.approx(surrogate[i].item(), rel=2e-3)
        assert margin.log().mean().item() < surrogate[i].item()  # expected CE below the bound


def test_with_zero_covariance_the_isda_loss_is_cross_entropy():
    raw, weight, y, cov = _hand_example()
    loss = CrossEntropyLoss([5, 3, 2]).double()
    zero = torch.zeros_like(cov)
    assert torch.equal(isda_logits(raw, weight, y, zero, 0.7), raw)
    assert torch.equal(loss(isda_logits(raw, weight, y, zero, 0.7), y), F.cross_entropy(raw, y))


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(500, 6, weights=[0.85], class_sep=0.8, random_state=1)
    return X.astype(np.float32), y


def test_without_augmentation_metasaug_trains_exactly_like_cross_entropy(data):
    # isda_lambda = 0: the ISDA term and the meta gradient vanish; the same seed must learn
    # the very same network as plain CE (dropout off, as the meta batches do not draw it)
    X, y = data
    kw = dict(FAST, dropout=0.0)
    eval_set = (X[300:400], y[300:400])
    plain = MLPClassifier(**kw).fit(X[:300], y[:300], eval_set=eval_set)
    meta = MLPClassifier(**kw, augment="metasaug", isda_lambda=0.0).fit(
        X[:300], y[:300], eval_set=eval_set
    )
    np.testing.assert_allclose(meta.predict_proba(X[400:]), plain.predict_proba(X[400:]), atol=1e-6)
    augmented = MLPClassifier(**kw, augment="metasaug", isda_lambda=5.0).fit(
        X[:300], y[:300], eval_set=eval_set
    )
    assert np.abs(augmented.predict_proba(X[400:]) - plain.predict_proba(X[400:])).max() > 1e-3


def test_the_estimator_gives_each_class_its_feature_covariance():
    rng = np.random.default_rng(0)
    h = rng.normal(size=(90, 3)) * [1.0, 2.0, 0.5] + [0, 1, 2]
    y = rng.integers(0, 2, 90)
    estimator = ClassCovariance(2, 3).double()
    for start in range(0, 90, 16):  # uneven batches, merged one at a time
        estimator.update(torch.tensor(h[start : start + 16]), torch.tensor(y[start : start + 16]))
    for c in range(2):
        np.testing.assert_allclose(estimator.cov[c].numpy(), np.cov(h[y == c].T, bias=True))
        np.testing.assert_allclose(estimator.mean[c].numpy(), h[y == c].mean(0))
    assert estimator.count.tolist() == [np.sum(y == 0), np.sum(y == 1)]


def _meta_problem():
    gen = torch.Generator().manual_seed(3)
    weight = torch.randn(2, 4, generator=gen).requires_grad_(True)
    bias = torch.zeros(2).requires_grad_(True)
    h, y = torch.randn(32, 4, generator=gen), (torch.arange(32) % 4 == 0).long()
    h_meta, y_meta = torch.randn(16, 4, generator=gen) + 0.5, torch.arange(16) % 2
    a = torch.randn(2, 4, 4, generator=gen)
    cov = a @ a.transpose(1, 2) / 4
    return (weight, bias), (h, y), (h_meta, y_meta), cov


def test_the_meta_step_moves_the_covariance_down_the_meta_loss():
    head, batch, meta, cov = _meta_problem()
    loss = CrossEntropyLoss([24, 8])
    args = dict(lam=1.0, inner_lr=0.5, loss=loss)
    new_cov, before = meta_covariance_step(head, batch, meta, cov, meta_lr=1.0, **args)
    after = lookahead_meta_loss(head, batch, meta, new_cov, **args)
    assert torch.equal(before, lookahead_meta_loss(head, batch, meta, cov, **args).detach())
    assert after.item() < before.item() - 1e-4, (before, after)
    # the step is meta_lr times the gradient: its first-order decrease is |step|^2 / meta_lr,
    # and a central finite difference of the look-ahead loss along it agrees
    step = new_cov - cov
    eps = 1e-3
    plus = lookahead_meta_loss(head, batch, meta, cov + eps * step, **args).item()
    minus = lookahead_meta_loss(head, batch, meta, cov - eps * step, **args).item()
    assert (plus - minus) / (2 * eps) == pytest.approx(-(step**2).sum().item(), rel=0.05)


def test_a_training_step_keeps_the_meta_updated_covariance(data, monkeypatch):
    X, y = data
    net = MetaSAugNet(6, CrossEntropyLoss([80, 20]), hidden=(8,), dropout=0.0, meta_lr=50.0)
    net.set_meta_rows(torch.tensor(X[100:200]), torch.tensor(y[100:200]))
    monkeypatch.setattr(MetaSAugNet, "current_lambda", lambda self: 1.0)
    x, t = torch.tensor(X[:64]), torch.tensor(y[:64])
    expected = ClassCovariance(2, 8)
    with torch.no_grad():
        expected.update(net.features(x), t)
    estimate = expected.cov.clone()
    torch.manual_seed(5)
    meta = net.meta_batch(64)
    head = (net.head.weight, net.head.bias)
    expected_cov, _ = meta_covariance_step(
        head, (net.features(x).detach(), t), meta, estimate, 1.0, 1e-3, 50.0, net.loss
    )
    torch.manual_seed(5)
    loss = net.training_step((x, t), 0)
    assert loss.requires_grad
    torch.testing.assert_close(net.covariance.cov, expected_cov)
    assert (net.covariance.cov - estimate).abs().max() > 1e-4  # the meta step moved it


def test_metasaug_trains_end_to_end_and_predicts(data, monkeypatch):
    X, y = data
    meta_rows = []
    original = MetaSAugNet.set_meta_rows
    monkeypatch.setattr(
        MetaSAugNet,
        "set_meta_rows",
        lambda self, x, t: (meta_rows.append(np.asarray(x)), original(self, x, t))[1],
    )
    clf = MLPClassifier(**FAST, augment="metasaug", loss="balanced_softmax")
    clf.fit(X[:300], y[:300], eval_set=(X[300:400], y[300:400]))
    proba = clf.predict_proba(X[400:])
    np.testing.assert_allclose(proba.sum(1), 1, atol=1e-5)
    assert set(clf.predict(X[400:])) == {0, 1}
    assert clf.outcome_["meta_source"] == "eval_set" and clf.outcome_["meta_rows"] == 100
    np.testing.assert_array_equal(meta_rows[-1], X[300:400])  # meta rows: the real eval_set
    estimator = clf.module_.covariance
    assert estimator.count.sum().item() == 3 * 300  # every training row of every epoch
    # without eval_set: a stratified share of the training rows, never validation rows
    clf = MLPClassifier(**FAST, augment="metasaug", meta_fraction=0.2).fit(X[:300], y[:300])
    assert clf.outcome_["meta_source"] == "training_split"
    n_train = 300 - clf.outcome_["validation_rows"]
    assert clf.outcome_["meta_rows"] == pytest.approx(0.2 * n_train, abs=1)
    with pytest.raises(ValueError, match="cosine-margin losses"):
        MLPClassifier(**FAST, augment="metasaug", loss="ldam").fit(X[:100], y[:100])


def test_metasaug_from_hydra_runs_and_lands_in_folds_csv(compose_cfg, tmp_path):
    cfg = compose_cfg(
        "classifier=mlp",
        "classifier.augment=metasaug",
        "classifier.max_epochs=2",
        "classifier.hidden=[8]",
        "sampler=none",
        "baselines=[smote]",
        "evaluation.threshold.tune=false",
        "evaluation.quality=false",
        "evaluation.plots=false",
    )
    assert cfg.classifier.augment == "metasaug"
    result = run(cfg, output_dir=tmp_path)
    assert {m["status"] for m in result["methods"].values()} == {"ok"}
    folds = pd.read_csv(tmp_path / "folds.csv")
    assert (folds["classifier.meta_source"] == "eval_set").all()
    # the meta rows are the real held-out rows, the same count with or without SMOTE
    assert (folds["classifier.meta_rows"] == folds["classifier.validation_rows"]).all()
