"""Discarding synthetic rows that land among other classes' real rows."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from sklearn.base import clone
from sklearn.neighbors import NearestNeighbors

from genover.evaluation.quality import other_class_share

log = logging.getLogger(__name__)
MAX_ROUNDS = 6


class RedrawFilter:
    """The shared mechanism of the synthetic-row filters: draw, judge, redraw, fall back.

    A subclass fits itself on the real rows (``fit``) and judges synthetic rows
    (``badness``: an accepted mask and a score, lower is better). ``draw(m)`` returns ``m``
    rows and, per row, the index (into the rows the filter was fitted on) of the real row
    the draw started from, or -1 for a draw with no anchor; a cross-fitted filter judges an
    anchored draw with the model that held its anchor out. It counts what it did since the
    last :meth:`reset_counts`: rows drawn, rows accepted, and rejected rows used to fill a
    shortfall (:meth:`outcome`), so that a run whose filter fell back is visible as such.
    """

    description = "filter"

    def __init__(self):
        self.reset_counts()

    def reset_counts(self) -> None:
        self.drawn_ = self.accepted_ = self.filled_ = 0
        self.labels_drawn_: set[int] = set()

    def outcome(self) -> dict:
        """Acceptance rate of the drawn rows and whether rejected rows filled a shortfall."""
        return {
            "filter_acceptance": self.accepted_ / self.drawn_ if self.drawn_ else None,
            "filter_fell_back": self.filled_ > 0,
            "filter_filled_rows": self.filled_,
        }

    def badness(
        self, rows: np.ndarray, label: int, anchors: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(accepted mask, a score where lower is better) of synthetic ``rows``; ``anchors``
        (-1 = none) names the real row each draw started from."""
        raise NotImplementedError

    def select(
        self, draw: Callable[[int], tuple[np.ndarray, np.ndarray]], n: int, label: int
    ) -> np.ndarray:
        """Exactly ``n`` rows from ``draw(m)`` (rows, anchors): the accepted ones, drawn in
        rounds; if rounds run out, the rejected rows with the lowest badness fill the rest."""
        self.labels_drawn_.add(int(label))
        kept, rejected, shares = [], [], []
        have, ask = 0, n
        for _ in range(MAX_ROUNDS):
            rows, anchors = draw(ask)
            ok, share = self.badness(rows, label, anchors)
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

    def badness(self, rows, label, anchors=None):
        share = self.other_class_share(rows, label)
        return share <= self.threshold, share


class ConfidenceFilter(RedrawFilter):
    """Keeps synthetic rows of class c that a classifier of the real rows scores as c at
    least as confidently as most real rows of c are scored out of fold.

    The classifier (a distance-weighted k-nearest-neighbour model in the generator's encoded
    space) is cross-fitted over ``folds`` stratified folds seeded by ``random_state``: each
    real row's probability of its own class comes from the fold model that did not see it,
    and the bar of class c is the ``quantile`` of those out-of-fold probabilities over the
    real rows of c. A synthetic row is judged like a real one: a draw anchored on a real row
    (a CVAE posterior draw, a DDPM SDEdit draw) is scored by the fold model that held that
    row out, so a copy of a real row passes exactly when that row clears the bar; a draw with
    no anchor is scored by the model of every real row. A bar of 0 (the class's rows are
    scored 0 often enough) accepts everything: ``filter_inactive[c]`` records it per fit.
    """

    description = "confidence filter"

    def __init__(self, quantile: float = 0.25, k: int = 10, folds: int = 5, random_state=None):
        self.quantile, self.k, self.folds, self.random_state = quantile, k, folds, random_state
        super().__init__()

    def fit(self, X: np.ndarray, y: np.ndarray) -> ConfidenceFilter:
        from sklearn.model_selection import StratifiedKFold
        from sklearn.neighbors import KNeighborsClassifier

        X, y = np.asarray(X), np.asarray(y)
        self.classes_, counts = np.unique(y, return_counts=True)
        # Classes of one row cannot be scored out of fold: they are left out of the
        # cross-fitting (bar 0, i.e. accept) and said so; the others keep theirs.
        scored = counts >= 2
        folds = int(min(self.folds, counts[scored].min())) if scored.any() else 0
        k = int(min(self.k, len(y) - len(y) // max(folds, 2) - 1))
        self.model_ = KNeighborsClassifier(n_neighbors=max(k, 1), weights="distance")
        self.thresholds_, self.fold_models_ = {}, []
        self.fold_of_ = np.full(len(y), -1)
        if folds >= 2:
            rows = np.flatnonzero(np.isin(y, self.classes_[scored]))
            cv = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
            oof = np.zeros((len(y), len(self.classes_)))
            for f, (fit_at, held_at) in enumerate(cv.split(X[rows], y[rows])):
                model = clone(self.model_).fit(X[rows[fit_at]], y[rows[fit_at]])
                self.fold_models_.append(model)
                self.fold_of_[rows[held_at]] = f
                oof[rows[held_at]] = self._proba(model, X[rows[held_at]])
            for c in self.classes_[scored]:
                j = int(np.flatnonzero(self.classes_ == c)[0])
                self.thresholds_[int(c)] = float(np.quantile(oof[y == c, j], self.quantile))
        for c in self.classes_[~scored]:
            log.warning("confidence filter: class %s has one row; its rows are not filtered.", c)
        self.model_.fit(X, y)
        return self

    def _proba(self, model, rows: np.ndarray) -> np.ndarray:
        """Probabilities over every class of the filter (a fold may miss none: stratified)."""
        out = np.zeros((len(rows), len(self.classes_)))
        out[:, np.searchsorted(self.classes_, model.classes_)] = model.predict_proba(rows)
        return out

    def outcome(self) -> dict:
        out = super().outcome()
        drawn = sorted(self.labels_drawn_) or sorted(self.thresholds_)
        for c in drawn:
            t = self.thresholds_.get(c, 0.0)
            out[f"filter_threshold[{c}]"] = round(t, 4)
            out[f"filter_inactive[{c}]"] = bool(t <= 0.0)
        out["filter_inactive"] = bool(drawn) and all(
            self.thresholds_.get(c, 0.0) <= 0.0 for c in drawn
        )
        return out

    def confidence(self, rows: np.ndarray, label: int, anchors: np.ndarray | None = None):
        """Each row's probability of ``label``: from the fold model that held its anchor
        out, or from the model of every real row where there is no (scored) anchor."""
        column = int(np.flatnonzero(self.classes_ == label)[0])
        folds = np.full(len(rows), -1) if anchors is None else self.fold_of_[np.maximum(anchors, 0)]
        if anchors is not None:
            folds = np.where(np.asarray(anchors) >= 0, folds, -1)
        proba = np.empty(len(rows))
        free = folds < 0
        if free.any():
            proba[free] = self._proba(self.model_, rows[free])[:, column]
        for f in np.unique(folds[~free]):
            at = folds == f
            proba[at] = self._proba(self.fold_models_[f], rows[at])[:, column]
        return proba

    def badness(self, rows, label, anchors=None):
        proba = self.confidence(rows, label, anchors)
        threshold = self.thresholds_.get(int(label), 0.0)
        return proba >= threshold, -proba
