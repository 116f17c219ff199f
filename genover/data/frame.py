"""Turn a pandas DataFrame into a validated :class:`Dataset` (the one path every loader uses)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from genover.data.dataset import Column, Dataset

IMPUTE_STRATEGIES = ("median", "mean", "most_frequent")
_MAX_LISTED = 5
# A date, optionally with a time and zone: 2024-03-01, 2024/3/1 12:30, 01.03.2024T08:00:00Z
_DATE = re.compile(
    r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})"
    r"([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$"
)
#: A category column whose every value differs is an identifier from this many rows on.
_ID_ROWS = 10


def check_categorical(categorical) -> list[str] | None:
    """``categorical`` as a list of column names; a bare string is a mistake for a list."""
    if categorical is None:
        return None
    if isinstance(categorical, str):
        raise ValueError(
            f"categorical={categorical!r} is not a list of columns; write "
            f"categorical=[{categorical}] (or categorical=[a,b] for several)."
        )
    try:
        return [str(c) for c in categorical]
    except TypeError as err:
        raise ValueError(
            f"categorical={categorical!r} is not a list of columns; write categorical=[a,b]."
        ) from err


def dataset_from_frame(
    frame: pd.DataFrame,
    target: str,
    *,
    name: str,
    categorical: Sequence[str] | None = None,
    categories: Mapping[str, Sequence[str]] | None = None,
    integer: Sequence[str] | None = None,
    impute: str | None = None,
    source: dict | None = None,
) -> Dataset:
    """Validate ``frame`` and encode it as a :class:`Dataset`.

    ``categorical`` declares categorical columns beyond those detected from dtypes;
    ``categories`` fixes the category order of some columns; ``integer`` marks numeric
    columns holding whole numbers. Missing values are an error unless ``impute`` names a
    strategy (then they are kept as NaN and imputed per training fold).
    """
    if impute is not None and impute not in IMPUTE_STRATEGIES:
        raise ValueError(
            f"impute={impute!r} is not a strategy; use one of {', '.join(IMPUTE_STRATEGIES)}."
        )
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ValueError(f"dataset {name!r} is empty (no rows or no columns); check the file.")
    if target not in frame.columns:
        raise ValueError(_missing_column_message(name, target, list(frame.columns)))
    features = frame.drop(columns=[target])
    if features.shape[1] == 0:
        raise ValueError(f"dataset {name!r} has only the target column {target!r}; no features.")
    y, class_names = _encode_target(frame[target], name, target)
    declared = set(check_categorical(categorical) or [])
    unknown = declared - set(features.columns)
    if unknown:
        raise ValueError(
            f"categorical columns {sorted(unknown)} are not in dataset {name!r}; "
            f"its feature columns are {list(features.columns)}."
        )
    columns, matrix = [], []
    for col_name in features.columns:
        column, values = _encode_column(
            features[col_name],
            str(col_name),
            declared=col_name in declared,
            categories=(categories or {}).get(col_name),
            integer=col_name in set(integer or []),
        )
        columns.append(column)
        matrix.append(values)
    X = np.column_stack(matrix).astype(np.float64)
    _check_finite(X, columns, name, impute)
    return Dataset(name, X, y, tuple(columns), class_names, impute, dict(source or {}))


def _missing_column_message(name: str, target: str, available: list) -> str:
    names = [str(c) for c in available]
    close = difflib.get_close_matches(str(target), names, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return (
        f"target column {target!r} is not in dataset {name!r}.{hint} "
        f"Set target=<column>; available columns: {names[:20]}."
    )


def _encode_target(labels: pd.Series, name: str, target: str) -> tuple[np.ndarray, tuple]:
    missing = labels.isna()
    if missing.any():
        raise ValueError(
            f"target column {target!r} of dataset {name!r} has {int(missing.sum())} missing "
            "labels; drop or label those rows first."
        )
    if is_numeric_column(labels) and labels.nunique() > 2 and (labels % 1 != 0).any():
        examples = ", ".join(f"{v:g}" for v in labels.unique()[:3])
        raise ValueError(
            f"target column {target!r} of dataset {name!r} is continuous ({labels.nunique()} "
            f"distinct numbers such as {examples}); genover needs class labels. Choose a "
            "label column with target=<column>, or bin this one into classes first."
        )
    as_text = labels.astype(str).str.strip()
    class_names, y = np.unique(as_text.to_numpy(), return_inverse=True)
    if len(class_names) < 2:
        raise ValueError(
            f"dataset {name!r} has only one class ({class_names[0]!r}) in {target!r}; "
            "imbalanced learning needs at least two classes."
        )
    return y.astype(np.int64), tuple(str(c) for c in class_names)


def _encode_column(
    series: pd.Series,
    col_name: str,
    *,
    declared: bool,
    categories: Sequence[str] | None,
    integer: bool,
) -> tuple[Column, np.ndarray]:
    _reject_dates(series, col_name)
    is_text = not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))
    if declared or categories is not None or (is_text and not _looks_numeric(series)):
        _reject_identifier(series, col_name, declared)
        return _encode_categorical(series, col_name, categories)
    if is_text:
        numeric = pd.to_numeric(series, errors="coerce")
        bad = series[numeric.isna() & series.notna()]
        if len(bad):
            examples = ", ".join(repr(v) for v in bad.unique()[:_MAX_LISTED])
            rows = ", ".join(str(i) for i in bad.index[:_MAX_LISTED])
            raise ValueError(
                f"numeric column {col_name!r} holds non-numeric values ({examples}) at rows "
                f"{rows}; clean those values, or declare the column categorical "
                f"(categorical=[{col_name}])."
            )
        series = numeric
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = values[np.isfinite(values)]
    whole = bool(finite.size) and bool(np.all(finite == np.round(finite)))
    is_int = integer or pd.api.types.is_integer_dtype(series)
    return Column(col_name, "numeric", integer=bool(is_int and whole)), values


def _reject_dates(series: pd.Series, col_name: str) -> None:
    """Dates and times are neither categories (one level per day) nor plain numbers."""
    kind = series.dtype.kind
    present = series.dropna()
    if kind not in "mM":
        text = kind == "O" or pd.api.types.is_string_dtype(series)
        if not text or present.empty or not present.astype(str).str.match(_DATE).all():
            return
    examples = ", ".join(repr(str(v)) for v in present.unique()[:2])
    raise ValueError(
        f"column {col_name!r} holds dates or times ({examples}); genover reads neither as a "
        f"category (one level per date) nor as a number. Drop it, or convert it to numbers "
        f"first, such as the day of year, weekday or days since a start date, e.g. "
        f"df[{col_name!r}] = pd.to_datetime(df[{col_name!r}]).dt.dayofyear."
    )


def _reject_identifier(series: pd.Series, col_name: str, declared: bool) -> None:
    """A categorical column with a different value in every row (an identifier) has nothing
    to learn from and a level per row."""
    present = series.dropna()
    if len(present) < _ID_ROWS or present.nunique() < len(present):
        return
    how = "declared categorical" if declared else "read as categorical (text)"
    measurements = ", or leave it out of categorical=[...] if it holds measurements"
    raise ValueError(
        f"column {col_name!r} is {how} but has a different value in each of its "
        f"{len(present)} rows, like an identifier: no category repeats, so there is nothing "
        f"to learn from it. Drop it{measurements if declared else ''}."
    )


def _looks_numeric(series: pd.Series) -> bool:
    """A text column counts as numeric when most of its present values parse as numbers."""
    present = series.dropna()
    if present.empty:
        return False
    parsed = pd.to_numeric(present, errors="coerce")
    return bool(parsed.notna().mean() >= 0.5)


def _encode_categorical(
    series: pd.Series, col_name: str, categories: Sequence[str] | None
) -> tuple[Column, np.ndarray]:
    present = series.notna()
    text = series[present].astype(str).str.strip()
    if categories is None:
        categories = sorted(text.unique())
    categories = [str(c).strip() for c in categories]
    lookup = {c: i for i, c in enumerate(categories)}
    unknown = sorted(set(text.unique()) - set(lookup))
    if unknown:
        raise ValueError(
            f"categorical column {col_name!r} holds values {unknown[:_MAX_LISTED]} that are "
            f"not among its declared categories {categories}; fix the data or the header."
        )
    codes = np.full(len(series), np.nan)
    codes[present.to_numpy()] = text.map(lookup).to_numpy(dtype=np.float64)
    return Column(col_name, "categorical", categories=tuple(categories)), codes


def _check_usable(X: np.ndarray, bad_inf: np.ndarray, columns: list[Column], name: str) -> None:
    """Reject a column without a single value (nothing to impute it from) and one whose
    values are too large to scale (its variance overflows float64)."""
    present = ~np.isnan(X) & ~bad_inf
    for j, column in enumerate(columns):
        if not present[:, j].any():
            raise ValueError(
                f"column {column.name!r} of dataset {name!r} has no values (all missing); "
                "nothing can be learned or imputed from it. Drop it from the source."
            )
        values = X[present[:, j], j]
        with np.errstate(over="ignore", invalid="ignore"):
            spread = np.std(values)
        if not column.is_categorical and not np.isfinite(spread):
            raise ValueError(
                f"numeric column {column.name!r} of dataset {name!r} holds values as large as "
                f"{np.max(np.abs(values)):.3g}, too large to scale (their variance overflows); "
                "rescale it, e.g. divide by a power of ten or take a logarithm."
            )


def is_numeric_column(values) -> bool:
    """Whether a column (a pandas series or an array) holds numbers: not text, not a pandas
    category, not bool."""
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def non_finite_counts(X: np.ndarray) -> np.ndarray:
    """Per column: how many rows hold NaN or an infinity."""
    return (~np.isfinite(X)).sum(axis=0)


def _check_finite(X: np.ndarray, columns: list[Column], name: str, impute: str | None) -> None:
    bad_inf = np.isinf(X)
    _check_usable(X, bad_inf, columns, name)
    if impute is not None:
        X[bad_inf] = np.nan
        return
    per_column = non_finite_counts(X)
    if not per_column.any():
        return
    listed = ", ".join(
        f"{columns[j].name!r} ({per_column[j]} rows{', inf' if bad_inf[:, j].any() else ''})"
        for j in np.flatnonzero(per_column)[:_MAX_LISTED]
    )
    raise ValueError(
        f"dataset {name!r} has missing or infinite feature values in {listed}. "
        "Pass impute=median (or mean / most_frequent) to impute them inside each training "
        "fold, or drop those rows from the source."
    )
