"""``genover-generate``: fit a sampler on a dataset and write the augmented table.

Every output row is mapped to its origin (:func:`row_origins`): the real rows are the input
table's own rows, exactly as read, and rows that a cleaning or under-sampler removed are
dropped and counted; the rest are new and flagged ``is_synthetic``. The output keeps the
original column names, dtypes and category labels, and is written atomically (a temporary
file, then a rename) as Parquet, CSV or ``.npz`` by its extension. A JSON manifest beside it
records the config, seed, genover version, input SHA-256, class and row counts, column types
and training time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from genover.atomic import atomic_write, atomic_write_text
from genover.data import Dataset, file_sha256, read_table
from genover.data.frame import check_categorical, is_numeric_column
from genover.data.keel import resolve_keel_name
from genover.experiment import build, load_configured_dataset
from genover.samplers.auto import AutoSampler

log = logging.getLogger(__name__)
FORMATS = (".parquet", ".csv", ".npz")
SYNTHETIC_FLAG = "is_synthetic"


def output_paths(out: str, overwrite: bool, data: str = "") -> tuple[Path, Path]:
    """The table and manifest paths; refuses to replace existing files unless ``overwrite``,
    and the input file of ``data=file:<path>`` always."""
    if not out or out == "???":
        raise ValueError("say where to write: out=<path>.parquet (or .csv / .npz).")
    path = Path(out).expanduser()
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"out={out!r} has no supported extension; use one of {FORMATS}.")
    manifest = path.with_name(path.name + ".manifest.json")
    scheme, _, source = str(data).partition(":")
    if scheme == "file" and Path(source).expanduser().resolve() in (
        path.resolve(),
        manifest.resolve(),
    ):
        other = path.with_stem(path.stem + "_augmented")
        raise ValueError(
            f"out={out!r} is the input file data={data}; refusing to replace the source even "
            f"with overwrite=true. Write elsewhere, e.g. out={other}."
        )
    if path.is_dir():  # before overwrite=true is suggested: it cannot replace a folder
        raise ValueError(
            f"out={out!r} is a directory; give a file name, e.g. out={path / 'aug'}{path.suffix}."
        )
    for existing in (path, manifest):
        if existing.exists() and not overwrite:
            raise ValueError(f"{existing} exists; refusing to overwrite it. Pass overwrite=true.")
    _check_writable(path, f"out={out!r}")
    return path, manifest


def _check_writable(path: Path, option: str) -> None:
    """Refuse, before any fit, a path whose nearest existing folder cannot take it."""
    folder = next(p for p in path.parents if p.exists())
    if not folder.is_dir():
        raise ValueError(f"{option}: {folder} is a file, not a folder; choose another location.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"{option}: the folder {folder} is not writable; choose another location.")


def source_frame(cfg: DictConfig, dataset: Dataset) -> tuple[pd.DataFrame, pd.Series]:
    """Features and labels as the user knows them: the file's own frame for ``file:`` specs,
    the restored schema (categories, integers, class names) otherwise."""
    if dataset.source.get("kind") == "file":
        declared = check_categorical(cfg.get("categorical"))
        frame = read_table(str(cfg.data).split(":", 1)[1], text_columns=declared)
        target = str(cfg.target)
        features, labels = frame.drop(columns=[target]), frame[target]
        labels.attrs["position"] = frame.columns.get_loc(target)  # written back in place
    else:
        frame = dataset.to_frame()
        features, labels = frame.drop(columns=["class"]), frame["class"].astype(str)
        labels.name = "class"
    reserved = [str(c) for c in (*features.columns, labels.name) if str(c) == SYNTHETIC_FLAG]
    if reserved:
        raise ValueError(
            f"data={cfg.data} has a column named {SYNTHETIC_FLAG!r}, the name of the flag "
            "genover-generate adds to every output row; rename that column in the input."
        )
    return features, labels


def impute_frame(frame: pd.DataFrame, strategy: str) -> pd.DataFrame:
    """Fill missing (and, as ``genover`` does, infinite) numeric values by ``strategy`` and
    missing categories by their mode."""
    frame = frame.copy()
    for name in frame.columns:
        column = frame[name]
        if is_numeric_column(column):
            column = column.replace([np.inf, -np.inf], np.nan)
        if not column.isna().any():
            continue
        numeric = pd.api.types.is_numeric_dtype(column) and strategy != "most_frequent"
        fill = (
            getattr(column, "median" if strategy == "median" else "mean")()
            if numeric
            else (column.mode().iloc[0])
        )
        frame[name] = column.fillna(fill)
    return frame


def input_sha256(cfg: DictConfig, dataset: Dataset) -> dict:
    """SHA-256 of the input file (the user's file or the KEEL .dat), else of the data."""
    kind = dataset.source.get("kind")
    if kind == "file":
        path = Path(dataset.source["path"])
    elif kind == "keel":
        path = resolve_keel_name(str(cfg.data).split(":", 1)[1])
    else:
        digest = hashlib.sha256(dataset.X.tobytes() + dataset.y.tobytes()).hexdigest()
        return {"sha256": digest, "of": f"the loaded arrays of {dataset.name}"}
    return {"sha256": file_sha256(path), "of": str(path)}


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` by extension (Parquet, CSV or ``.npz``) atomically."""
    suffix = path.suffix.lower()

    def write(tmp: str) -> None:
        if suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        elif suffix == ".csv":
            frame.to_csv(tmp, index=False)
        else:
            with open(tmp, "wb") as handle:
                np.savez(handle, **_npz_arrays(frame))

    atomic_write(path, write)


def _npz_arrays(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """One array per column (categories as text), loadable without pickle."""
    arrays = {"__columns__": np.array([str(c) for c in frame.columns])}
    for name in frame.columns:
        column = frame[name]
        numeric = pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)
        arrays[str(name)] = column.to_numpy() if numeric else column.astype(str).to_numpy(str)
    return arrays


def generate(cfg: DictConfig) -> dict:
    """Fit ``cfg.sampler`` on ``cfg.data`` and write the augmented table; return the manifest."""
    path, manifest_path = output_paths(str(cfg.out), bool(cfg.overwrite), str(cfg.data))
    dataset = load_configured_dataset(cfg)
    features, labels = source_frame(cfg, dataset)
    sampler = build(cfg.sampler)
    check_sampling_strategy(sampler, labels)
    amount_note = exact_counts(sampler, bool(cfg.get("amount_selection", False)))
    if sampler.get_params(deep=False).get("estimator") == "downstream":
        # sampler=auto scores with the run's classifier; generating has none (the manifest's
        # sampler_outcome records auto_estimator)
        log.info(
            "sampler=auto: no run classifier here; its candidates are scored by a logistic "
            "regression (set sampler.estimator to choose another)."
        )
        sampler.set_params(estimator=None)
    declared = set(check_categorical(cfg.get("categorical")) or [])
    categorical = [
        c for c in features.columns if c in declared or not is_numeric_column(features[c])
    ]
    if "categorical_features" in sampler.get_params(deep=False) and categorical:
        sampler.set_params(categorical_features=categorical)
    _check_mixed(sampler, list(features.columns), categorical)
    if isinstance(sampler, AutoSampler) and sampler.transformer is None and categorical:
        sampler.set_params(transformer=_one_hot_and_scale(categorical))
        log.info(
            "sampler=auto: its candidates work on the category codes of %s and are scored "
            "behind a one-hot encoding of them and a standard scaling of the other columns "
            "(set sampler.transformer to choose another).",
            categorical,
        )
    # The sampler learns from imputed rows; the original rows are written back untouched.
    fitted = impute_frame(features, dataset.impute) if dataset.impute else features
    # bool columns as 0/1 numbers: a numeric-only sampler's interpolated 0.3 then shows as an
    # invented value (cast back to bool it silently became True)
    fitted = fitted.astype(
        {c: float for c in fitted.columns if pd.api.types.is_bool_dtype(fitted[c])}
    )
    start = time.perf_counter()
    X_res, y_res = _fit_resample(sampler, fitted, labels, categorical)
    seconds = time.perf_counter() - start
    origin = row_origins(sampler, fitted, labels, X_res, y_res)
    table, rows = augmented_table(features, labels, X_res, y_res, origin)
    before, after = _counts(labels), _counts(table[labels.name])
    log.info("class counts before: %s; after: %s", before, after)
    if rows["removed"]:
        log.info("the sampler removed %d real rows: %s", rows["removed"], rows["removed_per_class"])
    if cfg.synthetic_only:
        table = table[table[SYNTHETIC_FLAG]].reset_index(drop=True)
    write_table(table, path)
    manifest = {
        "output": str(path),
        "rows_written": int(len(table)),
        "rows": rows,
        "synthetic_only": bool(cfg.synthetic_only),
        "columns": {str(c): str(t) for c, t in table.dtypes.items()},
        "config": OmegaConf.to_container(cfg, resolve=True),
        "seed": int(cfg.seed),
        "genover_version": _version(),
        "input": input_sha256(cfg, dataset),
        "imputed_for_fitting": dataset.impute,
        "class_counts_before": before,
        "class_counts_after": after,
        "amount": amount_note,
        "sampler_outcome": getattr(sampler, "outcome_", None),
        **_auto_candidates(sampler),
        "training_seconds": round(seconds, 3),
    }
    atomic_write_text(manifest_path, json.dumps(manifest, indent=2, default=str) + "\n")
    log.info("wrote %d rows to %s (manifest %s)", len(table), path, manifest_path.name)
    return manifest


def _auto_candidates(sampler) -> dict:
    """For ``sampler=auto``: the candidates it considered, left out (and why), saw fail,
    and chose, as the manifest's ``auto`` entry; {} for other samplers."""
    if not isinstance(sampler, AutoSampler):
        return {}
    return {
        "auto": {
            "considered": sampler.considered_,
            "left_out": sampler.left_out_,
            "failed": sampler.failed_,
            "chosen": sampler.choice_,
        }
    }


def _check_mixed(sampler, columns: list, categorical: list) -> None:
    """SMOTE-NC needs category columns (and imbalanced-learn's error names none)."""
    from imblearn.over_sampling import SMOTENC

    if isinstance(sampler, SMOTENC) and not categorical:
        raise ValueError(
            f"{type(sampler).__name__} needs at least one category column and all of "
            f"{[str(c) for c in columns]} are numeric. Use sampler=smote, or declare the "
            "category columns with categorical=[...]."
        )


def check_sampling_strategy(sampler, labels: pd.Series) -> None:
    """imbalanced-learn's own check of ``sampling_strategy`` against the labels, before the
    fit, with the option named (its message names neither)."""
    from imblearn.utils import check_sampling_strategy as imblearn_check

    strategy = sampler.get_params(deep=False).get("sampling_strategy")
    kind = getattr(sampler, "_sampling_type", None)
    if strategy is None or kind is None or callable(strategy):
        return
    try:
        imblearn_check(strategy, labels.to_numpy(), kind)
    except ValueError as err:
        raise ValueError(
            f"sampler.sampling_strategy={strategy!r}: {err} (class counts: {_counts(labels)})"
        ) from err


def _one_hot_and_scale(categorical: list):
    """What ``sampler=auto`` puts between a candidate and its logistic regression when the
    table has category columns (text ones included): sklearn's one-hot encoding of those
    and standard scaling of the rest."""
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    return make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), list(categorical)),
        remainder=StandardScaler(),
    )


def _fit_resample(sampler, X: pd.DataFrame, y: pd.Series, categorical: list):
    """``sampler.fit_resample``, with a clear error when a numeric-only sampler meets
    categorical columns (it fails on text, or interpolates numeric-looking codes)."""
    advice = (
        f"{type(sampler).__name__} works on numeric columns only, and {categorical} are "
        "categorical. Use a sampler that handles categories (sampler=smote_nc, cvae, ddpm, "
        "bagan, vaegan or arae), or drop those columns"
    )
    if not categorical or "categorical_features" in sampler.get_params(deep=False):
        return sampler.fit_resample(X, y)
    try:
        X_res, y_res = sampler.fit_resample(X, y)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{advice} ({err}).") from err
    out = X_res if isinstance(X_res, pd.DataFrame) else pd.DataFrame(np.asarray(X_res))
    for j, name in enumerate(X.columns):
        if name not in categorical:
            continue
        known = set(X.iloc[:, j].dropna().astype(str))
        made = out.iloc[:, j].dropna().astype(str)
        invented = made[~made.isin(known)]
        if len(invented):
            raise ValueError(f"{advice}: it made {name!r} values such as {invented.iloc[0]!r}.")
    return X_res, y_res


def row_origins(sampler, X: pd.DataFrame, y: pd.Series, X_res, y_res) -> np.ndarray:
    """For every output row, the input row it is (its position in ``X``), or -1 for a new row.

    A sampler's ``sample_indices_`` says it directly (its repeats are new rows: copies);
    otherwise each output row is matched to an unused input row with the same values and
    label (hashes of the values as the sampler saw them). Samplers that remove rows (Tomek
    links, under-sampling) and ones that reorder them are both handled; unmatched input rows
    were removed.
    """
    indices = getattr(sampler, "sample_indices_", None)
    if indices is not None and len(indices) == len(y_res):
        indices = np.asarray(indices, dtype=np.int64)
        return np.where(pd.Series(indices).duplicated().to_numpy(), -1, indices)
    keys_in = _row_keys(X, y, X)
    keys_out = _row_keys(X_res, y_res, X)
    rank_in = pd.Series(keys_in).groupby(keys_in).cumcount().to_numpy()
    rank_out = pd.Series(keys_out).groupby(keys_out).cumcount().to_numpy()
    lookup = pd.Series(np.arange(len(keys_in)), index=pd.MultiIndex.from_arrays([keys_in, rank_in]))
    found = lookup.reindex(pd.MultiIndex.from_arrays([keys_out, rank_out]))
    return found.fillna(-1).to_numpy(dtype=np.int64)


def _row_keys(X, y, like: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash per row of its values (numbers as float64, everything else as text) and
    its label, so that the same row hashes alike before and after resampling."""
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X), columns=like.columns)
    data = {}
    for j in range(len(like.columns)):
        column = frame.iloc[:, j].reset_index(drop=True)
        if is_numeric_column(like.iloc[:, j]):
            data[j] = pd.to_numeric(column, errors="coerce").astype(np.float64)
        else:
            data[j] = column.astype(object).astype(str)
    data["label"] = pd.Series(np.asarray(y)).astype(object).astype(str)
    return pd.util.hash_pandas_object(pd.DataFrame(data), index=False).to_numpy()


def augmented_table(
    features: pd.DataFrame, labels: pd.Series, X_res, y_res, origin: np.ndarray
) -> tuple[pd.DataFrame, dict]:
    """The real rows that the sampler kept, exactly as read (values, labels, dtypes), in input
    order, then the new rows (``is_synthetic=True``); and the row counts for the manifest."""
    kept = np.sort(origin[origin >= 0])
    real = features.iloc[kept].reset_index(drop=True)
    real[labels.name] = labels.iloc[kept].reset_index(drop=True)
    new = origin < 0
    out = X_res if isinstance(X_res, pd.DataFrame) else pd.DataFrame(np.asarray(X_res))
    synthetic = out.iloc[np.flatnonzero(new)].reset_index(drop=True)
    synthetic.columns = features.columns
    synthetic = _like(synthetic, features)
    synthetic[labels.name] = pd.Series(np.asarray(y_res)[new]).astype(labels.dtype).array
    table = pd.concat([real, synthetic], ignore_index=True) if len(synthetic) else real
    columns = list(features.columns)
    columns.insert(labels.attrs.get("position", len(columns)), labels.name)
    table = table[columns]  # the input's column order, the label where it was
    table[SYNTHETIC_FLAG] = np.arange(len(table)) >= len(real)
    removed = np.setdiff1d(np.arange(len(features)), kept)
    rows = {
        "real": int(len(real)),
        "synthetic": int(new.sum()),
        "removed": int(len(removed)),
        "removed_per_class": _counts(labels.iloc[removed]) if len(removed) else {},
    }
    return table, rows


def _like(frame: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """New rows in the reference's dtypes where their values fit (categories, whole numbers,
    text), so that real and new rows share one column type; otherwise as they are."""
    frame = frame.copy()
    for name in reference.columns:
        dtype, column = reference[name].dtype, frame[name]
        try:
            if isinstance(dtype, pd.CategoricalDtype):
                if column.dropna().isin(dtype.categories).all():
                    frame[name] = pd.Categorical(column, dtype=dtype)
            elif pd.api.types.is_integer_dtype(dtype):
                values = pd.to_numeric(column)
                if (values == np.round(values)).all():
                    frame[name] = values.astype(dtype)
            elif column.dtype != dtype:
                frame[name] = column.astype(dtype)
        except (TypeError, ValueError):
            continue
    return frame


def exact_counts(sampler, amount_selection: bool) -> str:
    """Make an amount-selecting sampler generate exactly what ``sampling_strategy`` asks
    for, unless the user opted in with ``amount_selection=true``; say which applies."""
    if "amount_grid" not in sampler.get_params(deep=False):
        return "exact: sampling_strategy"
    if sampler.amount_grid is None:
        return "exact: sampling_strategy (no amount grid)"
    if amount_selection:
        log.info("amount_selection=true: the amount is chosen from %s", list(sampler.amount_grid))
        return f"selected from the grid {list(sampler.amount_grid)} (amount_selection=true)"
    sampler.set_params(amount_grid=None)
    return "exact: sampling_strategy (the config's amount grid is ignored; amount_selection=false)"


def _counts(labels: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in labels.astype(str).value_counts().sort_index().items()}


def _version() -> str:
    from genover import __version__

    return __version__
