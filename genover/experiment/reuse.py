"""Fold results shared by the jobs of one sweep, so that no fold is fitted twice.

A scarcity sweep runs every sampler at several ``minority_cap`` values. A cap at or above a
training fold's minority rows keeps every row, so that fold's fit is the same at that cap,
at every larger cap and with all rows. Each fold's results (every classifier's scores and
outcomes, the curve points and the synthetic rows' quality) are therefore stored under a
key made of what they depend on, and a job that meets the key again reads them instead of
fitting:

- the job's config less ``minority_cap`` (whose only effect is which rows a fold keeps) and
  less the settings that change how a job runs, not what it computes (``resume``,
  ``threads``, ``n_jobs``, ``reuse``: the keys :func:`config_hash` leaves out);
- the data's content, the method and its classifiers;
- the fold's index (its seed), its kept training rows and its test rows.

The store is a folder in the sweep directory, written atomically (one file per key, renamed
into place). Two jobs that reach the same key at once both compute it, and the last rename
stays: nobody waits, and both files hold the same numbers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from genover.atomic import atomic_write
from genover.data import Dataset
from genover.evaluation.rundir import config_hash

log = logging.getLogger(__name__)

CACHE_FOLDER = ".fold_cache"  # in the sweep directory


def without_cap(cfg: DictConfig) -> DictConfig:
    """``cfg`` with ``minority_cap=null`` (all rows), the rest unchanged."""
    out = OmegaConf.to_container(cfg, resolve=True)
    if "minority_cap" in out:
        out["minority_cap"] = None
    return OmegaConf.create(out)


def fold_config_hash(cfg: DictConfig) -> str:
    """SHA-256 of what a fold's results depend on in ``cfg``: the config less ``minority_cap``
    (which acts only through the kept rows, keyed on their own) and the runtime keys."""
    resolved = OmegaConf.to_container(cfg, resolve=True)
    resolved.pop("minority_cap", None)
    return config_hash(OmegaConf.create(resolved))


def dataset_digest(dataset: Dataset) -> str:
    """SHA-256 of a dataset's content: values, labels, column schema and class names."""
    schema = json.dumps(
        [repr(dataset.columns), list(dataset.class_names), dataset.impute], default=str
    )
    return _digest(
        np.ascontiguousarray(dataset.X).tobytes(),
        np.ascontiguousarray(dataset.y).tobytes(),
        schema.encode(),
    )


def _digest(*parts: bytes) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(hashlib.sha256(part).digest())
    return sha.hexdigest()


def rows_digest(rows: np.ndarray) -> str:
    """SHA-256 of a fold's row indices (in order)."""
    return _digest(np.asarray(rows, dtype=np.int64).tobytes())


@dataclass(frozen=True)
class FoldCache:
    """The sweep's store of fold results (``root``), seen from one job: ``job`` names it
    (its directory in the sweep) in what it stores, ``label`` says which cap it ran."""

    root: Path
    job: str
    label: str

    def key(self, cfg: DictConfig, data: str, method, index: int, train, test) -> str:
        """The key of fold ``index`` of ``method`` (``data``: :func:`dataset_digest`)."""
        parts = {
            "config": fold_config_hash(cfg),
            "data": data,
            "method": method.name,
            "sampler": method.sampler,
            "index": int(index),
            "train": rows_digest(train),
            "test": rows_digest(test),
        }
        return _digest(json.dumps(parts, sort_keys=True, default=str).encode())

    def path(self, key: str) -> Path:
        """Where the entry of ``key`` lives."""
        return self.root / key[:2] / f"{key}.pkl"

    def load(self, key: str) -> tuple[Any, dict] | None:
        """The stored (fold results, source) of ``key``, or None when not stored (or the file
        is unreadable: the fold is then computed again)."""
        path = self.path(key)
        if not path.exists():
            return None
        try:
            with path.open("rb") as handle:
                entry = pickle.load(handle)  # noqa: S301  (written by this sweep's own jobs)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError) as err:
            log.warning("fold cache %s unreadable (%s); computing the fold again", path, err)
            return None
        return entry["fold"], entry["source"]

    def store(self, key: str, fold: Any) -> None:
        """Store ``fold`` under ``key``, naming this job as its source."""
        entry = {"fold": fold, "source": {"job": self.job, "label": self.label}}

        def write(tmp: str) -> None:
            with open(tmp, "wb") as handle:
                pickle.dump(entry, handle, protocol=pickle.HIGHEST_PROTOCOL)

        atomic_write(self.path(key), write)

    def fold(self, key: str, compute: Callable[[], Any]) -> tuple[Any, dict | None]:
        """(fold results, their source job or None when computed here): read from the store
        when another job already computed ``key``, else ``compute()`` and store them."""
        found = self.load(key)
        if found is not None:  # this job's own entry (a resumed job) is no reuse
            fold, source = found
            return fold, (None if source.get("job") == self.job else source)
        fold = compute()
        self.store(key, fold)
        return fold, None


def cap_label(cfg: DictConfig) -> str:
    """How a job's cap is named in what it records: ``minority_cap=20`` or ``=null``."""
    cap = cfg.get("minority_cap")
    return f"minority_cap={'null' if cap is None else int(cap)}"


def sweep_cache(cfg: DictConfig, output_dir: Path, subdir: str) -> FoldCache | None:
    """The fold store of the sweep that writes this job to ``output_dir``, its ``subdir``
    (``hydra.sweep.subdir``) in the sweep directory; None when ``reuse=false``."""
    if not cfg.get("reuse", True):
        return None
    depth = len(Path(subdir).parts)
    sweep_dir = Path(output_dir).parents[depth - 1] if depth else Path(output_dir)
    return FoldCache(sweep_dir / CACHE_FOLDER, Path(subdir).as_posix(), cap_label(cfg))


def cap_keeps_every_row(capped: list, uncapped: list) -> bool:
    """Whether every capped training fold holds the same rows as the uncapped one."""
    return all(
        len(a[0]) == len(b[0]) and np.array_equal(a[0], b[0])
        for a, b in zip(capped, uncapped, strict=True)
    )


def job_reuse(cfg: DictConfig, capped: list, uncapped: list, results: dict) -> dict:
    """metrics.json's ``reuse`` entry: how many method folds were read from which other jobs,
    and the hash of the config the job is in effect (``effective_config_hash``: with a cap
    that keeps every minority row of every training fold, that of ``minority_cap=null``,
    i.e. the all-rows job's ``config_hash``). ``capped``/``uncapped``: the job's folds with
    and without its cap; ``results``: method name -> its results (outcomes per fold)."""
    cap = cfg.get("minority_cap")
    same = cap is not None and cap_keeps_every_row(capped, uncapped)
    folds, sources = set(), {}
    for name, result in results.items():
        for outcome in result.outcomes:
            fold = (name, outcome["repeat"], outcome["fold"])
            folds.add(fold)
            if "reused_from" in outcome:
                sources[fold] = outcome["reused_from"]
    if same:
        why = (
            f"minority_cap={cap} keeps every minority row of every training fold: this job is "
            "the minority_cap=null (all rows) job, and its effective_config_hash is that job's "
            "config_hash"
        )
    elif sources and cap is None:
        why = (
            "the jobs named fitted these folds first: their caps keep every minority row of "
            "those training folds, so they are this all-rows job's folds"
        )
    elif sources:
        why = "the jobs named fitted these folds first, on the same kept training rows"
    else:
        why = "every fold was fitted here"
    return {
        "folds": len(folds),
        "folds_reused": len(sources),
        "reused_from": sorted(set(sources.values())),
        "cap_keeps_every_row": same,
        "effective_config_hash": config_hash(without_cap(cfg) if same else cfg),
        "why": why,
    }
