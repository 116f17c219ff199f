"""Per-fold scores from predicted probabilities, all computed by sklearn.metrics.

Binary problems score the minority class as the positive one. Multiclass problems report the
mean one-vs-rest average precision over the minority classes as ``ap`` (plus macro AP) and
macro-averaged label metrics.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn import metrics

HEADLINE = "ap"
SUMMARY_METRICS = ("ap", "roc_auc", "f1", "mcc", "balanced_accuracy")


def align_proba(proba: np.ndarray, fitted_classes: Sequence, n_classes: int) -> np.ndarray:
    """Expand ``predict_proba`` columns (ordered as ``classes_``) to all ``n_classes`` codes."""
    full = np.zeros((proba.shape[0], n_classes))
    full[:, np.asarray(fitted_classes, dtype=int)] = proba
    return full


def score_probabilities(
    y_true: np.ndarray, proba: np.ndarray, minority_classes: Sequence[int]
) -> dict[str, float]:
    """Minority AP, ROC-AUC, F1, MCC and balanced accuracy for one test fold.

    ``proba`` has one column per class code; labels are the arg-max prediction (the 0.5
    threshold in the binary case).
    """
    n_classes = proba.shape[1]
    y_pred = np.argmax(proba, axis=1)
    if n_classes == 2:
        pos = int(minority_classes[0])
        positive = (y_true == pos).astype(int)
        return {
            "ap": metrics.average_precision_score(positive, proba[:, pos]),
            "roc_auc": metrics.roc_auc_score(positive, proba[:, pos]),
            "f1": metrics.f1_score(y_true, y_pred, pos_label=pos, zero_division=0),
            "mcc": metrics.matthews_corrcoef(y_true, y_pred),
            "balanced_accuracy": metrics.balanced_accuracy_score(y_true, y_pred),
        }
    per_class_ap = {
        c: metrics.average_precision_score((y_true == c).astype(int), proba[:, c])
        for c in range(n_classes)
    }
    return {
        "ap": float(np.mean([per_class_ap[c] for c in minority_classes])),
        "macro_ap": float(np.mean(list(per_class_ap.values()))),
        "roc_auc": metrics.roc_auc_score(
            y_true, proba, multi_class="ovr", average="macro", labels=range(n_classes)
        ),
        "f1": metrics.f1_score(y_true, y_pred, average="macro", zero_division=0),
        "mcc": metrics.matthews_corrcoef(y_true, y_pred),
        "balanced_accuracy": metrics.balanced_accuracy_score(y_true, y_pred),
    }
