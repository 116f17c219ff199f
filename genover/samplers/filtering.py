"""Discarding synthetic rows that land among other classes' real rows."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from sklearn.neighbors import NearestNeighbors

from genover.evaluation.quality import other_class_share

log = logging.getLogger(__name__)
MAX_ROUNDS = 6


class RedrawFilter:
    """The shared mechanism of the synthetic-row filters: draw, judge, redraw, fall back.

    A subclass fits itself on the real rows (``fit``) and judges synthetic rows
    (``badness``: an accepted mask and a score, lower is better). It counts what it did since
    the last :meth:`reset_counts`: rows drawn, rows accepted, and rejected rows used to fill a
    shortfall (:meth:`outcome`), so that a run whose filter fell back is visible as such.
    """

    description = "filter"

    def __init__(self):
        self.reset_counts()

    def reset_counts(self) -> None:
        self.drawn_ = self.accepted_ = self.filled_ = 0

    def outcome(self) -> dict:
        """Acceptance rate of the drawn rows and whether rejected rows filled a shortfall."""
        return {
            "filter_acceptance": self.accepted_ / self.drawn_ if self.drawn_ else None,
            "filter_fell_back": self.filled_ > 0,
            "filter_filled_rows": self.filled_,
        }

    def badness(self, rows: np.ndarray, label: int) -> tuple[np.ndarray, np.ndarray]:
        """(accepted mask, a score where lower is better) of synthetic ``rows``."""
        raise NotImplementedError

    def select(self, draw: Callable[[int], np.ndarray], n: int, label: int) -> np.ndarray:
        """Exactly ``n`` rows from ``draw(m)``: the accepted ones, drawn in rounds; if rounds
        run out, the rejected rows with the lowest badness fill the rest."""
        kept, rejected, shares = [], [], []
        have, ask = 0, n
        for _ in range(MAX_ROUNDS):
            rows = draw(ask)
            ok, share = self.badness(rows, label)
            self.drawn_ += len(rows)
            self.accepted_ += int(ok.sum())
            kept.append(rows[ok])
            rejected.append(rows[~ok])
            shares.append(share[~ok])
            have += int(ok.sum())
            if have >= n:
                return np.vstack(kept)[:n]
            acceptance = max(have / max(n, 1), 0.05)
            ask = int(np.ceil((n - have) / acceptance))
        order = np.argsort(np.concatenate(shares), kind="stable")[: n - have]
        self.filled_ += n - have
        log.warning(
            "class %s: only %d of %d synthetic rows passed the %s; filling "
            "with the %d least-contested rejected rows.",
            label,
            have,
            n,
            self.description,
            n - have,
        )
        return np.vstack([*kept, np.vstack(rejected)[order]])


class NeighbourFilter(RedrawFilter):
    """Scores synthetic rows by the share of other-class rows among their k nearest real rows;
    a share above ``threshold`` rejects the row."""

    description = "neighbour filter"

    def __init__(self, k: int = 5, threshold: float = 0.5):
        self.k = k
        self.threshold = threshold
        super().__init__()

    def fit(self, X: np.ndarray, y: np.ndarray) -> NeighbourFilter:
        self.y_ = np.asarray(y)
        self.nn_ = NearestNeighbors(n_neighbors=min(self.k, len(X))).fit(X)
        return self

    def other_class_share(self, rows: np.ndarray, label: int) -> np.ndarray:
        return other_class_share(self.nn_, self.y_, rows, label)

    def badness(self, rows: np.ndarray, label: int) -> tuple[np.ndarray, np.ndarray]:
        share = self.other_class_share(rows, label)
        return share <= self.threshold, share


class ConfidenceFilter(RedrawFilter):
    """Keeps synthetic rows of class c that a classifier of the real rows scores as c at
    least as confidently as most real rows of c are scored out of fold.

    The classifier (a distance-weighted k-nearest-neighbour model in the generator's encoded
    space) is cross-fitted: each real row's probability of its own class comes from a model
    that did not see it (``folds``-fold), and the acceptance threshold of class c is the
    ``quantile`` of those out-of-fold probabilities over the real rows of c. A synthetic row
    is scored by the model fitted on every real row. The threshold adapts to the imbalance
    (a fixed 0.5 rejects most rows of a small class that overlaps the majority) and to the
    class's own overlap; rows scored below what nearly every real row of the class gets sit
    in the other classes' region and are discarded (and redrawn).
    """

    description = "confidence filter"

    def __init__(self, quantile: float = 0.1, k: int = 10, folds: int = 5):
        self.quantile, self.k, self.folds = quantile, k, folds
        super().__init__()

    def fit(self, X: np.ndarray, y: np.ndarray) -> ConfidenceFilter:
        from sklearn.model_selection import StratifiedKFold, cross_val_predict
        from sklearn.neighbors import KNeighborsClassifier

        y = np.asarray(y)
        self.classes_, counts = np.unique(y, return_counts=True)
        # Classes of one row cannot be scored out of fold: they are left out of the
        # cross-fitting (threshold 0, i.e. accept) and said so; the others keep theirs.
        scored = counts >= 2
        folds = int(min(self.folds, counts[scored].min())) if scored.any() else 0
        k = int(min(self.k, len(y) - len(y) // max(folds, 2) - 1))
        self.model_ = KNeighborsClassifier(n_neighbors=max(k, 1), weights="distance")
        self.thresholds_ = {}
        if folds >= 2:
            rows = np.isin(y, self.classes_[scored])
            cv = StratifiedKFold(folds, shuffle=True, random_state=0)
            oof = cross_val_predict(self.model_, X[rows], y[rows], cv=cv, method="predict_proba")
            for j, c in enumerate(self.classes_[scored]):
                self.thresholds_[int(c)] = float(np.quantile(oof[y[rows] == c, j], self.quantile))
        for c in self.classes_[~scored]:
            log.warning("confidence filter: class %s has one row; its rows are not filtered.", c)
        self.model_.fit(X, y)
        return self

    def outcome(self) -> dict:
        out = super().outcome()
        for c, t in self.thresholds_.items():
            out[f"filter_threshold[{c}]"] = round(t, 4)
        return out

    def badness(self, rows: np.ndarray, label: int) -> tuple[np.ndarray, np.ndarray]:
        column = int(np.flatnonzero(self.classes_ == label)[0])
        proba = self.model_.predict_proba(rows)[:, column]
        threshold = self.thresholds_.get(int(label), 0.0)
        return proba >= threshold, -proba
