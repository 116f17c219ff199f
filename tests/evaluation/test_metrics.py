"""Per-fold metrics against values worked out by hand from confusion matrices."""

from __future__ import annotations

import math

import numpy as np
import pytest

from genover.evaluation.metrics import label_metrics, score_probabilities


def test_binary_label_metrics_by_hand():
    # minority = 1. TP=3, FN=1, FP=2, TN=14
    y_true = np.array([1, 1, 1, 1] + [0] * 16)
    y_pred = np.array([1, 1, 1, 0] + [1, 1] + [0] * 14)
    tp, fn, fp, tn = 3, 1, 2, 14
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    specificity = tn / (tn + fp)
    f2 = 5 * precision * recall / (4 * precision + recall)
    mcc = (tp * tn - fp * fn) / math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    got = label_metrics(y_true, y_pred, pos=1, beta=2.0)
    assert got["precision"] == pytest.approx(precision)
    assert got["recall"] == pytest.approx(recall)
    assert got["f1"] == pytest.approx(2 * precision * recall / (precision + recall))
    assert got["fbeta"] == pytest.approx(f2)
    assert got["mcc"] == pytest.approx(mcc)
    assert got["gmean"] == pytest.approx(math.sqrt(recall * specificity))
    assert got["balanced_accuracy"] == pytest.approx((recall + specificity) / 2)


def test_minority_label_is_the_positive_one_even_when_coded_zero():
    y_true = np.array([0, 0, 1, 1, 1, 1, 1, 1])
    proba = np.array(
        [
            [0.9, 0.1],
            [0.4, 0.6],
            [0.2, 0.8],
            [0.3, 0.7],
            [0.1, 0.9],
            [0.6, 0.4],
            [0.2, 0.8],
            [0.3, 0.7],
        ]
    )
    scores = score_probabilities(y_true, proba, minority_classes=[0], beta=1.0, threshold=0.5)
    # class 0 is the minority: TP=2 (rows 0 and 5 predicted 0? row 5 is class 1) -> by hand
    pred_minority = proba[:, 0] >= 0.5  # rows 0 and 5
    tp = int(np.sum(pred_minority & (y_true == 0)))
    fp = int(np.sum(pred_minority & (y_true == 1)))
    assert (tp, fp) == (1, 1)
    assert scores["precision"] == pytest.approx(0.5) and scores["recall"] == pytest.approx(0.5)
    assert scores["cm_0_0"] == 1 and scores["cm_0_1"] == 1 and scores["cm_1_0"] == 1
    assert scores["recall_tuned"] == pytest.approx(0.5) and scores["threshold"] == 0.5


def test_tuned_threshold_changes_the_label_metrics_only():
    y_true = np.array([1] * 5 + [0] * 45)
    scores = np.r_[np.linspace(0.3, 0.45, 5), np.linspace(0.0, 0.35, 45)]
    proba = np.column_stack([1 - scores, scores])
    at_half = score_probabilities(y_true, proba, [1])
    tuned = score_probabilities(y_true, proba, [1], threshold=0.29)
    assert at_half["recall"] == 0.0 and tuned["recall_tuned"] == 1.0
    assert tuned["ap"] == at_half["ap"]


def test_multiclass_reports_per_class_and_macro_ap():
    rng = np.random.default_rng(0)
    y_true = np.array([0] * 30 + [1] * 10 + [2] * 5)
    proba = rng.dirichlet([1, 1, 1], size=45)
    proba[np.arange(45), y_true] += 1.0
    proba /= proba.sum(1, keepdims=True)
    scores = score_probabilities(y_true, proba, minority_classes=[2, 1])
    assert scores["ap"] == pytest.approx((scores["ap_class1"] + scores["ap_class2"]) / 2)
    assert scores["macro_ap"] == pytest.approx(np.mean([scores[f"ap_class{c}"] for c in range(3)]))
    assert sum(scores[f"cm_{i}_{j}"] for i in range(3) for j in range(3)) == 45
