"""The minority decision threshold of a binary fold, tuned on an inner split of its training rows.

sklearn's ``TunedThresholdClassifierCV`` does the same inner-split-and-refit, but it fits the
pipeline with a plain ``fit``: an early-stopping classifier would then draw its validation
rows after resampling (synthetic rows would reach them, see :func:`fit_pipeline`), and its
thresholds come from a fixed grid rather than every observed score. So the split is made
here and the pipeline is fitted through :func:`fit_pipeline`.
"""

from __future__ import annotations

import numpy as np
from omegaconf import DictConfig, OmegaConf
from sklearn.model_selection import StratifiedShuffleSplit

from genover.data import Dataset
from genover.evaluation.metrics import align_proba
from genover.evaluation.threshold import best_threshold
from genover.experiment.config import Method
from genover.experiment.pipeline import fit_pipeline, fold_pipeline


def tuned_threshold(
    dataset: Dataset, method: Method, cfg: DictConfig, train: np.ndarray, index: int
) -> float | None:
    """The minority threshold chosen on an inner validation split of the training fold."""
    settings = cfg.evaluation.threshold
    if dataset.n_classes != 2 or not settings.tune:
        return None
    y = dataset.y[train]
    split = StratifiedShuffleSplit(
        1, test_size=float(settings.val_fraction), random_state=int(cfg.seed) + index
    )
    inner, val = next(split.split(dataset.X[train], y))
    if np.bincount(y[val], minlength=2).min() < 1 or np.bincount(y[inner]).min() < 2:
        return None
    pipe, _ = fold_pipeline(dataset, method, cfg)
    fit_pipeline(pipe, dataset.X[train][inner], y[inner], int(cfg.seed) + index)
    pos = dataset.minority_class
    proba = align_proba(pipe.predict_proba(dataset.X[train][val]), pipe.classes_, 2)[:, pos]
    cost = OmegaConf.to_container(settings.cost) if settings.get("cost") is not None else None
    return best_threshold(
        (y[val] == pos).astype(int), proba, settings.objective, float(cfg.evaluation.beta), cost
    )
