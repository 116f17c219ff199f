"""MLPClassifier's model selection: which rows validate, and when DRW checkpoints count."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification

from genover.classifiers import MLPClassifier
from genover.classifiers.module import MLPNet

FAST = dict(hidden=(8,), max_epochs=6, patience=20, random_state=0)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(400, 6, weights=[0.85], random_state=1)
    return X.astype(np.float32), y


def test_eval_set_rows_validate_and_every_given_row_trains(data, monkeypatch):
    X, y = data
    seen = []
    original = MLPNet.validation_step

    def spy(self, batch, batch_idx):
        seen.append(batch[0].detach().cpu().numpy().copy())
        return original(self, batch, batch_idx)

    monkeypatch.setattr(MLPNet, "validation_step", spy)
    clf = MLPClassifier(**FAST).fit(X[:300], y[:300], eval_set=(X[300:], y[300:]))
    assert clf.outcome_["validation_rows"] == 100
    np.testing.assert_array_equal(seen[-1], X[300:])  # exactly the given rows, in order
    assert clf.train_result_.epochs == 6


def test_eval_set_with_an_unseen_class_is_rejected(data):
    X, y = data
    with pytest.raises(ValueError, match=r"eval_set holds classes \[7\]"):
        MLPClassifier(**FAST).fit(X, y, eval_set=(X[:5], np.full(5, 7)))


def test_drw_checkpoint_comes_from_an_epoch_with_the_weights_on(data, monkeypatch):
    X, y = data
    states = []
    original = MLPNet.on_validation_epoch_end

    def spy(self):
        states.append((self.loss.weights_on, self.current_epoch))
        return original(self)

    monkeypatch.setattr(MLPNet, "on_validation_epoch_end", spy)
    clf = MLPClassifier(**{**FAST, "max_epochs": 10}, loss="ldam").fit(X, y)  # DRW at 80%
    assert clf.outcome_["drw_start_epoch"] == 8
    assert clf.outcome_["warmup_epochs"] == 8 and clf.outcome_["warmup_best_val"] is None
    # no selection before DRW: every validation (and so every checkpoint) has weights on
    assert states and all(on for on, _ in states) and len(states) == 2
    assert clf.outcome_["best_epoch"] in (0, 1) and clf.module_.loss.weights_on


def test_without_drw_there_is_one_stage(data):
    X, y = data
    clf = MLPClassifier(**FAST).fit(X, y)
    assert "warmup_epochs" not in clf.outcome_ and "drw_start_epoch" not in clf.outcome_
    assert clf.outcome_["validation_rows"] == round(0.15 * (y == 0).sum()) + round(
        0.15 * (y == 1).sum()
    )
