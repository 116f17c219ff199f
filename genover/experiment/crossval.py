"""One cross-validated experiment: ``run(cfg)`` evaluates a sampler and its baselines.

For every repeated stratified fold, an imbalanced-learn ``Pipeline`` is fitted on the training
rows only: tabular transformer -> sampler (``fit_resample``) -> classifier. The test rows are
then scored through ``predict_proba``. All methods share the same folds (a paired design).
For binary data the decision threshold is tuned on an inner validation split of each
training fold, and the synthetic rows of every over-sampler are scored for quality.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from omegaconf import DictConfig
from sklearn.model_selection import RepeatedStratifiedKFold

from genover.cores import resolve_n_jobs, worker_threads
from genover.data import Dataset
from genover.evaluation.metrics import align_proba, score_probabilities
from genover.evaluation.quality import closeness, fold_quality, real_copy_share
from genover.evaluation.rundir import summarise, write_run_outputs
from genover.experiment.config import (
    Method,
    check_folds,
    config_choices,
    experiment_classifiers,
    experiment_methods,
    load_configured_dataset,
)
from genover.experiment.outcome import fold_outcome, synthetic_rows
from genover.experiment.parallel import UnitResult, run_units
from genover.experiment.reuse import FoldCache, dataset_digest, job_reuse, without_cap
from genover.experiment.shared_fit import fit_fold
from genover.experiment.threshold import tuned_thresholds
from genover.progress import FoldProgress

log = logging.getLogger(__name__)
#: The fold field of the real-row copy share (see ``heldout_copy_share``).
REAL_COPY_SHARE = "real.exact_copy_share"


@dataclass
class FoldScores:
    """What one fold of a method produced: per classifier its record and outcome; for the
    first classifier the curve points (first repeat only), the synthetic rows' quality and
    their view (kept for the plots), and the synthetic row count."""

    records: list[dict]
    outcomes: list[dict]
    curve: tuple[np.ndarray, np.ndarray] | None = None
    quality: dict | None = None
    view: tuple | None = None
    synthetic_rows: int | None = None


@dataclass
class MethodResult:
    """Everything one method produced over the folds."""

    records: list[dict] = field(default_factory=list)
    outcomes: list[dict] = field(default_factory=list)  # per fold: what the fit decided and did
    quality: list[dict] = field(default_factory=list)
    curves: tuple[list, list] = field(default_factory=lambda: ([], []))
    synthetic_view: tuple | None = None
    seconds: float = 0.0

    def add(self, fold: FoldScores) -> None:
        """Append one fold's results."""
        self.records += fold.records
        self.outcomes += fold.outcomes
        if fold.curve is not None:
            self.curves[0].append(fold.curve[0])
            self.curves[1].append(fold.curve[1])
        if fold.quality is not None:
            self.quality.append(fold.quality)
            if self.synthetic_view is None:
                self.synthetic_view = fold.view


def evaluate_method(
    dataset: Dataset,
    method: Method,
    splits,
    cfg: DictConfig,
    log_dir: Path | None = None,
    progress: FoldProgress | None = None,
    classifiers: dict | None = None,
    cache: FoldCache | None = None,
) -> MethodResult:
    """Fit and score ``method`` on every fold, in this process; its first error is raised.

    ``classifiers`` (name -> config, the run's own first; default the run's classifier
    alone) are all trained on the rows of one sampler fit per fold; with more than one,
    each record and outcome names its ``classifier``. Curves and sample quality belong to
    the sampler and are taken once per fold. With a sweep's ``cache``, a fold another job
    already fitted on the same rows is read from it, and its outcomes say ``reused_from``.
    """
    folds = FoldRun(dataset, splits, cfg, classifiers, log_dir, cache)
    results, failures = folds.evaluate([method], progress, n_jobs=1)
    if method.name in failures:
        raise failures[method.name].exception
    return results[method.name]


@dataclass
class FoldRun:
    """What every (method, fold) unit of a run shares: the data, the folds, the config, the
    classifiers, where generators log and the sweep's fold cache."""

    dataset: Dataset
    splits: list
    cfg: DictConfig
    classifiers: dict | None = None
    log_dir: Path | None = None
    cache: FoldCache | None = None

    def evaluate(
        self, methods: list[Method], progress: FoldProgress | None = None, n_jobs: int = 1
    ) -> tuple[dict[str, MethodResult], dict[str, UnitResult]]:
        """Every method on every fold, ``n_jobs`` units at a time (the slow methods' folds
        first, as listed); returns the results of the methods that succeeded and, of each
        one that failed, its failed unit (the first fold's where several failed). A failed
        method's remaining folds are not started. The numbers do not depend on ``n_jobs``."""
        data = dataset_digest(self.dataset) if self.cache is not None else ""
        task = partial(fold_unit, self, data)
        failures: dict[str, UnitResult] = {}
        units = (
            (method, index)
            for method in methods
            for index in range(len(self.splits))
            if method.name not in failures
        )
        done: dict[str, dict[int, UnitResult]] = {m.name: {} for m in methods}
        threads = worker_threads(torch.get_num_threads(), n_jobs)
        for unit in run_units(task, units, n_jobs, threads):
            name = unit.method
            if unit.error is not None:
                _record_failure(failures, unit, self.dataset.name, progress, len(self.splits))
            elif name not in failures:
                done[name][unit.index] = unit
                if progress is not None:
                    progress.fold_done(name, unit.fold.synthetic_rows)
        results = {m.name: method_result(done[m.name]) for m in methods if m.name not in failures}
        return results, failures


def _record_failure(failures: dict, unit: UnitResult, data: str, progress, folds: int) -> None:
    """Keep ``unit``'s error as its method's (the earliest fold's, where several failed)."""
    first = unit.method not in failures
    if first or unit.index < failures[unit.method].index:
        failures[unit.method] = unit
    if first:
        log.error("method %s failed on %s: %s", unit.method, data, unit.error)
        if progress is not None:
            progress.skip(unit.method, folds)


def method_result(units: dict[int, UnitResult]) -> MethodResult:
    """A method's results from its units, in fold order; its seconds are theirs summed."""
    result = MethodResult()
    for index in sorted(units):
        unit = units[index]
        result.add(reused_fold(unit.fold, unit.source) if unit.source is not None else unit.fold)
        result.seconds += unit.seconds
    return result


def fold_unit(folds: FoldRun, data: str, method: Method, index: int) -> UnitResult:
    """Fold ``index`` of ``method``: read from the sweep's cache or fitted and scored
    (:func:`score_fold`); a ``ValueError`` or ``RuntimeError`` is returned as its error."""
    start = time.perf_counter()
    train, test = folds.splits[index]
    compute = partial(
        score_fold,
        folds.dataset,
        method,
        folds.cfg,
        (train, test),
        index,
        folds.classifiers,
        folds.log_dir,
    )
    out = UnitResult(method.name, index)
    try:
        if folds.cache is None:
            out.fold = compute()
        else:
            key = folds.cache.key(folds.cfg, data, method, index, train, test)
            out.fold, out.source = folds.cache.fold(key, compute)
    except (ValueError, RuntimeError) as err:
        out.error, out.exception = f"{type(err).__name__}: {err}", err
    out.seconds = time.perf_counter() - start
    return out


def reused_fold(fold: FoldScores, source: dict) -> FoldScores:
    """``fold`` as read from another job: its outcomes name that job (``reused_from``) and
    drop the fit's wall-clock fields (no time was spent here)."""
    origin = f"{source['job']} ({source['label']})"
    outcomes = [
        {**{k: v for k, v in o.items() if not k.endswith("_seconds")}, "reused_from": origin}
        for o in fold.outcomes
    ]
    return replace(fold, outcomes=outcomes)


def score_fold(
    dataset: Dataset,
    method: Method,
    cfg: DictConfig,
    split: tuple[np.ndarray, np.ndarray],
    index: int,
    classifiers: dict | None = None,
    log_dir: Path | None = None,
) -> FoldScores:
    """Fit ``method`` on the training rows of fold ``index`` (``split``, seed ``cfg.seed +
    index``) and score every classifier on its test rows."""
    train, test = split
    folds, beta, seed = int(cfg.folds), float(cfg.evaluation.beta), int(cfg.seed)
    several = classifiers is not None and len(classifiers) > 1
    repeat, fold = divmod(index, folds)
    thresholds, tuning = tuned_thresholds(dataset, method, cfg, train, index, classifiers)
    fitted, fit_record, mask = fit_fold(
        dataset,
        method,
        cfg,
        dataset.X[train],
        dataset.y[train],
        seed + index,
        classifiers,
        f"{method.name}_r{repeat}_f{fold}",
        log_dir,
    )
    X_fit, y_fit = dataset.X[train][mask], dataset.y[train][mask]
    minority_train = int(np.sum(dataset.y[train] == dataset.minority_class))
    view = synthetic_rows(*next(iter(fitted.values())), X_fit)
    near = {f"synthetic.{k}": v for k, v in closeness(*view).items()} if view else {}
    near[REAL_COPY_SHARE] = heldout_copy_share(dataset, X_fit, test)
    out = FoldScores([], [])
    for position, (name, (pipe, capture)) in enumerate(fitted.items()):
        proba = align_proba(pipe.predict_proba(dataset.X[test]), pipe.classes_, dataset.n_classes)
        scores = score_probabilities(
            dataset.y[test], proba, dataset.minority_classes, beta, thresholds[name]
        )
        outcome = {
            **fold_outcome(pipe, capture, y_fit, dataset),
            **near,
            **fit_record,
            **tuning,
        }
        label = {"classifier": name} if several else {}
        out.records.append(
            {
                "method": method.name,
                **label,
                "repeat": repeat,
                "fold": fold,
                **{k: float(v) for k, v in scores.items()},
                "n_train": int(len(train)),
                "n_test": int(len(test)),
                "minority_train": minority_train,
            }
        )
        out.outcomes.append({"repeat": repeat, "fold": fold, **label, **outcome})
        if position > 0:
            continue
        out.synthetic_rows = outcome.get("synthetic_rows")
        if repeat == 0:
            minority = dataset.minority_class
            out.curve = (dataset.y[test] == minority, proba[:, minority])
        if view is not None and cfg.evaluation.quality:
            out.quality = fold_quality(*view, seed=seed)
            out.view = view if cfg.evaluation.plots else None
    return out


def heldout_copy_share(dataset: Dataset, X_fit: np.ndarray, test: np.ndarray) -> float:
    """The share of the test fold's minority rows equal to some training row of the fold
    (the real-row bar beside ``synthetic.exact_copy_share``)."""
    minority = np.isin(dataset.y[test], dataset.minority_classes)
    return real_copy_share(X_fit, dataset.X[test][minority])


def fold_splits(dataset: Dataset, cfg: DictConfig) -> list[tuple[np.ndarray, np.ndarray]]:
    """The experiment's repeated stratified folds as (training rows, test rows).

    With ``minority_cap=N`` each training fold keeps at most N rows of every minority class,
    chosen at random from the seed and the fold's index (the low-data regime); the test
    folds are untouched, so capped and uncapped runs are scored on the same rows.
    """
    folds, repeats, seed = int(cfg.folds), int(cfg.repeats), int(cfg.seed)
    check_folds(dataset, folds, repeats)
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    splits = list(splitter.split(dataset.X, dataset.y))
    cap = cfg.get("minority_cap")
    if cap is None:
        return splits
    return [
        (cap_minority(train, dataset.y, dataset.minority_classes, int(cap), seed + i), test)
        for i, (train, test) in enumerate(splits)
    ]


def cap_minority(
    train: np.ndarray, y: np.ndarray, classes: list[int], cap: int, seed: int
) -> np.ndarray:
    """``train`` with at most ``cap`` rows of each class in ``classes``, the kept ones drawn
    from ``seed``; row order is preserved."""
    if cap < 2:
        raise ValueError(f"minority_cap={cap}: keep at least 2 minority rows per training fold.")
    rng = np.random.default_rng(seed)
    keep = np.ones(len(train), dtype=bool)
    for c in classes:
        rows = np.flatnonzero(y[train] == c)
        if len(rows) > cap:
            keep[rng.choice(rows, len(rows) - cap, replace=False)] = False
    return train[keep]


class JobPlan(NamedTuple):
    """What one job evaluates: the dataset, its folds, the config-group choices behind the
    config, and the methods and classifiers they name."""

    dataset: Dataset
    splits: list[tuple[np.ndarray, np.ndarray]]
    choices: dict
    methods: list[Method]
    classifiers: dict[str, dict]


def plan_job(cfg: DictConfig, choices: Mapping | None = None) -> JobPlan:
    """Load the configured dataset, split it into the job's folds and list its methods and
    classifiers (``choices`` as :func:`config_choices` takes them)."""
    dataset = load_configured_dataset(cfg)
    splits = fold_splits(dataset, cfg)
    choices = config_choices(cfg, choices)
    methods = experiment_methods(cfg, choices)
    return JobPlan(dataset, splits, choices, methods, experiment_classifiers(cfg, choices))


def run(
    cfg: DictConfig,
    output_dir: str | Path | None = None,
    choices: Mapping | None = None,
    cache: FoldCache | None = None,
) -> dict:
    """Run the experiment described by ``cfg``; write outputs to ``output_dir`` if given.

    Returns the ``metrics.json`` payload: dataset summary, per-method mean/std of every
    metric, sample quality, and the per-fold records. A method that fails is recorded with
    its error while the others still run. With a sweep's fold ``cache``
    (:mod:`genover.experiment.reuse`), folds that another job fitted on the same rows are
    read from it, and the payload's ``reuse`` entry says which and why.
    """
    dataset, splits, choices, methods, classifiers = plan_job(cfg, choices)
    log.info("%s: %s", dataset.name, dataset.summary())
    if dataset.imbalance_ratio == 1.0:
        log.warning(
            "%s is balanced (every class has %d rows): class %r is scored as the minority.",
            dataset.name,
            dataset.class_counts[0],
            dataset.class_names[dataset.minority_class],
        )
    out = Path(output_dir) if output_dir is not None else None
    log_dir = out / "tensorboard" / "generators" if out is not None else None
    n_jobs = min(resolve_n_jobs(cfg.get("n_jobs", 1)), len(methods) * len(splits))
    folds = FoldRun(dataset, splits, cfg, classifiers, log_dir, cache)
    with FoldProgress(len(methods) * len(splits), dataset.name) as progress:
        results, failed = folds.evaluate(methods, progress, n_jobs)
    failures = {name: unit.error for name, unit in failed.items()}
    payload = summarise(dataset, cfg, methods, results, failures, choices, list(classifiers))
    payload["runtime"] = {"n_jobs": n_jobs}
    if cache is not None:
        uncapped = fold_splits(dataset, without_cap(cfg))
        payload["reuse"] = job_reuse(cfg, splits, uncapped, results)
    if out is not None:
        write_run_outputs(out, payload, results, dataset, cfg)
    return payload
