"""Tabular preprocessing, fitted on a training fold only.

Numeric columns are imputed (optionally) and standardised or quantile-transformed. Categorical
columns (integer codes) are imputed with the most frequent code and either one-hot encoded
or kept as codes, so that a categorical-aware sampler (SMOTE-NC, the generators) can resample
them before :class:`OneHotCategoricals` expands them for the classifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    QuantileTransformer,
    StandardScaler,
)
from sklearn.utils.validation import check_is_fitted

NUMERIC_SCALERS = ("standard", "quantile", "none")


def _categorical_mask(categorical_features, n_features: int) -> np.ndarray:
    mask = np.zeros(n_features, dtype=bool)
    if categorical_features is None:
        return mask
    feats = np.asarray(categorical_features)
    if feats.dtype == bool:
        if feats.size != n_features:
            raise ValueError(
                f"categorical_features mask has {feats.size} entries for {n_features} features."
            )
        return feats.copy()
    mask[feats.astype(int)] = True
    return mask


class TabularTransformer(TransformerMixin, BaseEstimator):
    """Scale numeric columns and encode categorical ones.

    Parameters
    ----------
    numeric: "standard", "quantile" (to a normal distribution) or "none".
    categorical_features: boolean mask or indices of the categorical (integer-code) columns.
    n_categories: the number of categories of each categorical column, in column order; the
        one-hot width is fixed by it so that unseen categories in a test fold are harmless.
    one_hot: one-hot encode categoricals (True) or keep them as codes after the numerics.
    impute: None, or "median" / "mean" / "most_frequent" for numeric missing values.
    """

    def __init__(
        self,
        numeric: str = "standard",
        categorical_features: Sequence | None = None,
        n_categories: Sequence[int] | None = None,
        one_hot: bool = True,
        impute: Literal["median", "mean", "most_frequent"] | None = None,
    ):
        self.numeric = numeric
        self.categorical_features = categorical_features
        self.n_categories = n_categories
        self.one_hot = one_hot
        self.impute = impute

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        if self.numeric not in NUMERIC_SCALERS:
            raise ValueError(
                f"numeric={self.numeric!r} is not a scaler; use one of {NUMERIC_SCALERS}."
            )
        mask = _categorical_mask(self.categorical_features, X.shape[1])
        self.numeric_idx_ = np.flatnonzero(~mask)
        self.categorical_idx_ = np.flatnonzero(mask)
        parts = []
        if self.numeric_idx_.size:
            parts.append(("numeric", self._numeric_pipeline(X.shape[0]), self.numeric_idx_))
        if self.categorical_idx_.size:
            parts.append(("categorical", self._categorical_pipeline(), self.categorical_idx_))
        self.columns_ = ColumnTransformer(parts, sparse_threshold=0.0).fit(X)
        n_num = self.numeric_idx_.size
        self.categorical_features_out_ = (
            np.array([], dtype=int)
            if self.one_hot
            else np.arange(n_num, n_num + self.categorical_idx_.size)
        )
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self, "columns_")
        return np.asarray(self.columns_.transform(np.asarray(X, dtype=np.float64)), np.float64)

    def _numeric_pipeline(self, n_rows: int):
        steps = [SimpleImputer(strategy=self.impute)] if self.impute else []
        if self.numeric == "standard":
            steps.append(StandardScaler())
        elif self.numeric == "quantile":
            steps.append(
                QuantileTransformer(
                    n_quantiles=max(2, min(1000, n_rows)),
                    output_distribution="normal",
                    random_state=0,
                )
            )
        else:
            steps.append(FunctionTransformer())
        return make_pipeline(*steps)

    def _categorical_pipeline(self):
        steps = [SimpleImputer(strategy="most_frequent")] if self.impute else []
        if self.one_hot:
            steps.append(_one_hot(self.n_categories, self.categorical_idx_.size))
        else:
            steps.append(FunctionTransformer())
        return make_pipeline(*steps)


def _one_hot(n_categories: Sequence[int] | None, n_columns: int) -> OneHotEncoder:
    categories = (
        "auto" if n_categories is None else [np.arange(k, dtype=float) for k in n_categories]
    )
    if n_categories is not None and len(n_categories) != n_columns:
        raise ValueError(f"n_categories has {len(n_categories)} entries for {n_columns} columns.")
    return OneHotEncoder(categories=categories, handle_unknown="ignore", sparse_output=False)


class OneHotCategoricals(TransformerMixin, BaseEstimator):
    """One-hot encode the categorical code columns of already-scaled data (after resampling).

    Codes are rounded to the nearest valid category first, so a sampler that emits
    fractional codes still yields valid one-hot rows.
    """

    def __init__(self, categorical_features: Sequence | None = None, n_categories=None):
        self.categorical_features = categorical_features
        self.n_categories = n_categories

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        mask = _categorical_mask(self.categorical_features, X.shape[1])
        self.categorical_idx_ = np.flatnonzero(mask)
        self.numeric_idx_ = np.flatnonzero(~mask)
        self.encoder_ = _one_hot(self.n_categories, self.categorical_idx_.size)
        self.encoder_.fit(self._codes(X))
        return self

    def _codes(self, X: np.ndarray) -> np.ndarray:
        codes = np.rint(X[:, self.categorical_idx_])
        if self.n_categories is not None:
            codes = np.clip(codes, 0, np.asarray(self.n_categories) - 1)
        return codes

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self, "encoder_")
        X = np.asarray(X, dtype=np.float64)
        if self.categorical_idx_.size == 0:
            return X
        return np.hstack([X[:, self.numeric_idx_], self.encoder_.transform(self._codes(X))])
