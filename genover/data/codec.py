"""The user's table as numbers, and back: :class:`TableCodec`.

It maps an ndarray, object array or DataFrame to a float matrix of numeric values and
category codes (detecting categorical and integer columns), and maps generated codes back
to the input's types: the same dtypes, valid categories and whole numbers where the input
had them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _is_text(values: pd.Series) -> bool:
    """Categorical: category and bool dtypes, and any column holding strings, numeric-looking
    or not (``'0'``, ZIP ``'00501'``): they are labels and come back as the same strings."""
    if isinstance(values.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(values):
        return True
    if pd.api.types.is_numeric_dtype(values):
        return False
    if pd.api.types.is_string_dtype(values) and values.map(type).eq(str).any():
        return True
    return pd.to_numeric(values, errors="coerce").isna().any()


def resolve_columns(spec, columns: list) -> list[int]:
    """The sorted positions among ``columns`` that ``spec`` names: a boolean mask of one
    entry per column, column names, or positions."""
    n = len(columns)
    spec = np.asarray(spec)
    if spec.dtype == bool:
        if spec.size != n:
            raise ValueError(f"categorical_features mask has {spec.size} entries for {n} columns.")
        return np.flatnonzero(spec).tolist()
    if spec.dtype.kind in "US" or spec.dtype == object:
        missing = [s for s in spec.tolist() if s not in columns]
        if missing:
            raise ValueError(f"categorical_features names {missing} are not columns of X.")
        return sorted(columns.index(s) for s in spec.tolist())
    idx = sorted(int(j) for j in spec)
    if idx and not 0 <= idx[0] <= idx[-1] < n:
        raise ValueError(f"categorical_features {idx} are out of range for {n} columns.")
    return idx


class TableCodec:
    """Categorical detection, category codes and type restoration for one input table."""

    def fit(self, X, categorical_features=None, integer_features="auto", rows=None) -> TableCodec:
        """Learn the columns' kinds from ``X``. Integer columns are detected on ``rows`` (a
        mask; None = all); the category vocabularies cover every row, so that every row
        can be encoded (a vocabulary holds no statistic of the data)."""
        self.is_frame = isinstance(X, pd.DataFrame)
        frame = X if self.is_frame else pd.DataFrame(np.asarray(X))
        self.columns = list(frame.columns)
        self.dtypes = frame.dtypes if self.is_frame else None
        self.object_input = not self.is_frame and _is_object(X)
        self.categorical = self._resolve(categorical_features, frame)
        self.categories = {j: self._categories(frame.iloc[:, j]) for j in self.categorical}
        codes = self.encode(X)
        if rows is not None:
            codes = codes[np.asarray(rows)]
        numeric = [j for j in range(len(self.columns)) if j not in self.categorical]
        self.integer = self._integers(integer_features, codes, numeric)
        return self

    def _resolve(self, spec, frame: pd.DataFrame) -> list[int]:
        n = frame.shape[1]
        if spec is None or (isinstance(spec, str) and spec == "auto"):
            return [j for j in range(n) if _is_text(frame.iloc[:, j])]
        return resolve_columns(spec, self.columns)

    @staticmethod
    def _categories(values: pd.Series) -> list:
        if isinstance(values.dtype, pd.CategoricalDtype):
            return list(values.cat.categories)
        return sorted(values.dropna().unique().tolist(), key=lambda v: (str(type(v)), v))

    @staticmethod
    def _integers(spec, codes: np.ndarray, numeric: list[int]) -> list[int]:
        if spec is None:
            return []
        if isinstance(spec, str) and spec == "auto":
            return [j for j in numeric if np.all(codes[:, j] == np.round(codes[:, j]))]
        spec = np.asarray(spec)
        idx = np.flatnonzero(spec) if spec.dtype == bool else spec.astype(int)
        return sorted(int(j) for j in idx if j in numeric)

    def encode(self, X) -> np.ndarray:
        if isinstance(X, np.ndarray) and X.dtype.kind in "fiub":
            return self._encode_numeric_array(X)
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X, dtype=object))
        out = np.empty(frame.shape, dtype=np.float64)
        for j in range(frame.shape[1]):
            column = frame.iloc[:, j]
            if j in self.categorical:
                lookup = {v: i for i, v in enumerate(self.categories[j])}
                mapped = column.map(lookup)
                if mapped.isna().any():
                    bad = column[mapped.isna()].unique()[:5].tolist()
                    raise ValueError(
                        f"column {self.columns[j]!r} holds values {bad} that are missing or not "
                        "among its categories; impute or clean them first."
                    )
                out[:, j] = mapped.to_numpy(dtype=np.float64)
            else:
                out[:, j] = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
        return out

    def _encode_numeric_array(self, X: np.ndarray) -> np.ndarray:
        """The fast path for numeric arrays: no per-value Python objects."""
        out = np.asarray(X, dtype=np.float64).copy()
        for j in self.categorical:
            cats = np.asarray(self.categories[j], dtype=np.float64)
            order = np.argsort(cats)
            pos = np.clip(np.searchsorted(cats[order], out[:, j]), 0, len(cats) - 1)
            known = cats[order][pos] == out[:, j]
            if not known.all():
                bad = np.unique(out[~known, j])[:5].tolist()
                raise ValueError(
                    f"column {self.columns[j]!r} holds values {bad} that are missing or not "
                    "among its categories; impute or clean them first."
                )
            out[:, j] = order[pos]
        return out

    def decode(self, codes: np.ndarray):
        """Rows in the input's own types (DataFrame dtypes, object array, or floats)."""
        if not (self.is_frame or self.object_input):
            return codes
        data = {}
        for j, name in enumerate(self.columns):
            if j in self.categorical:
                data[name] = np.asarray(self.categories[j], dtype=object)[codes[:, j].astype(int)]
            else:
                data[name] = codes[:, j]
        frame = pd.DataFrame(data, columns=self.columns)
        if not self.is_frame:
            return frame.to_numpy(dtype=object)
        for name, dtype in self.dtypes.items():
            if isinstance(dtype, pd.CategoricalDtype):
                frame[name] = pd.Categorical(frame[name], dtype=dtype)
            elif pd.api.types.is_integer_dtype(dtype):
                frame[name] = np.round(frame[name].astype(float)).astype(dtype)
            else:
                frame[name] = frame[name].astype(dtype)
        return frame


def _is_object(X) -> bool:
    return isinstance(X, np.ndarray) and X.dtype == object
