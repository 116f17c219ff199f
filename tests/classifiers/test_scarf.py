"""SCARF pre-training: the InfoNCE formula, the corruption, what the features learn, which
rows it sees and how it is recorded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import silhouette_score
from sklearn.model_selection import cross_val_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from genover.classifiers import MLPClassifier, SCARFNet
from genover.classifiers.scarf import corrupt, info_nce, pretrain_encoder
from genover.experiment import run
from genover.models.components.mlp import mlp
from genover.training.loop import TrainSettings

FAST = dict(hidden=(16,), max_epochs=2, patience=2, random_state=0)


_SKIPS = {
    "check_sample_weight_equivalence_on_dense_data": "fit has no sample_weight",
    "check_classifiers_train": "needs more epochs; see test_mlp.py",
}


@parametrize_with_checks(
    [MLPClassifier(**FAST, val_fraction=0.0, pretrain="scarf", pretrain_epochs=2)],
    expected_failed_checks=lambda estimator: _SKIPS,
)
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)


def test_info_nce_matches_a_hand_computation():
    anchor = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    positive = np.array([[2.0, 0.5], [-1.0, 1.0], [0.5, 1.0]])
    t = 0.5
    a = anchor / np.linalg.norm(anchor, axis=1, keepdims=True)
    p = positive / np.linalg.norm(positive, axis=1, keepdims=True)
    logits = a @ p.T / t
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -np.mean(np.diag(log_softmax))
    got = info_nce(torch.tensor(anchor), torch.tensor(positive), t)
    assert got.item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(("rate", "k"), [(0.6, 4), (0.65, 5), (0.3, 2), (1.0, 7)])
def test_corruption_replaces_round_rate_d_features_with_the_same_column(rate, k):
    n, d = 50, 7
    x = torch.arange(n * d, dtype=torch.float32).reshape(n, d)  # all values distinct
    # pool value 10000 + 100 r + j: column j of pool row r, never equal to a value of x
    pool = 10_000 + 100 * torch.arange(30.0)[:, None] + torch.arange(d, dtype=torch.float32)
    torch.manual_seed(0)
    view = corrupt(x, pool, rate)
    changed = view != x
    assert changed.sum(1).tolist() == [k] * n
    rows, cols = torch.nonzero(changed, as_tuple=True)
    values = view[rows, cols]
    assert ((values - 10_000) % 100 == cols).all(), "a value came from another column"
    assert (values >= 10_000).all() and (values < 10_000 + 100 * 30).all()
    assert len(set(cols.tolist())) == d  # the chosen features vary from row to row


def _two_clusters(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two clusters that differ by a shift of 8 correlated features, hidden among 24
    independent noise features of the same scale."""
    rng = np.random.default_rng(seed)
    c = rng.integers(0, 2, 400)
    block = (2 * c - 1)[:, None] * 0.5 + rng.normal(size=(400, 8))
    X = np.hstack([block, rng.normal(size=(400, 24))])
    return ((X - X.mean(0)) / X.std(0)).astype(np.float32), c


def _separation(encoder, X, c) -> tuple[float, float]:
    """(silhouette of the clusters, 3-fold linear-probe accuracy) in the feature space."""
    encoder.eval()
    with torch.no_grad():
        features = encoder(torch.as_tensor(X)).numpy()
    probe = LogisticRegression(C=0.05, max_iter=2000)
    return silhouette_score(features, c), cross_val_score(probe, features, c, cv=3).mean()


def test_pretrained_features_separate_two_clusters_better_than_random_ones():
    # Random features: silhouette ~0.02, probe ~0.78. SCARF (60 epochs): ~0.06, ~0.86. A
    # negated loss lands below random (~0.02, ~0.73).
    X, c = _two_clusters()
    torch.manual_seed(0)
    encoder = mlp(X.shape[1], [32], None, 0.0, activation=torch.nn.ReLU)
    random_sil, random_probe = _separation(encoder, X, c)
    net = SCARFNet(encoder, 32, X, corruption_rate=0.6, temperature=1.0)
    settings = TrainSettings(max_epochs=60, max_steps=None, select_best=False, progress_bar=False)
    out = pretrain_encoder(net, X, 128, settings, seed=0)
    sil, probe = _separation(encoder, X, c)
    assert probe > random_probe + 0.05, (probe, random_probe)
    assert sil > 2 * random_sil, (sil, random_sil)
    assert out["pretrain_last_loss"] < out["pretrain_first_loss"] - 0.1


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(300, 6, weights=[0.85], random_state=1)
    return X.astype(np.float32), y


def _spy_rows(monkeypatch) -> list[np.ndarray]:
    seen: list[np.ndarray] = []
    original = SCARFNet.training_step

    def spy(self, batch, batch_idx):
        seen.extend([batch[0].detach().cpu().numpy().copy(), self.pool.cpu().numpy().copy()])
        return original(self, batch, batch_idx)

    monkeypatch.setattr(SCARFNet, "training_step", spy)
    return seen


def _rows(a: np.ndarray) -> set[bytes]:
    return {row.tobytes() for row in np.ascontiguousarray(a, dtype=np.float32)}


def test_pretraining_never_sees_validation_rows(data, monkeypatch):
    X, y = data
    seen = _spy_rows(monkeypatch)
    clf = MLPClassifier(**FAST, pretrain="scarf", pretrain_epochs=3)
    clf.fit(X[:200], y[:200], eval_set=(X[200:], y[200:]))
    seen_rows = set().union(*map(_rows, seen))
    assert seen_rows == _rows(X[:200]), "pre-training saw rows other than the training rows"
    assert not seen_rows & _rows(X[200:])
    assert clf.outcome_["pretrain_rows"] == 200
    # without eval_set, the internal validation split stays out of pre-training too
    seen.clear()
    clf = MLPClassifier(**FAST, pretrain="scarf", pretrain_epochs=3).fit(X, y)
    held = clf.outcome_["validation_rows"]
    assert held > 0 and clf.outcome_["pretrain_rows"] == len(X) - held
    assert len(set().union(*map(_rows, seen))) == len(X) - held


def test_pretraining_is_recorded_and_trains_the_classifiers_own_features(data, monkeypatch):
    X, y = data
    clf = MLPClassifier(**FAST, pretrain="scarf", pretrain_epochs=4).fit(X, y)
    out = clf.outcome_
    assert out["pretrain_epochs"] == 4 and out["pretrain_stop_reason"] == "budget"
    assert out["pretrain_steps"] == 4 * (out["pretrain_rows"] // min(256, out["pretrain_rows"]))
    assert out["pretrain_last_loss"] < out["pretrain_first_loss"]
    assert out["epochs"] == 2  # then the supervised stage
    assert "pretrain_epochs" not in MLPClassifier(**FAST).fit(X, y).outcome_
    # the supervised stage starts from the pre-trained weights, not from a fresh copy
    monkeypatch.setattr(MLPClassifier, "_train_stages", lambda self, *args: None)
    plain = MLPClassifier(**FAST).fit(X, y).module_.features[0].weight
    pretrained = MLPClassifier(**FAST, pretrain="scarf").fit(X, y).module_.features[0].weight
    assert (plain - pretrained).abs().max() > 1e-3


def test_pretrain_from_hydra_runs_and_lands_in_folds_csv(compose_cfg, tmp_path):
    cfg = compose_cfg(
        "classifier=mlp",
        "classifier.pretrain=scarf",
        "classifier.pretrain_epochs=2",
        "classifier.max_epochs=2",
        "classifier.hidden=[8]",
        "sampler=none",
        "baselines=[smote]",
        "evaluation.threshold.tune=false",
        "evaluation.quality=false",
        "evaluation.plots=false",
    )
    assert cfg.classifier.pretrain == "scarf"
    result = run(cfg, output_dir=tmp_path)
    assert {m["status"] for m in result["methods"].values()} == {"ok"}
    folds = pd.read_csv(tmp_path / "folds.csv")
    assert (folds["classifier.pretrain_epochs"] == 2).all()
    # pre-training saw the training fold's rows less the held-out validation rows
    assert (folds["classifier.pretrain_rows"] > 0).all()
    smote = folds[folds.method == "smote"]
    none = folds[folds.method == "none"]
    assert (
        smote["classifier.pretrain_rows"].values > none["classifier.pretrain_rows"].values
    ).all()
