"""Choosing a decision threshold for the minority class on validation scores."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import roc_curve

OBJECTIVES = ("fbeta", "cost")


def threshold_counts(y_true: np.ndarray, scores: np.ndarray):
    """Every distinct threshold with its TP, FP, FN, TN counts (predict positive if >= t)."""
    fpr, tpr, thresholds = roc_curve(y_true, scores, drop_intermediate=False)
    positives = int(np.sum(y_true == 1))
    negatives = len(y_true) - positives
    tp, fp = tpr * positives, fpr * negatives
    return thresholds, tp, fp, positives - tp, negatives - fp


def best_threshold(
    y_true: np.ndarray,
    scores: np.ndarray,
    objective: str = "fbeta",
    beta: float = 2.0,
    cost: Sequence[Sequence[float]] | None = None,
) -> float:
    """The threshold on ``scores`` (positive = 1) that maximises F-beta, or minimises the
    expected cost ``cost[true][pred]`` (a 2x2 matrix, 0 = negative, 1 = positive).

    Returned as the midpoint between the chosen score and the next lower one, so that it
    also generalises between observed scores; ties go to the higher threshold.
    """
    y_true = np.asarray(y_true).astype(int)
    if objective not in OBJECTIVES:
        raise ValueError(f"threshold objective {objective!r}; use one of {OBJECTIVES}.")
    if y_true.min() == y_true.max():
        return 0.5
    thresholds, tp, fp, fn, tn = threshold_counts(y_true, np.asarray(scores, dtype=float))
    if objective == "fbeta":
        b2 = beta**2
        denom = (1 + b2) * tp + b2 * fn + fp
        value = np.divide((1 + b2) * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    else:
        if cost is None:
            raise ValueError("objective=cost needs a cost matrix [[tn, fp], [fn, tp]] costs.")
        c = np.asarray(cost, dtype=float)
        if c.shape != (2, 2):
            raise ValueError(f"the cost matrix must be 2x2; got shape {c.shape}.")
        value = -(c[0, 0] * tn + c[0, 1] * fp + c[1, 0] * fn + c[1, 1] * tp)
    finite = np.isfinite(thresholds)
    best = int(np.flatnonzero(finite)[np.argmax(value[finite])])
    upper = thresholds[best]
    lower = thresholds[best + 1] if best + 1 < len(thresholds) else upper
    return float((upper + lower) / 2 if np.isfinite(lower) else upper)
