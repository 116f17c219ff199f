"""``advise.run=true``: the candidates and a reference on the same folds, ranked by minority AP."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from omegaconf import DictConfig

from genover.advise.guidelines import REFERENCE, Advice, Recommendation, model_overrides


@dataclass(frozen=True)
class Ranked:
    """One candidate's cross-validated minority AP and its paired difference to ``none``."""

    title: str
    command: str
    ap_mean: float
    ap_std: float
    delta_vs_none: float
    wins: int
    folds: int
    error: str | None = None


RUN_SETTINGS = (
    "baselines=[]",
    "evaluation.threshold.tune=false",
    "evaluation.quality=false",
    "evaluation.plots=false",
)


def _fold_aps(payload: dict) -> tuple[np.ndarray, dict]:
    method = next(iter(payload["methods"].values()))
    if method["status"] != "ok":
        return np.array([]), method
    records = sorted(payload["folds"], key=lambda r: (r["repeat"], r["fold"]))
    return np.array([r["ap"] for r in records]), method


def rank_candidates(
    advice: Advice,
    compose: Callable[[list[str]], DictConfig],
    folds: int = 3,
    repeats: int = 1,
    candidates: Sequence[Recommendation] | None = None,
) -> list[Ranked]:
    """Run the candidates and a ``sampler=none classifier=lr`` reference on the same folds
    (``compose(overrides) -> cfg``), ranked by mean minority AP, best first."""
    from genover.experiment import run

    reference = Recommendation("none (reference)", "", (*advice.base_overrides, *REFERENCE))
    chosen = list(candidates if candidates is not None else advice.candidates())
    chosen = [c for c in chosen if model_overrides(c.overrides) != reference.overrides]
    cv = [f"folds={folds}", f"repeats={repeats}", *RUN_SETTINGS]
    per_fold: dict[str, np.ndarray] = {}
    results = []
    for rec in [reference, *chosen]:
        cfg = compose([*model_overrides(rec.overrides), *cv])
        try:
            with warnings.catch_warnings():  # sklearn warns per fold without minority rows
                warnings.filterwarnings("ignore", message="No positive class found in y_true")
                aps, method = _fold_aps(run(cfg))
            error = None if len(aps) else method.get("error", "failed")
        except ValueError as err:
            aps, error = np.array([]), f"{type(err).__name__}: {err}"
        per_fold[rec.title] = aps
        results.append((rec, aps, error))
    base = per_fold[reference.title]
    return sorted(
        (_ranked(rec, aps, base, error) for rec, aps, error in results),
        key=lambda r: -r.ap_mean if not math.isnan(r.ap_mean) else math.inf,
    )


def _ranked(rec: Recommendation, aps: np.ndarray, base: np.ndarray, error) -> Ranked:
    if not len(aps):
        nan = float("nan")
        return Ranked(rec.title, rec.command, nan, nan, nan, 0, 0, error)
    paired = len(base) == len(aps)
    return Ranked(
        rec.title,
        rec.command,
        float(aps.mean()),
        float(aps.std()),
        float((aps - base).mean()) if paired else float("nan"),
        int(np.sum(aps > base)) if paired else 0,
        len(aps),
    )


def run_folds(advice: Advice, requested: int) -> int:
    """The folds of ``advise.run``: ``advise.folds``, but never more than the printed commands
    use (``folds=`` in their data overrides), so the check runs what the advice says."""
    printed = [int(o.split("=", 1)[1]) for o in advice.base_overrides if o.startswith("folds=")]
    return min([requested, *printed])
