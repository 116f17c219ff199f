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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from omegaconf import DictConfig
from sklearn.model_selection import RepeatedStratifiedKFold

from genover.data import Dataset
from genover.evaluation.metrics import align_proba, score_probabilities
from genover.evaluation.quality import closeness, fold_quality
from genover.evaluation.rundir import summarise, write_run_outputs
from genover.experiment.config import (
    Method,
    check_folds,
    config_choices,
    experiment_classifiers,
    experiment_methods,
    load_configured_dataset,
)
from genover.experiment.pipeline import fit_fold, fold_outcome, synthetic_rows
from genover.experiment.threshold import tuned_thresholds
from genover.progress import FoldProgress

log = logging.getLogger(__name__)


@dataclass
class MethodResult:
    """Everything one method produced over the folds."""

    records: list[dict] = field(default_factory=list)
    outcomes: list[dict] = field(default_factory=list)  # per fold: what the fit decided and did
    quality: list[dict] = field(default_factory=list)
    curves: tuple[list, list] = field(default_factory=lambda: ([], []))
    synthetic_view: tuple | None = None
    seconds: float = 0.0


def evaluate_method(
    dataset: Dataset,
    method: Method,
    splits,
    cfg: DictConfig,
    log_dir: Path | None = None,
    progress: FoldProgress | None = None,
    classifiers: dict | None = None,
) -> MethodResult:
    """Fit and score ``method`` on every fold.

    ``classifiers`` (name -> config, the run's own first; default the run's classifier
    alone) are all trained on the rows of one sampler fit per fold; with more than one,
    each record and outcome names its ``classifier``. Curves and sample quality belong to
    the sampler and are taken once per fold.
    """
    result = MethodResult()
    start = time.perf_counter()
    folds, beta, seed = int(cfg.folds), float(cfg.evaluation.beta), int(cfg.seed)
    several = classifiers is not None and len(classifiers) > 1
    for index, (train, test) in enumerate(splits):
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
        for position, (name, (pipe, capture)) in enumerate(fitted.items()):
            proba = align_proba(
                pipe.predict_proba(dataset.X[test]), pipe.classes_, dataset.n_classes
            )
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
            result.records.append(
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
            result.outcomes.append({"repeat": repeat, "fold": fold, **label, **outcome})
            if position > 0:
                continue
            if repeat == 0:
                minority = dataset.minority_class
                result.curves[0].append(dataset.y[test] == minority)
                result.curves[1].append(proba[:, minority])
            if view is not None and cfg.evaluation.quality:
                result.quality.append(fold_quality(*view, seed=seed))
                if result.synthetic_view is None:
                    result.synthetic_view = view
            if progress is not None:
                progress.fold_done(method.name, outcome.get("synthetic_rows"))
    result.seconds = time.perf_counter() - start
    return result


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


def run(
    cfg: DictConfig, output_dir: str | Path | None = None, choices: Mapping | None = None
) -> dict:
    """Run the experiment described by ``cfg``; write outputs to ``output_dir`` if given.

    Returns the ``metrics.json`` payload: dataset summary, per-method mean/std of every
    metric, sample quality, and the per-fold records. A method that fails is recorded with
    its error while the others still run.
    """
    dataset = load_configured_dataset(cfg)
    splits = fold_splits(dataset, cfg)
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
    choices = config_choices(cfg, choices)
    methods = experiment_methods(cfg, choices)
    classifiers = experiment_classifiers(cfg, choices)
    results, failures = {}, {}
    with FoldProgress(len(methods) * len(splits), dataset.name) as progress:
        for method in methods:
            try:
                results[method.name] = evaluate_method(
                    dataset, method, splits, cfg, log_dir, progress, classifiers
                )
            except (ValueError, RuntimeError) as err:
                log.error("method %s failed on %s: %s", method.name, dataset.name, err)
                failures[method.name] = f"{type(err).__name__}: {err}"
                progress.skip(method.name, len(splits))
    payload = summarise(dataset, cfg, methods, results, failures, choices, list(classifiers))
    if out is not None:
        write_run_outputs(out, payload, results, dataset, cfg)
    return payload
