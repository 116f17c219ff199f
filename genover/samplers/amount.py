"""Amount selection for the generative over-samplers: which fraction of the requested rows to
generate, scored on held-out selection rows that the generator never trained or early-stopped
on (``amount_grid``)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from genover.evaluation.metrics import align_proba, rare_class_ap

log = logging.getLogger(__name__)
AMOUNT_TIE = 0.005


def proxy_minority_ap(
    train: tuple[np.ndarray, np.ndarray],
    extra: list[tuple[np.ndarray, int]],
    held_out: tuple[np.ndarray, np.ndarray],
    model=None,
) -> float:
    """Mean one-vs-rest AP over the rarer classes of ``held_out`` of a classifier (a clone of
    ``model``; default a logistic regression) trained on the ``train`` rows plus the
    ``extra`` synthetic rows of each class."""
    x, y = train
    rows = [x] + [r for r, _ in extra]
    labels = [y] + [np.full(len(r), c) for r, c in extra]
    clf = LogisticRegression(max_iter=1000) if model is None else clone(model)
    clf.fit(np.vstack(rows), np.concatenate(labels))
    val_x, val_y = held_out
    n_classes = int(max(clf.classes_.max(), val_y.max())) + 1
    proba = align_proba(clf.predict_proba(val_x), clf.classes_, n_classes)
    return rare_class_ap(val_y, proba)


def select_amount(
    grid,
    requested: dict[int, int],
    draw: Callable[[int, int], np.ndarray],
    train: tuple[np.ndarray, np.ndarray],
    selection: tuple[np.ndarray, np.ndarray],
    model=None,
) -> tuple[float, dict[float, float], bool]:
    """The grid fraction whose synthetic rows give the best proxy minority AP on the
    ``selection`` rows: ``(amount, scores, tied)``. ``requested`` maps a class index to its
    full row count and ``draw(n, index)`` returns ``n`` model-space rows of that class; every
    fraction within ``AMOUNT_TIE`` of the best is tied and the smallest tied one wins."""
    if len(np.unique(selection[1])) < 2:
        log.warning(
            "amount selection needs held-out rows of two classes (4+ rows each); "
            "using the full amount."
        )
        return 1.0, {}, False
    pool = {c: draw(n, c) for c, n in requested.items() if n > 0}
    scores = {}
    for fraction in sorted(float(a) for a in grid):
        extra = [(rows[: int(round(fraction * len(rows)))], c) for c, rows in pool.items()]
        # looked up on the module at call time, so tests can stand in for the proxy
        scores[fraction] = proxy_minority_ap(train, extra, selection, model)
    best = max(scores.values())
    tied = [a for a, v in scores.items() if v >= best - AMOUNT_TIE]
    return min(tied), scores, len(tied) > 1


def amount_outcome(amount: float, grid, scores: dict, tied: bool, selection_rows: int) -> dict:
    """The amount decision as flat, recordable fields."""
    out: dict = {"amount": float(amount)}
    if grid is not None:
        out["amount_selected"] = bool(scores)
        out["amount_tied"] = bool(tied)
        out["amount_rule"] = f"smallest fraction within {AMOUNT_TIE} AP of the best"
        out["selection_rows"] = int(selection_rows)
        for fraction, score in scores.items():
            out[f"amount_score[{fraction:g}]"] = score
    return out
