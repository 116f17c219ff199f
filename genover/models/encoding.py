"""Encoded rows in a generator's model space, and back: :class:`ModelEncoder`.

Numeric columns go to a near-normal scale (quantile-normal or standardised) and category
codes to one-hot blocks laid out by :class:`TabularLayout`; the inverse rounds integer
columns and snaps categories.
"""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import QuantileTransformer, StandardScaler

from genover.models.components.mixed import TabularLayout


class ModelEncoder:
    """Numeric columns to a near-normal scale, categorical codes to one-hot, and back."""

    def __init__(self, numeric: str = "quantile"):
        if numeric not in ("quantile", "standard"):
            raise ValueError(f"numeric_transform={numeric!r}; use 'quantile' or 'standard'.")
        self.numeric = numeric

    def fit(
        self, codes: np.ndarray, categorical: list[int], n_categories: list[int], integer: list[int]
    ) -> ModelEncoder:
        self.categorical = list(categorical)
        self.n_categories = list(n_categories)
        self.numeric_idx = [j for j in range(codes.shape[1]) if j not in set(self.categorical)]
        self.integer = [j for j in integer if j in set(self.numeric_idx)]
        num = codes[:, self.numeric_idx]
        if self.numeric_idx:
            self.scaler = (
                QuantileTransformer(
                    n_quantiles=max(2, min(1000, len(codes))),
                    output_distribution="normal",
                    subsample=100_000,
                    random_state=0,
                )
                if self.numeric == "quantile"
                else StandardScaler()
            ).fit(num)
            self.low, self.high = num.min(axis=0), num.max(axis=0)
        self.layout = TabularLayout(len(self.numeric_idx), tuple(self.n_categories))
        self.n_features = codes.shape[1]
        return self

    def transform(self, codes: np.ndarray) -> np.ndarray:
        parts = [self.scaler.transform(codes[:, self.numeric_idx])] if self.numeric_idx else []
        for j, k in zip(self.categorical, self.n_categories, strict=True):
            parts.append(np.eye(k)[codes[:, j].astype(int)])
        return np.hstack(parts).astype(np.float32)

    def inverse_transform(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        codes = np.empty((z.shape[0], self.n_features))
        n_num = len(self.numeric_idx)
        if n_num:
            num = self.scaler.inverse_transform(np.nan_to_num(z[:, :n_num]))
            codes[:, self.numeric_idx] = np.clip(num, self.low, self.high)
        start = n_num
        for j, k in zip(self.categorical, self.n_categories, strict=True):
            codes[:, j] = z[:, start : start + k].argmax(axis=1)
            start += k
        codes[:, self.integer] = np.round(codes[:, self.integer])
        return codes
