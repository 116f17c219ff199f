"""Input checks and small table helpers of the generative over-samplers."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from imblearn.utils import check_target_type
from scipy import sparse
from sklearn.utils.validation import validate_data

from genover.data.codec import TableCodec
from genover.data.frame import non_finite_counts

log = logging.getLogger(__name__)
_FEW_ROWS = 5


def check_dense_X_y(sampler, X, y):
    """imbalanced-learn's ``_check_X_y`` for samplers that take a dense array or a pandas
    frame as given (a frame keeps its column types): ``(X, y, binarize_y)``."""
    y, binarize_y = check_target_type(y, indicate_one_vs_all=True)
    if sparse.issparse(X):
        raise TypeError(
            f"{type(sampler).__name__} needs dense input; convert with X.toarray() first."
        )
    if not isinstance(X, pd.DataFrame):
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (rows x features); got shape {X.shape}.")
    validate_data(sampler, X=X, y=y, reset=True, skip_check_array=True)
    if len(y) != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {len(y)} labels.")
    return X, y, binarize_y


def reject_non_finite(codes: np.ndarray, codec: TableCodec) -> None:
    bad = non_finite_counts(codes) > 0
    if bad.any():
        names = [str(codec.columns[j]) for j in np.flatnonzero(bad)][:5]
        raise ValueError(
            f"X holds NaN or infinite values in columns {names}; impute them first (for "
            "example sklearn's SimpleImputer before the sampler, or genover's impute=median)."
        )


def warn_tiny_classes(classes, y_idx: np.ndarray, strategy: dict) -> None:
    counts = np.bincount(y_idx, minlength=len(classes))
    for label, n in strategy.items():
        have = counts[int(np.flatnonzero(classes == label)[0])]
        if n > 0 and have < _FEW_ROWS:
            log.warning(
                "class %r has %d row(s): its generated rows come from the class embedding "
                "learnt on so few examples and will sit close to them.",
                label,
                have,
            )


def append_rows(X, new_X):
    if isinstance(X, pd.DataFrame):
        return pd.concat([X, new_X], ignore_index=True)
    return np.vstack([X, np.asarray(new_X, dtype=X.dtype)])
