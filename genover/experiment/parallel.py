"""Running a run's (method, fold) units side by side: in this process one after another
(``n_jobs=1``), or in joblib's loky worker processes, handed out as workers come free.

Every unit is seeded by its own config and fold index, never by what ran before it in the
same process, so the numbers do not depend on ``n_jobs``. A worker's log records are sent
back with its result and logged here, so a job's log holds them as in a sequential run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class UnitResult:
    """What one (method, fold) unit produced: its fold results and their source job (a
    sweep's cache), or its error; the seconds it took; and, from a worker, its log records."""

    method: str
    index: int
    fold: Any = None
    source: dict | None = None
    error: str | None = None
    exception: BaseException | None = None  # in this process only (not sent back by a worker)
    seconds: float = 0.0
    records: list[logging.LogRecord] = field(default_factory=list)


class _Collect(logging.Handler):
    """Keeps a worker's log records, made picklable (message formatted, traceback as text)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        self.records.append(record)


def _in_worker(task: Callable[..., UnitResult], args: tuple, threads: int, level: int):
    """Run ``task(*args)`` in a worker with ``threads`` torch threads, keeping its log records
    at ``level`` and up."""
    import torch

    torch.set_num_threads(threads)
    root, collect = logging.getLogger(), _Collect()
    root.setLevel(level)
    root.addHandler(collect)
    try:
        result = task(*args)
    finally:
        root.removeHandler(collect)
    return replace(result, exception=None, records=collect.records)


def _replay(records: list[logging.LogRecord]) -> None:
    """Log a worker's records here, as if they had been logged in this process."""
    for record in records:
        logger = logging.getLogger(record.name)
        if logger.isEnabledFor(record.levelno):
            logger.handle(record)


def run_units(
    task: Callable[..., UnitResult], units: Iterable[tuple], n_jobs: int, threads: int
) -> Iterator[UnitResult]:
    """``task(*unit)`` for every unit, as each finishes: in this process when ``n_jobs`` is 1,
    else in ``n_jobs`` loky workers with ``threads`` torch threads each. ``units`` is read
    lazily (a unit is taken only when a worker can start it), so it may skip the units of a
    method that already failed."""
    if n_jobs == 1:
        yield from (task(*unit) for unit in units)
        return
    from joblib import Parallel, delayed

    level = logging.getLogger().getEffectiveLevel()
    parallel = Parallel(
        n_jobs=n_jobs,
        backend="loky",
        return_as="generator_unordered",
        pre_dispatch="n_jobs",
        batch_size=1,
    )
    for result in parallel(delayed(_in_worker)(task, unit, threads, level) for unit in units):
        _replay(result.records)
        yield replace(result, records=[])
