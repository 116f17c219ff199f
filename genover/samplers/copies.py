"""Redrawing generated rows that copy a training row, where the space of rows allows.

On tables of few categorical columns a generator can only return rows of a small set, and many
of its draws equal a training row. :class:`CopyRejection` redraws such rows a bounded number of
rounds; where the space holds too few other rows, the copies that remain are counted, not hidden.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from genover.evaluation.quality import canonical_rows

Draw = Callable[[int], tuple[np.ndarray, np.ndarray]]


class CopyRejection:
    """Wraps a draw function (``m -> (rows, anchors)``, model-space rows): rows whose decoded
    form (``decode``, to the encoded table's codes) equals a row of ``training_codes`` are
    redrawn, at most ``rounds`` times. ``redrawn`` counts the redraws and ``left`` the copies
    kept after the last round."""

    def __init__(self, decode: Callable, training_codes: np.ndarray, rounds: int = 10):
        self.decode = decode
        self.seen = {row.tobytes() for row in canonical_rows(training_codes)}
        self.rounds = rounds
        self.reset_counts()

    def reset_counts(self) -> None:
        """Start counting afresh (the rows that are kept, after any amount selection)."""
        self.redrawn = 0
        self.left = 0

    def copies(self, rows: np.ndarray) -> np.ndarray:
        """Per model-space row: whether it decodes to a training row."""
        decoded = canonical_rows(self.decode(rows))
        return np.array([row.tobytes() in self.seen for row in decoded], dtype=bool)

    def wrap(self, draw: Draw) -> Draw:
        """``draw`` with copies of training rows redrawn."""

        def redrawn(m: int) -> tuple[np.ndarray, np.ndarray]:
            rows, anchors = draw(m)
            copy = self.copies(rows)
            for _ in range(self.rounds):
                if not copy.any():
                    break
                at = np.flatnonzero(copy)
                self.redrawn += len(at)
                rows[at], anchors[at] = draw(len(at))
                copy[at] = self.copies(rows[at])
            self.left += int(copy.sum())
            return rows, anchors

        return redrawn

    def outcome(self) -> dict:
        """Rows redrawn because they copied a training row, and copies kept."""
        return {"copies_redrawn": int(self.redrawn), "copies_left": int(self.left)}
