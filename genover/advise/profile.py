"""The dataset profile ``genover advise`` reads, the data overrides and the warnings it prints."""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass

import numpy as np
from omegaconf import DictConfig

from genover.data import Dataset

SMOTE_K = 5  # conf/sampler/smote.yaml's k_neighbors
CHECK_FOLDS = 5  # the default folds in conf/config.yaml
FEW_MINORITY_ROWS = 100  # at or below: "few" minority rows for the generator warning


@dataclass(frozen=True)
class Profile:
    """What the advice depends on: class counts, column types and missing values."""

    name: str
    rows: int
    features: int
    class_names: tuple[str, ...]
    class_counts: tuple[int, ...]
    categorical_share: float
    missing_share: float

    @property
    def imbalance_ratio(self) -> float:
        return max(self.class_counts) / max(min(self.class_counts), 1)

    @property
    def ratios(self) -> dict[str, float]:
        """Each class's majority-to-class ratio (1 for the majority)."""
        top = max(self.class_counts)
        return {
            n: top / max(c, 1) for n, c in zip(self.class_names, self.class_counts, strict=True)
        }

    @property
    def minority_rows(self) -> int:
        return min(self.class_counts)

    @property
    def minority_name(self) -> str:
        return self.class_names[int(np.argmin(self.class_counts))]

    @property
    def mixed_types(self) -> bool:
        return 0.0 < self.categorical_share < 1.0


@dataclass(frozen=True)
class Note:
    """A warning, with a command that addresses it where there is one."""

    kind: str
    message: str
    command: str | None = None


def profile_dataset(dataset: Dataset) -> Profile:
    """The :class:`Profile` of a loaded dataset (missing values count as NaN cells)."""
    X = dataset.X
    return Profile(
        name=dataset.name,
        rows=int(len(dataset.y)),
        features=int(X.shape[1]),
        class_names=tuple(str(c) for c in dataset.class_names),
        class_counts=tuple(int(c) for c in dataset.class_counts),
        categorical_share=float(dataset.categorical_mask.mean()) if X.shape[1] else 0.0,
        missing_share=float(np.isnan(X).mean()) if X.size else 0.0,
    )


def smallest_training_fold(count: int, folds: int) -> int:
    """Rows of a class left in the smallest training fold of a stratified k-fold."""
    return count - math.ceil(count / folds)


def data_overrides(cfg: DictConfig, profile: Profile) -> tuple[str, ...]:
    """The overrides that name the dataset (and make it runnable) in every printed command."""
    out = [f"data={cfg.data}"]
    if cfg.get("target") is not None:
        out.append(f"target={cfg.target}")
    if cfg.get("categorical"):
        out.append(f"categorical=[{','.join(str(c) for c in cfg.categorical)}]")
    impute = cfg.get("impute") or ("median" if profile.missing_share > 0 else None)
    if impute:
        out.append(f"impute={impute}")
    if int(cfg.get("seed", 0)) != 0:
        out.append(f"seed={int(cfg.seed)}")
    if profile.minority_rows < CHECK_FOLDS:
        out.append(f"folds={max(profile.minority_rows, 2)}")
    return tuple(out)


def profile_warnings(profile: Profile, base: tuple[str, ...]) -> tuple[Note, ...]:
    """Warnings about methods the data cannot support and the generator regime."""
    notes = []
    n, name = profile.minority_rows, profile.minority_name
    folds = min(CHECK_FOLDS, max(n, 2))
    left = smallest_training_fold(n, folds)
    if n < 2:
        notes.append(
            Note(
                "folds",
                f"class {name!r} has {n} row: cross-validation needs at least 2 rows of every "
                "class (folds=2), so none of the commands above can run yet. Add rows of that "
                "class, merge it into another class, or drop it from the data.",
            )
        )
    elif n < CHECK_FOLDS:
        notes.append(
            Note(
                "folds",
                f"class {name!r} has {n} rows, fewer than folds={CHECK_FOLDS}: the commands "
                f"use folds={folds}.",
            )
        )
    if 1 <= left < 2:
        notes.append(
            Note(
                "smote_k",
                f"class {name!r} has {n} rows: a training fold at folds={folds} keeps only "
                f"{left}, so SMOTE, ADASYN and the other interpolating samplers cannot run on "
                "it (they are recorded as failed); no resampling, random over-sampling and "
                "class weights still run.",
                "genover " + shlex.join((*base, "sampler=random_over", "classifier=lr")),
            )
        )
    elif left < SMOTE_K + 1 and n >= 2:
        notes.append(
            Note(
                "smote_k",
                f"class {name!r} has {n} rows: a training fold at folds={folds} keeps as few "
                f"as {left}, fewer than the {SMOTE_K + 1} rows SMOTE's k_neighbors={SMOTE_K} "
                "needs (ADASYN likewise); genover shrinks k to fit, so the synthetic rows "
                "interpolate between very few neighbours. Prefer random over-sampling or class "
                "weights.",
                "genover " + shlex.join((*base, "sampler=random_over", "classifier=lr")),
            )
        )
    if n <= FEW_MINORITY_ROWS and profile.mixed_types:
        notes.append(
            Note(
                "generators",
                f"few minority rows ({n}) and mixed column types "
                f"({profile.categorical_share:.0%} categorical): the regime in which generators "
                "are most likely to help, since SMOTE interpolates numbers only and SMOTE-NC "
                "copies the neighbours' commonest categories. Compare a conditional generator "
                "with SMOTE-NC on the same folds.",
                "genover "
                + shlex.join((*base, "sampler=cvae", "classifier=lr", "baselines=[none,smote_nc]")),
            )
        )
    if profile.missing_share > 0:
        notes.append(
            Note(
                "missing",
                f"{profile.missing_share:.1%} of the values are missing: the commands impute "
                "them inside each training fold (impute=...).",
            )
        )
    if len(profile.class_names) > 2 and profile.imbalance_ratio > 100:
        notes.append(
            Note(
                "multiclass",
                "the one-class detectors separate one majority from one minority; with "
                f"{len(profile.class_names)} classes the extreme-ratio advice uses ensembles.",
            )
        )
    return tuple(notes)
