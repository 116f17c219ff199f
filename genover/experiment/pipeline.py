"""The pipeline fitted on one training fold: transformer -> sampler -> classifier.

It is an imbalanced-learn ``Pipeline`` (samplers act in ``fit`` only), with a pass-through
step that keeps the resampled rows for the fold's outcome and sample-quality records.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
from imblearn import FunctionSampler
from imblearn.pipeline import Pipeline
from omegaconf import DictConfig

from genover.data import Dataset, OneHotCategoricals
from genover.experiment.config import Method, build
from genover.training.batches import stratified_holdout


class ResampledCapture:
    """A pass-through step after the sampler that keeps the resampled training data."""

    def __init__(self):
        self.X = self.y = None

    def __call__(self, X, y):
        self.X, self.y = X, y
        return X, y


def fold_pipeline(
    dataset: Dataset,
    method: Method,
    cfg: DictConfig,
    log_name: str | None = None,
    log_dir: Path | None = None,
) -> tuple[Pipeline, ResampledCapture]:
    """The fold's pipeline; where each transform goes depends on the sampler.

    - A sampler that encodes its input itself (the generators, ``encodes_input``) sees the
      rows as the user gave them, imputed only: impute -> sampler -> scale and one-hot ->
      classifier. Its own encoding is then the only one, and integer columns are detected
      on the real values.
    - A categorical-aware sampler (SMOTE-NC) needs scaled numerics for its distances and
      codes for its categories: scale -> sampler -> one-hot -> classifier.
    - Any other sampler: scale and one-hot -> sampler -> classifier.
    """
    sampler = build(method.sampler)
    params = sampler.get_params(deep=False)
    mask = dataset.categorical_mask
    n_categories = [len(c.categories) for c in dataset.columns if c.is_categorical] or None
    aware = "categorical_features" in params and mask.any()
    codes_at = np.arange(int((~mask).sum()), mask.size)  # codes follow the numerics

    def transformer(**settings):
        return build(cfg.transform).set_params(n_categories=n_categories, **settings)

    if "trainer" in params and log_dir is not None:
        sampler.set_params(
            trainer={**(params["trainer"] or {}), "log_dir": str(log_dir), "log_name": log_name}
        )
    if "categorical_features" in params:
        sampler.set_params(categorical_features=codes_at if aware else None)
    if params.get("amount_model") == "downstream":  # score the amount with this classifier
        sampler.set_params(amount_model=build(cfg.classifier))
    if getattr(sampler, "encodes_input", False):
        steps = [
            (
                "impute",
                transformer(
                    numeric="none", categorical_features=mask, one_hot=False, impute=dataset.impute
                ),
            ),
            ("sampler", sampler),
            ("transform", transformer(categorical_features=codes_at, one_hot=True, impute=None)),
        ]
    elif aware:
        steps = [
            (
                "transform",
                transformer(categorical_features=mask, one_hot=False, impute=dataset.impute),
            ),
            ("sampler", sampler),
            ("one_hot", OneHotCategoricals(codes_at, n_categories)),
        ]
    else:
        steps = [
            (
                "transform",
                transformer(categorical_features=mask, one_hot=True, impute=dataset.impute),
            ),
            ("sampler", sampler),
        ]
    capture = ResampledCapture()
    steps.append(("capture", FunctionSampler(func=capture, validate=False)))
    steps.append(("classifier", build(cfg.classifier)))
    return Pipeline(steps), capture


def takes_eval_set(estimator) -> bool:
    """Whether a classifier early-stops on validation rows given to ``fit(eval_set=...)``."""
    fit = getattr(estimator, "fit", None)
    val_fraction = getattr(estimator, "val_fraction", 0) or 0
    return fit is not None and "eval_set" in inspect.signature(fit).parameters and val_fraction > 0


def fit_pipeline(
    pipe: Pipeline, X: np.ndarray, y: np.ndarray, seed: int
) -> tuple[dict, np.ndarray]:
    """Fit ``pipe`` on the real rows ``X, y``; return what the fit recorded and the mask of
    the rows that the transformer and sampler were fitted on.

    A classifier that early-stops (``takes_eval_set``) gets its validation rows from a
    stratified share of these *real* rows, held out before the transformer and sampler are
    fitted: they never train anything, and no synthetic row reaches them.
    """
    classifier = pipe.steps[-1][1]
    every = np.ones(len(y), dtype=bool)
    if not takes_eval_set(classifier):
        pipe.fit(X, y)
        return {}, every
    held = stratified_holdout(y, float(classifier.val_fraction), seed)
    if len(np.unique(y[held])) < 2:
        pipe.fit(X, y)
        return {"classifier.validation": "internal split (too few rows to hold out)"}, every
    X_fit, y_fit = pipe[:-1].fit_resample(X[~held], y[~held])
    classifier.fit(X_fit, y_fit, eval_set=(model_space(pipe, X[held]), y[held]))
    return {"classifier.validation": "real rows held out before resampling"}, ~held


def model_space(pipe: Pipeline, X: np.ndarray) -> np.ndarray:
    """Rows as the classifier sees them: the fitted transforms, skipping the samplers."""
    for _, step in pipe.steps[:-1]:
        if not hasattr(step, "fit_resample"):
            X = step.transform(X)
    return X


def synthetic_rows(pipe: Pipeline, capture: ResampledCapture, X_train: np.ndarray):
    """(real rows, their labels, synthetic rows, synthetic labels) in the classifier's space,
    when the sampler kept the originals and appended new rows; else None."""
    if capture.X is None or len(capture.X) <= len(X_train):
        return None
    real = model_space(pipe, X_train)
    n = len(real)
    out = np.asarray(capture.X, dtype=float)
    if not np.allclose(out[:n], real):
        return None
    return real, np.asarray(capture.y[:n]), out[n:], np.asarray(capture.y[n:])


def fold_outcome(pipe: Pipeline, capture: ResampledCapture, y_train, dataset) -> dict:
    """What the sampler and the classifier decided and did on one fold, as flat fields:
    synthetic rows per class (for samplers that append rows) and each step's ``outcome_``."""
    out: dict = {}
    if capture.y is not None:
        y_out = np.asarray(capture.y)
        out["resampled_rows"] = int(len(y_out))
        appended = len(y_out) > len(y_train) and np.array_equal(y_out[: len(y_train)], y_train)
        new = y_out[len(y_train) :] if appended else y_out[:0]
        out["synthetic_rows"] = int(len(new))
        for index, name in enumerate(dataset.class_names):
            if index in dataset.minority_classes or np.any(new == index):
                out[f"synthetic_rows[{name}]"] = int(np.sum(new == index))
    for step, prefix in (("sampler", "sampler."), ("classifier", "classifier.")):
        estimator = pipe.named_steps.get(step)
        for key, value in (getattr(estimator, "outcome_", None) or {}).items():
            if not key.startswith("synthetic_rows"):  # counted above from the labels
                out[prefix + key] = value
    return out
