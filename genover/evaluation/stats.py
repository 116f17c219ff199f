"""Comparing methods across datasets (Demsar 2006): ranks, Friedman, Nemenyi, Wilcoxon-Holm."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def average_ranks(table: pd.DataFrame) -> pd.Series:
    """Mean rank of each method (columns) over datasets (rows); rank 1 is the highest score,
    ties share the average rank."""
    ranks = table.apply(
        lambda row: pd.Series(stats.rankdata(-row.to_numpy()), index=row.index), axis=1
    )
    return ranks.mean(axis=0)


def friedman(table: pd.DataFrame) -> tuple[float, float]:
    """Friedman's chi-square and p-value over complete datasets (needs >= 3 methods)."""
    if table.shape[1] < 3 or table.shape[0] < 2:
        return float("nan"), float("nan")
    if np.allclose(table.to_numpy(), table.to_numpy()[:, :1]):
        return 0.0, 1.0
    statistic, p = stats.friedmanchisquare(*[table[c].to_numpy() for c in table.columns])
    return float(statistic), float(p)


def nemenyi_cd(k: int, n: int, alpha: float = 0.05) -> float:
    """The Nemenyi critical difference of average ranks for k methods on n datasets."""
    if k < 2 or n < 1:
        return float("nan")
    q = stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
    return float(q * np.sqrt(k * (k + 1) / (6.0 * n)))


def holm(p_values: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    adjusted = np.empty_like(p)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[i]))
        adjusted[i] = running
    return adjusted.tolist()


def wilcoxon_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired scores (1.0 when all equal)."""
    diff = np.asarray(a) - np.asarray(b)
    if np.allclose(diff, 0) or len(diff) < 2:
        return 1.0
    return float(stats.wilcoxon(a, b, zero_method="zsplit").pvalue)


def win_tie_loss(a: np.ndarray, b: np.ndarray, tol: float = 1e-3) -> tuple[int, int, int]:
    diff = np.asarray(a) - np.asarray(b)
    return int(np.sum(diff > tol)), int(np.sum(np.abs(diff) <= tol)), int(np.sum(diff < -tol))


def compare_to_baseline(table: pd.DataFrame, baseline: str, tol: float = 1e-3) -> pd.DataFrame:
    """Wins/ties/losses and Wilcoxon p-values (raw and Holm) of each method vs ``baseline``."""
    others = [c for c in table.columns if c != baseline]
    rows = []
    for method in others:
        w, t, loss = win_tie_loss(table[method], table[baseline], tol)
        rows.append(
            {
                "method": method,
                "wins": w,
                "ties": t,
                "losses": loss,
                "mean_diff": float((table[method] - table[baseline]).mean()),
                "p": wilcoxon_p(table[method], table[baseline]),
            }
        )
    frame = pd.DataFrame(rows, columns=["method", "wins", "ties", "losses", "mean_diff", "p"])
    frame["p_holm"] = holm(frame["p"].tolist()) if len(frame) else []
    return frame


def bootstrap_mean_ci(
    values: np.ndarray, level: float = 0.95, n_resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (e.g. paired differences, one
    per dataset); NaNs with fewer than two values."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float("nan"), float("nan")
    if np.allclose(values, values[0]):
        return float(values[0]), float(values[0])
    result = stats.bootstrap(
        (values,),
        np.mean,
        confidence_level=level,
        n_resamples=n_resamples,
        method="percentile",
        random_state=np.random.default_rng(seed),
    )
    interval = result.confidence_interval
    return float(interval.low), float(interval.high)
