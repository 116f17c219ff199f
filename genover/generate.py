"""``genover-generate``: fit a sampler on a dataset and write the augmented table.

The output keeps the original column names, dtypes and category labels, adds an
``is_synthetic`` column, and is written atomically (a temporary file, then a rename) as
Parquet, CSV or ``.npz`` by its extension. A JSON manifest beside it records the config,
seed, genover version, input SHA-256, class counts and training time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from genover.atomic import atomic_write, atomic_write_text
from genover.data import Dataset, read_table
from genover.data.keel import resolve_keel_name
from genover.experiment import build, load_configured_dataset

log = logging.getLogger(__name__)
FORMATS = (".parquet", ".csv", ".npz")


def output_paths(out: str, overwrite: bool) -> tuple[Path, Path]:
    """The table and manifest paths; refuses to replace existing files unless ``overwrite``."""
    if not out or out == "???":
        raise ValueError("say where to write: out=<path>.parquet (or .csv / .npz).")
    path = Path(out).expanduser()
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"out={out!r} has no supported extension; use one of {FORMATS}.")
    manifest = path.with_name(path.name + ".manifest.json")
    for existing in (path, manifest):
        if existing.exists() and not overwrite:
            raise ValueError(f"{existing} exists; refusing to overwrite it. Pass overwrite=true.")
    if path.exists() and path.is_dir():
        raise ValueError(f"out={out!r} is a directory; give a file name.")
    return path, manifest


def source_frame(cfg: DictConfig, dataset: Dataset) -> tuple[pd.DataFrame, pd.Series]:
    """Features and labels as the user knows them: the file's own frame for ``file:`` specs,
    the restored schema (categories, integers, class names) otherwise."""
    if dataset.source.get("kind") == "file":
        frame = read_table(str(cfg.data).split(":", 1)[1])
        target = str(cfg.target)
        features, labels = frame.drop(columns=[target]), frame[target]
    else:
        frame = dataset.to_frame()
        features, labels = frame.drop(columns=["class"]), frame["class"].astype(str)
        labels.name = "class"
    return features, labels


def impute_frame(frame: pd.DataFrame, strategy: str) -> pd.DataFrame:
    """Fill missing numeric values by ``strategy`` and missing categories by their mode."""
    frame = frame.copy()
    for name in frame.columns:
        column = frame[name]
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
    return {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "of": str(path)}


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
    path, manifest_path = output_paths(str(cfg.out), bool(cfg.overwrite))
    dataset = load_configured_dataset(cfg)
    features, labels = source_frame(cfg, dataset)
    sampler = build(cfg.sampler)
    amount_note = exact_counts(sampler, bool(cfg.get("amount_selection", False)))
    if "categorical_features" in sampler.get_params(deep=False) and cfg.get("categorical"):
        declared = set(cfg.categorical)
        sampler.set_params(
            categorical_features=[
                c for c in features.columns if c in declared or not _numeric(features[c])
            ]
        )
    # The sampler learns from imputed rows; the original rows are written back untouched.
    fitted = impute_frame(features, dataset.impute) if dataset.impute else features
    start = time.perf_counter()
    X_res, y_res = sampler.fit_resample(fitted, labels)
    seconds = time.perf_counter() - start
    before, after = _counts(labels), _counts(pd.Series(np.asarray(y_res)))
    log.info("class counts before: %s; after: %s", before, after)
    synthetic = X_res.iloc[len(features) :] if isinstance(X_res, pd.DataFrame) else None
    if synthetic is None:
        synthetic = pd.DataFrame(np.asarray(X_res)[len(features) :], columns=features.columns)
    table = pd.concat([features, synthetic], ignore_index=True)
    table[labels.name] = np.asarray(y_res)
    table["is_synthetic"] = np.arange(len(table)) >= len(features)
    if cfg.synthetic_only:
        table = table[table["is_synthetic"]].reset_index(drop=True)
    write_table(table, path)
    manifest = {
        "output": str(path),
        "rows_written": int(len(table)),
        "synthetic_only": bool(cfg.synthetic_only),
        "config": OmegaConf.to_container(cfg, resolve=True),
        "seed": int(cfg.seed),
        "genover_version": _version(),
        "input": input_sha256(cfg, dataset),
        "imputed_for_fitting": dataset.impute,
        "class_counts_before": before,
        "class_counts_after": after,
        "amount": amount_note,
        "sampler_outcome": getattr(sampler, "outcome_", None),
        "training_seconds": round(seconds, 3),
    }
    atomic_write_text(manifest_path, json.dumps(manifest, indent=2, default=str) + "\n")
    log.info("wrote %d rows to %s (manifest %s)", len(table), path, manifest_path.name)
    return manifest


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


def _numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _counts(labels: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in labels.astype(str).value_counts().sort_index().items()}


def _version() -> str:
    from genover import __version__

    return __version__
