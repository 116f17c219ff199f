"""Per-fold scores from predicted probabilities, all computed by sklearn / imbalanced-learn.

Binary problems score the minority class as the positive one. Multiclass problems report the
mean one-vs-rest average precision over the minority classes as ``ap``, the AP of every
class (``ap_class<k>``) and ``macro_ap``, with macro-averaged label metrics.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from imblearn.metrics import geometric_mean_score
from sklearn import metrics

SUMMARY_METRICS = ("ap", "roc_auc", "f1", "fbeta", "mcc", "gmean", "balanced_accuracy")


def rare_class_ap(y: np.ndarray, proba: np.ndarray, counts: Sequence[float] | None = None) -> float:
    """Mean one-vs-rest average precision over the rarer classes: those present in ``y``
    with fewer (training) rows than the largest class, by ``counts`` (default: ``y``'s own
    class counts); the rarest class when all tie. ``proba`` has a column per class index."""
    y = np.asarray(y)
    counts = np.bincount(y, minlength=proba.shape[1]) if counts is None else np.asarray(counts)
    present = np.bincount(y, minlength=len(counts)) > 0
    rare = [c for c in range(len(counts)) if present[c] and counts[c] < counts.max()]
    rare = rare or [int(np.argmin(counts))]
    return float(np.mean([metrics.average_precision_score(y == c, proba[:, c]) for c in rare]))


def align_proba(proba: np.ndarray, fitted_classes: Sequence, n_classes: int) -> np.ndarray:
    """Expand ``predict_proba`` columns (ordered as ``classes_``) to all ``n_classes`` codes."""
    full = np.zeros((proba.shape[0], n_classes))
    full[:, np.asarray(fitted_classes, dtype=int)] = proba
    return full


def label_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, pos: int | None, beta: float = 2.0
) -> dict[str, float]:
    """Label metrics: for the minority class ``pos`` (binary) or macro-averaged (pos=None)."""
    avg = {"average": "binary", "pos_label": pos} if pos is not None else {"average": "macro"}
    gmean_avg = "binary" if pos is not None else "multiclass"
    gmean_kw = {"pos_label": pos} if pos is not None else {}
    return {
        "precision": metrics.precision_score(y_true, y_pred, zero_division=0, **avg),
        "recall": metrics.recall_score(y_true, y_pred, zero_division=0, **avg),
        "f1": metrics.f1_score(y_true, y_pred, zero_division=0, **avg),
        "fbeta": metrics.fbeta_score(y_true, y_pred, beta=beta, zero_division=0, **avg),
        "mcc": metrics.matthews_corrcoef(y_true, y_pred),
        "gmean": geometric_mean_score(y_true, y_pred, average=gmean_avg, **gmean_kw),
        "balanced_accuracy": metrics.balanced_accuracy_score(y_true, y_pred),
    }


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> dict[str, int]:
    """The confusion matrix flattened to ``cm_<true>_<pred>`` counts."""
    matrix = metrics.confusion_matrix(y_true, y_pred, labels=range(n_classes))
    return {f"cm_{i}_{j}": int(matrix[i, j]) for i in range(n_classes) for j in range(n_classes)}


def score_probabilities(
    y_true: np.ndarray,
    proba: np.ndarray,
    minority_classes: Sequence[int],
    beta: float = 2.0,
    threshold: float | None = None,
) -> dict[str, float]:
    """Ranking metrics from ``proba`` plus label metrics at the arg-max (0.5 for binary)
    and, when ``threshold`` is given (binary), also at that tuned threshold (``*_tuned``)."""
    n_classes = proba.shape[1]
    y_pred = np.argmax(proba, axis=1)
    if n_classes == 2:
        pos = int(minority_classes[0])
        positive = (y_true == pos).astype(int)
        scores = {
            "ap": metrics.average_precision_score(positive, proba[:, pos]),
            "roc_auc": metrics.roc_auc_score(positive, proba[:, pos]),
            **label_metrics(y_true, y_pred, pos, beta),
            **confusion(y_true, y_pred, 2),
        }
        if threshold is not None:
            tuned = np.where(proba[:, pos] >= threshold, pos, 1 - pos)
            tuned_scores = label_metrics(y_true, tuned, pos, beta)
            scores.update({f"{k}_tuned": v for k, v in tuned_scores.items()})
            scores["threshold"] = float(threshold)
        return scores
    per_class = {
        c: metrics.average_precision_score((y_true == c).astype(int), proba[:, c])
        for c in range(n_classes)
    }
    return {
        "ap": float(np.mean([per_class[c] for c in minority_classes])),
        "macro_ap": float(np.mean(list(per_class.values()))),
        **{f"ap_class{c}": v for c, v in per_class.items()},
        "roc_auc": metrics.roc_auc_score(
            y_true, proba, multi_class="ovr", average="macro", labels=range(n_classes)
        ),
        **label_metrics(y_true, y_pred, None, beta),
        **confusion(y_true, y_pred, n_classes),
    }
