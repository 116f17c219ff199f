"""What a fitted fold pipeline did: its outcome fields for the fold's record, and its
synthetic rows in the classifier's space for the sample-quality measures."""

from __future__ import annotations

import numpy as np
from imblearn.pipeline import Pipeline

from genover.experiment.pipeline import ResampledCapture, model_space


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
    weight = capture.synthetic_weight
    out["synthetic_weight"] = weight
    total = capture.synthetic_total
    out["synthetic_weight_total"] = (
        total if total is not None else weight * out.get("synthetic_rows", 0)
    )
    native = _native_categories(pipe.named_steps.get("classifier"))
    if dataset.categorical_mask.any() and native is not None:  # decided by fold_pipeline
        # a classifier that records it itself (the boosters: native / none) keeps its word
        out.setdefault("classifier.categorical", "native" if native else "one-hot")
    return out


def _native_categories(classifier) -> bool | None:
    """Whether ``fold_pipeline`` gave the classifier category codes for native splits (it sets
    ``categorical_features`` to their columns); None for a classifier without that option."""
    params = classifier.get_params(deep=False) if classifier is not None else {}
    if "categorical_features" not in params:
        return None
    value = params["categorical_features"]
    return value is not None and not isinstance(value, str)
