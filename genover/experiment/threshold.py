"""The minority decision threshold of a binary fold, tuned on an inner split of its training rows.

sklearn's ``TunedThresholdClassifierCV`` does the same inner-split-and-refit, but it fits the
pipeline with a plain ``fit``: an early-stopping classifier would then draw its validation
rows after resampling (synthetic rows would reach them, see :func:`fit_pipeline`), and its
thresholds come from a fixed grid rather than every observed score. So the split is made
here and the pipeline is fitted through :func:`fit_pipeline`.
"""

from __future__ import annotations

import logging

import numpy as np
from omegaconf import DictConfig, OmegaConf
from sklearn.model_selection import StratifiedShuffleSplit

from genover.data import Dataset
from genover.evaluation.metrics import align_proba
from genover.evaluation.threshold import best_threshold
from genover.experiment.config import Method
from genover.experiment.shared_fit import fit_fold

log = logging.getLogger(__name__)


MIN_CLASS_ROWS = 3  # per class in the training fold: 2 to fit the inner pipeline, 1 to validate
KEY = "threshold.tuning"


def tuned_thresholds(
    dataset: Dataset,
    method: Method,
    cfg: DictConfig,
    train: np.ndarray,
    index: int,
    classifiers: dict | None = None,
) -> tuple[dict[str, float | None], dict]:
    """Per classifier (``classifiers``, as in :func:`fit_fold`): the minority threshold
    chosen on an inner validation split of the training fold, None where it is not tuned;
    and what was done (``{"threshold.tuning": "tuned"}``, or ``"skipped: <why>"`` when the
    fold's classes are too small to split: the guard runs before the split). The sampler is
    fitted once on the inner rows and feeds every classifier."""
    names = list(classifiers or {"classifier": None})
    settings = cfg.evaluation.threshold
    if dataset.n_classes != 2 or not settings.tune:
        return dict.fromkeys(names), {}
    y = dataset.y[train]
    counts = np.bincount(y, minlength=2)
    if counts.min() < MIN_CLASS_ROWS:
        small = dataset.class_names[int(np.argmin(counts))]
        return dict.fromkeys(names), _skipped(
            f"the training fold holds {counts.min()} row(s) of class {small!r}; tuning needs "
            f"{MIN_CLASS_ROWS} (2 to fit, 1 to validate)"
        )
    split = StratifiedShuffleSplit(
        1, test_size=float(settings.val_fraction), random_state=int(cfg.seed) + index
    )
    try:
        inner, val = next(split.split(dataset.X[train], y))
    except ValueError as err:  # e.g. a validation share smaller than the number of classes
        return dict.fromkeys(names), _skipped(f"the inner split failed ({err})")
    if np.bincount(y[val], minlength=2).min() < 1 or np.bincount(y[inner]).min() < 2:
        return dict.fromkeys(names), _skipped(
            f"val_fraction={float(settings.val_fraction)} leaves a class with too few rows "
            "on one side of the inner split"
        )
    fitted, _, _ = fit_fold(
        dataset, method, cfg, dataset.X[train][inner], y[inner], int(cfg.seed) + index, classifiers
    )
    pos = dataset.minority_class
    cost = OmegaConf.to_container(settings.cost) if settings.get("cost") is not None else None
    truth = (y[val] == pos).astype(int)
    beta = float(cfg.evaluation.beta)
    out = {}
    for name, (pipe, _) in fitted.items():
        proba = align_proba(pipe.predict_proba(dataset.X[train][val]), pipe.classes_, 2)[:, pos]
        out[name] = best_threshold(truth, proba, settings.objective, beta, cost)
    return out, {KEY: "tuned"}


def _skipped(why: str) -> dict:
    log.info("threshold tuning skipped: %s", why)
    return {KEY: f"skipped: {why}"}
