"""Synthetic-row weighting (``synthetic_weight``): which rows a sampler appended, and the
sample weights that give them their own weight in the classifier's ``fit``."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sklearn.utils.validation import has_fit_parameter

from genover.experiment.pipeline import ResampledCapture


def check_sample_weight_support(classifiers: Mapping[str, object], weights: Mapping) -> None:
    """Reject, before any fit, a ``synthetic_weight`` other than 1 for a classifier whose
    ``fit`` takes no ``sample_weight`` (knn), naming the option and the fix."""
    for name, clf in classifiers.items():
        if weights[name] != 1.0 and not has_fit_parameter(clf, "sample_weight"):
            raise ValueError(
                f"synthetic_weight={weights[name]:g}: classifier {name!r} "
                f"({type(clf).__name__}) takes no sample_weight in fit, so it cannot weigh "
                "synthetic rows; use synthetic_weight=1.0 with it, or another classifier."
            )


def appended_rows(sampler, y_in: np.ndarray, y_out: np.ndarray) -> np.ndarray:
    """A mask over the sampler's output rows: True on the rows it appended. From
    ``sample_indices_`` where the sampler has it (a repeated index is a copy or a smoothed
    copy), from the cleaning step's indices for SMOTETomek/SMOTEENN (real rows it removed
    are gone, the rest keep weight 1), else the tail after the input rows (genover's samplers
    keep them first)."""
    indices = getattr(sampler, "sample_indices_", None)
    if indices is not None and len(indices) == len(y_out):
        appended = np.ones(len(indices), dtype=bool)
        appended[np.unique(np.asarray(indices), return_index=True)[1]] = False
        return appended
    n = len(y_in)
    # imbalanced-learn's combined samplers (SMOTETomek, SMOTEENN): the over-sampler keeps the
    # input rows first, then the cleaner keeps a subset of its rows, recorded as its indices.
    cleaner = getattr(sampler, "tomek_", None) or getattr(sampler, "enn_", None)
    kept = getattr(cleaner, "sample_indices_", None)
    if kept is not None and len(kept) == len(y_out):
        return np.asarray(kept) >= n
    if len(y_out) < n or not np.array_equal(np.asarray(y_out)[:n], np.asarray(y_in)):
        raise ValueError(
            f"synthetic_weight: {type(sampler).__name__} neither keeps its input rows first "
            "nor records which rows are new (sample_indices_), so its synthetic rows cannot "
            "be weighted; use synthetic_weight=1.0 with this sampler."
        )
    return np.arange(len(y_out)) >= n


def row_weights(appended: np.ndarray, weight: float, capture: ResampledCapture) -> np.ndarray:
    """Sample weights for the classifier: ``weight`` on appended rows, 1 on real ones; the
    appended rows' total weight is kept on ``capture`` for the fold's record."""
    capture.synthetic_weight = weight
    capture.synthetic_total = float(weight * appended.sum())
    return np.where(appended, weight, 1.0)
