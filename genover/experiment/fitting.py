"""Fitting one fold pipeline on its real rows: validation rows held out for a classifier that
early-stops, and weighted synthetic rows."""

from __future__ import annotations

import inspect

import numpy as np
from imblearn.pipeline import Pipeline

from genover.experiment.pipeline import ResampledCapture, model_space
from genover.experiment.weighting import appended_rows, row_weights
from genover.training.batches import stratified_holdout


def takes_eval_set(estimator) -> bool:
    """Whether a classifier early-stops on validation rows given to ``fit(eval_set=...)``."""
    fit = getattr(estimator, "fit", None)
    val_fraction = getattr(estimator, "val_fraction", 0) or 0
    return fit is not None and "eval_set" in inspect.signature(fit).parameters and val_fraction > 0


def fit_pipeline(
    pipe: Pipeline,
    X: np.ndarray,
    y: np.ndarray,
    seed: int,
    synthetic_weight: float = 1.0,
    capture: ResampledCapture | None = None,
) -> tuple[dict, np.ndarray]:
    """Fit ``pipe`` on the real rows ``X, y``; return what the fit recorded and the mask of
    the rows that the transformer and sampler were fitted on.

    A classifier that early-stops (``takes_eval_set``) gets its validation rows from a
    stratified share of these *real* rows, held out before the transformer and sampler are
    fitted: they never train anything, and no synthetic row reaches them. With a
    ``synthetic_weight`` other than 1 the rows the sampler appended enter the classifier's
    ``fit`` with that ``sample_weight`` (their total is kept on ``capture``).
    """
    classifier = pipe.steps[-1][1]
    every = np.ones(len(y), dtype=bool)
    if capture is not None:
        capture.synthetic_weight = synthetic_weight
    if not takes_eval_set(classifier):
        _fit_weighted(pipe, X, y, synthetic_weight, capture)
        return {}, every
    held = stratified_holdout(y, float(classifier.val_fraction), seed)
    if len(np.unique(y[held])) < 2:
        _fit_weighted(pipe, X, y, synthetic_weight, capture)
        return {"classifier.validation": "internal split (too few rows to hold out)"}, every
    _fit_weighted(pipe, X[~held], y[~held], synthetic_weight, capture, (X[held], y[held]))
    return {"classifier.validation": "real rows held out before resampling"}, ~held


def _fit_weighted(pipe, X, y, weight: float, capture, held: tuple | None = None) -> None:
    """Fit ``pipe`` on ``X, y``: the steps before the classifier, then the classifier with
    the ``held`` rows as its ``eval_set`` (mapped through the fitted steps) and, for a
    ``weight`` other than 1, the synthetic rows' sample weights."""
    if weight == 1.0 and held is None:
        pipe.fit(X, y)
        return
    X_fit, y_fit = pipe[:-1].fit_resample(X, y)
    params: dict = {}
    if held is not None:
        params["eval_set"] = (model_space(pipe, held[0]), held[1])
    if weight != 1.0:
        appended = appended_rows(pipe.named_steps["sampler"], y, y_fit)
        params["sample_weight"] = row_weights(appended, weight, capture or ResampledCapture())
    pipe.steps[-1][1].fit(X_fit, y_fit, **params)
