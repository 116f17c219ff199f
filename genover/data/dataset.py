"""The in-memory dataset every loader returns: features, labels and a feature schema."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Column:
    """One feature column: its name, kind and (for categoricals) the category labels.

    Categorical columns are stored in ``Dataset.X`` as integer codes indexing ``categories``.
    ``integer`` marks numeric columns whose values are whole numbers (generators round them).
    """

    name: str
    kind: str  # "numeric" or "categorical"
    categories: tuple[str, ...] = ()
    integer: bool = False

    @property
    def is_categorical(self) -> bool:
        return self.kind == "categorical"


@dataclass(frozen=True)
class Dataset:
    """A labelled tabular dataset with a feature schema.

    ``X`` is float64 of shape (n, d) with categorical columns as integer codes (NaN marks a
    missing value, allowed only when the dataset was loaded with ``impute``). ``y`` holds
    integer class codes indexing ``class_names``.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    columns: tuple[Column, ...]
    class_names: tuple[str, ...]
    impute: str | None = None
    source: dict = field(default_factory=dict)

    @property
    def feature_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def categorical_mask(self) -> np.ndarray:
        return np.array([c.is_categorical for c in self.columns], dtype=bool)

    @property
    def class_counts(self) -> np.ndarray:
        return np.bincount(self.y, minlength=len(self.class_names))

    @property
    def majority_class(self) -> int:
        return int(np.argmax(self.class_counts))

    @property
    def minority_class(self) -> int:
        """The rarest class by count (ties broken by the lower code)."""
        return int(np.argmin(self.class_counts))

    @property
    def minority_classes(self) -> list[int]:
        """Every class rarer than the majority, rarest first; on balanced data (every class
        the same size) the ``minority_class``, so that a positive class is always scored."""
        counts = self.class_counts
        order = np.argsort(counts, kind="stable")
        return [int(c) for c in order if counts[c] < counts.max()] or [self.minority_class]

    @property
    def imbalance_ratio(self) -> float:
        counts = self.class_counts
        return float(counts.max() / max(counts.min(), 1))

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def to_frame(self) -> pd.DataFrame:
        """The data as a DataFrame with original category and class labels restored."""
        data = {}
        for j, col in enumerate(self.columns):
            values = self.X[:, j]
            if col.is_categorical:
                codes = np.where(np.isnan(values), -1, values).astype(int)
                data[col.name] = pd.Categorical.from_codes(codes, categories=list(col.categories))
            elif col.integer and not np.isnan(values).any():
                data[col.name] = values.astype(np.int64)
            else:
                data[col.name] = values
        frame = pd.DataFrame(data)
        frame["class"] = pd.Categorical.from_codes(self.y, categories=list(self.class_names))
        return frame

    def summary(self) -> dict:
        return {
            "name": self.name,
            "rows": int(len(self.y)),
            "features": int(self.X.shape[1]),
            "categorical": int(self.categorical_mask.sum()),
            "classes": int(self.n_classes),
            "minority": self.class_names[self.minority_class],
            "imbalance_ratio": round(self.imbalance_ratio, 2),
        }
