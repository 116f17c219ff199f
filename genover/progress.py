"""Progress of a run over its methods and folds: a bar on a terminal, log lines elsewhere."""

from __future__ import annotations

import logging
import sys
import time

from tqdm import tqdm

log = logging.getLogger("genover.progress")


class FoldProgress:
    """Counts finished (method, fold) fits; reports elapsed time and an estimate of the rest.

    On a terminal it draws a tqdm bar; otherwise (a sweep job, CI, a pipe) it logs one line
    per fold, so a job's log says how far it got.
    """

    def __init__(self, total: int, title: str, bar: bool | None = None):
        self.total, self.title, self.done = total, title, 0
        self.per_method: dict[str, int] = {}
        self.bar_enabled = sys.stderr.isatty() if bar is None else bar
        self.bar = None
        self.start = time.perf_counter()

    def __enter__(self) -> FoldProgress:
        if self.bar_enabled:
            self.bar = tqdm(total=self.total, desc=self.title, unit="fold", leave=False)
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()

    def fold_done(self, method: str, synthetic_rows: int | None = None) -> None:
        self.done += 1
        count = self.per_method[method] = self.per_method.get(method, 0) + 1
        elapsed = time.perf_counter() - self.start
        left = elapsed / self.done * (self.total - self.done)
        rows = "" if synthetic_rows is None else f"; {synthetic_rows} synthetic rows"
        if self.bar is not None:
            self.bar.set_postfix_str(f"{method} fold {count}{rows}")
            self.bar.update(1)
            return
        log.info(
            "%s · %s: fold %d done%s (%d/%d of the run; elapsed %.0f s, ~%.0f s left)",
            self.title,
            method,
            count,
            rows,
            self.done,
            self.total,
            elapsed,
            left,
        )

    def skip(self, method: str, folds: int) -> None:
        """A failed method's remaining folds will not run."""
        self.total -= folds - self.per_method.get(method, 0)
        if self.bar is not None:
            self.bar.total = self.total
            self.bar.refresh()
