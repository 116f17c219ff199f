"""Discarding synthetic rows that land among other classes' real rows."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from sklearn.neighbors import NearestNeighbors

from genover.evaluation.quality import other_class_share

log = logging.getLogger(__name__)
MAX_ROUNDS = 6


class NeighbourFilter:
    """Scores synthetic rows by the share of other-class rows among their k nearest real rows.

    It counts what it did since the last :meth:`reset_counts`: rows drawn, rows accepted,
    and rejected rows used to fill a shortfall (:meth:`outcome`), so that a run whose
    filter fell back is visible as such.
    """

    def __init__(self, k: int = 5, threshold: float = 0.5):
        self.k = k
        self.threshold = threshold
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

    def fit(self, X: np.ndarray, y: np.ndarray) -> NeighbourFilter:
        self.y_ = np.asarray(y)
        self.nn_ = NearestNeighbors(n_neighbors=min(self.k, len(X))).fit(X)
        return self

    def other_class_share(self, rows: np.ndarray, label: int) -> np.ndarray:
        return other_class_share(self.nn_, self.y_, rows, label)

    def select(self, draw: Callable[[int], np.ndarray], n: int, label: int) -> np.ndarray:
        """Exactly ``n`` rows from ``draw(m)``: those at or under the threshold, drawn in
        rounds; if rounds run out, the rejected rows with the lowest shares fill the rest."""
        kept, rejected, shares = [], [], []
        have, ask = 0, n
        for _ in range(MAX_ROUNDS):
            rows = draw(ask)
            share = self.other_class_share(rows, label)
            ok = share <= self.threshold
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
            "class %s: only %d of %d synthetic rows passed the neighbour filter; filling "
            "with the %d least-contested rejected rows.",
            label,
            have,
            n,
            n - have,
        )
        return np.vstack([*kept, np.vstack(rejected)[order]])
