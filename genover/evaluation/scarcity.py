"""The minority-scarcity curve of a sweep over ``minority_cap`` (``experiment=scarcity``).

For every cap (at most N minority rows per training fold; ``None`` = all rows) it compares
each sampler with no resampling and with the best classical peer (none, ROS, ROSE, SMOTE),
with datasets as the unit of every statistic: each dataset's score is its mean over folds,
seeds and classifiers, because the classifiers of one fold share one sampler fit.

- the curve: mean minority AP per cap, one line per sampler, one panel per classifier;
- per cap: mean AP, paired differences with 95% bootstrap intervals over datasets,
  Wilcoxon signed-rank p-values over datasets (Holm-corrected), and how close the synthetic
  rows stay to the real ones;
- the crossover: the largest cap at which a generator still beats every classical peer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from genover.evaluation.stats import bootstrap_mean_ci, compare_to_baseline

# Classical peers in the comparison, by their conf/sampler names.
CLASSICAL_PEERS = ("none", "random_over", "rose", "smote")
CLOSENESS = ("closest_record_ratio", "exact_copy_share", "other_class_share")
#: The fold field of the real-row bar: the share of held-out real minority rows equal to
#: some training row of the fold (written by genover's experiment).
REAL_COPY_FIELD = "real.exact_copy_share"
ALL_ROWS = "all"


def cap_label(cap) -> str:
    """A cap as the report names it: ``10``, ``20``, ... or ``all`` (no cap)."""
    if cap is None or (isinstance(cap, float) and np.isnan(cap)):
        return ALL_ROWS
    return str(int(cap))


def cap_order(labels) -> list[str]:
    """Caps from the fewest minority rows to all rows."""
    numeric = sorted(int(c) for c in set(labels) if c != ALL_ROWS)
    return [str(c) for c in numeric] + ([ALL_ROWS] if ALL_ROWS in set(labels) else [])


def dataset_scores(folds: pd.DataFrame, metric: str = "ap") -> pd.DataFrame:
    """Mean ``metric`` per (cap, classifier, method, dataset) over folds and seeds."""
    keys = ["cap", "classifier", "method", "dataset"]
    return folds.groupby(keys, sort=False)[metric].mean().reset_index()


def complete_table(scores: pd.DataFrame, cap: str, metric: str = "ap") -> pd.DataFrame:
    """datasets x methods at ``cap``: each dataset's mean over classifiers, keeping the
    datasets on which every method has every classifier (a paired design)."""
    at = scores[scores["cap"] == cap]
    per = at.pivot_table(index=["dataset", "classifier"], columns="method", values=metric)
    per = per.dropna(axis=0, how="any")
    counts = per.groupby(level="dataset").size()
    full = counts[counts == at["classifier"].nunique()].index
    return per.loc[per.index.get_level_values("dataset").isin(full)].groupby(level="dataset").mean()


@dataclass
class CapComparison:
    """One cap's table: per method its mean, paired differences and tests over datasets."""

    cap: str
    n_datasets: int
    best_peer: str | None
    rows: pd.DataFrame
    minority_rows: float = float("nan")


@dataclass
class ScarcityCurve:
    caps: list[str]
    curve: pd.DataFrame  # cap x method x classifier mean scores (complete datasets)
    comparisons: list[CapComparison] = field(default_factory=list)
    crossover: str | None = None
    crossover_methods: list[str] = field(default_factory=list)
    generators: list[str] = field(default_factory=list)
    metric: str = "ap"
    winning_caps: list[str] = field(default_factory=list)  # every cap where one wins on mean
    significant_crossover: str | None = None  # the same, the interval vs the best peer > 0
    curve_datasets: int = 0  # the datasets behind the plotted curve (complete at every cap)
    left_out: list[str] = field(default_factory=list)  # complete at some caps, not at all


def _paired(table: pd.DataFrame, method: str, reference: str | None, seed: int) -> dict:
    if reference is None or reference == method or reference not in table:
        return {"diff": np.nan, "low": np.nan, "high": np.nan}
    diff = (table[method] - table[reference]).to_numpy()
    low, high = bootstrap_mean_ci(diff, seed=seed)
    return {"diff": float(diff.mean()), "low": low, "high": high}


def _tests(table: pd.DataFrame, reference: str | None) -> pd.Series:
    """Holm-corrected Wilcoxon p-values over datasets of every method against ``reference``."""
    if reference is None or reference not in table or table.shape[1] < 2:
        return pd.Series(dtype=float)
    versus = compare_to_baseline(table, reference)
    return versus.set_index("method")["p_holm"]


def compare_cap(
    scores: pd.DataFrame,
    cap: str,
    closeness: pd.DataFrame,
    minority_rows: float = float("nan"),
    seed: int = 0,
    metric: str = "ap",
) -> CapComparison:
    """The table of one cap (see the module docstring)."""
    table = complete_table(scores, cap, metric)
    peers = [p for p in CLASSICAL_PEERS if p in table.columns]
    best_peer = max(peers, key=lambda p: table[p].mean()) if peers else None
    reference = "none" if "none" in table.columns else None
    p_none, p_peer = _tests(table, reference), _tests(table, best_peer)
    rows = []
    for method in table.columns:
        vs_none = _paired(table, method, reference, seed)
        vs_peer = _paired(table, method, best_peer, seed)
        near = closeness.loc[(cap, method)] if (cap, method) in closeness.index else {}
        rows.append(
            {
                "cap": cap,
                "method": method,
                "mean": float(table[method].mean()),
                "vs_none": vs_none["diff"],
                "vs_none_low": vs_none["low"],
                "vs_none_high": vs_none["high"],
                "p_none_holm": float(p_none.get(method, np.nan)),
                "vs_best_peer": vs_peer["diff"],
                "vs_best_peer_low": vs_peer["low"],
                "vs_best_peer_high": vs_peer["high"],
                "p_best_peer_holm": float(p_peer.get(method, np.nan)),
                **{
                    k: float(near[k]) if k in near else np.nan
                    for k in (
                        *CLOSENESS,
                        "real_copy_share",
                        "detection_auc",
                        "synthetic_rows",
                        "share_without",
                    )
                },
            }
        )
    frame = pd.DataFrame(rows).sort_values("mean", ascending=False, ignore_index=True)
    return CapComparison(cap, len(table), best_peer, frame, minority_rows)


def generator_wins(comp: CapComparison, generators: list[str], strict: bool = False) -> list:
    """The generators whose mean beats every classical peer's at this cap; with ``strict``,
    also with the 95% interval of the difference from the best peer above zero."""
    rows = comp.rows.set_index("method")
    peers = [p for p in CLASSICAL_PEERS if p in rows.index]
    if not peers:
        return []
    bar = rows.loc[peers, "mean"].max()
    return [
        g
        for g in generators
        if g in rows.index
        and rows.loc[g, "mean"] > bar
        and (not strict or rows.loc[g, "vs_best_peer_low"] > 0)
    ]


def crossover(
    comparisons: list[CapComparison], generators: list[str], strict: bool = False
) -> tuple[str | None, list]:
    """The largest cap up to which, at every cap from the fewest minority rows on, some
    generator beats every classical peer (``strict``: with the interval against the best
    peer above zero); and the generators that do at that cap."""
    found, winners = None, []
    for comp in comparisons:
        beat = generator_wins(comp, generators, strict)
        if not beat:
            break
        found, winners = comp.cap, beat
    return found, winners


def scarcity_curve(
    folds: pd.DataFrame,
    generators: list[str],
    metric: str = "ap",
    seed: int = 0,
    quality: pd.DataFrame | None = None,
) -> ScarcityCurve | None:
    """The curve of a sweep's fold rows (columns ``cap``, ``classifier``, ``method``,
    ``dataset``, ``metric``); None when the sweep has one cap only. ``quality`` (per
    dataset, cap and method: ``two_sample_auc``, the detection AUC of real against synthetic
    minority rows) adds each method's mean detection AUC to its cap's table."""
    caps = cap_order(folds["cap"].unique())
    if len(caps) < 2:
        return None
    scores = dataset_scores(folds, metric)
    near_cols = [f"synthetic.{k}" for k in CLOSENESS if f"synthetic.{k}" in folds.columns]
    closeness = (
        folds.groupby(["cap", "method"])[near_cols].mean().rename(columns=lambda c: c[10:])
        if near_cols
        else pd.DataFrame(index=pd.MultiIndex.from_tuples([], names=["cap", "method"]))
    )
    closeness = closeness.join(generation_by_cap(folds), how="outer")
    if REAL_COPY_FIELD in folds.columns:
        real = folds.groupby(["cap", "method"])[REAL_COPY_FIELD].mean()
        closeness = closeness.join(real.rename("real_copy_share"), how="outer")
    if quality is not None and "two_sample_auc" in getattr(quality, "columns", []):
        detection = quality.groupby(["cap", "method"])["two_sample_auc"].mean()
        closeness = closeness.join(detection.rename("detection_auc"), how="outer")
    minority = (
        folds.groupby("cap")["minority_train"].mean()
        if "minority_train" in folds.columns
        else pd.Series(dtype=float)
    )
    comparisons = [
        compare_cap(scores, cap, closeness, float(minority.get(cap, np.nan)), seed, metric)
        for cap in caps
    ]
    complete = [set(complete_table(scores, c.cap, metric).index) for c in comparisons]
    common = set.intersection(*complete) if complete else set()
    # the same datasets at every cap: a dataset missing at one cap would move the line
    at = scores[scores["dataset"].isin(common)]
    curve = at.groupby(["cap", "method", "classifier"], sort=False)[metric].mean().reset_index()
    present = [g for g in generators if g in folds["method"].unique()]
    cross, winners = crossover(comparisons, present)
    return ScarcityCurve(
        caps,
        curve,
        comparisons,
        cross,
        winners,
        present,
        metric,
        winning_caps=[c.cap for c in comparisons if generator_wins(c, present)],
        significant_crossover=crossover(comparisons, present, strict=True)[0],
        curve_datasets=len(common),
        left_out=sorted(set.union(*complete) - common) if complete else [],
    )


def generation_by_cap(folds: pd.DataFrame) -> pd.DataFrame:
    """Per (cap, method): mean synthetic rows per fold and the share of folds without any,
    each fold counted once (its classifiers share the sampler fit)."""
    if "synthetic_rows" not in folds.columns:
        empty = pd.MultiIndex.from_tuples([], names=["cap", "method"])
        return pd.DataFrame(columns=["synthetic_rows", "share_without"], index=empty)
    keys = [k for k in ("cap", "method", "dataset", "seed", "repeat", "fold") if k in folds]
    once = folds.drop_duplicates(subset=keys).dropna(subset=["synthetic_rows"])
    grouped = once.groupby(["cap", "method"])["synthetic_rows"]
    return pd.DataFrame(
        {"synthetic_rows": grouped.mean(), "share_without": grouped.agg(lambda r: (r == 0).mean())}
    )


def _ci(row, key: str) -> str:
    if np.isnan(row[key]):
        return "–"
    if np.isnan(row[key + "_low"]):
        return f"{row[key]:+.4f}"
    return f"{row[key]:+.4f} [{row[key + '_low']:+.4f}, {row[key + '_high']:+.4f}]"


def _curve_note(curve: ScarcityCurve) -> str:
    """Which datasets the curve and the tables use (complete: every method finished)."""
    left = f" Left out of the curve: {', '.join(curve.left_out)}." if curve.left_out else ""
    if not curve.curve_datasets:
        return (
            "No dataset has every method finished at every cap, so no curve is drawn; each "
            f"cap's table uses the datasets complete at that cap.{left}"
        )
    return (
        f"The curve uses the {curve.curve_datasets} datasets on which every method finished "
        f"at every cap; each cap's table uses those complete at that cap.{left}"
    )


def render_scarcity(curve: ScarcityCurve, png: str | None) -> list[str]:
    """The report's "Scarcity curve" section as markdown lines."""
    metric = curve.metric.upper()
    lines = [
        "",
        "## Scarcity curve",
        "",
        f"Minority {metric} per cap on minority rows per training fold. A dataset's score is "
        "its mean over folds, seeds and classifiers (the classifiers of a fold share one "
        "sampler fit), so every test and interval counts datasets. Intervals: 95% bootstrap "
        "over datasets; p: Wilcoxon signed-rank over datasets, Holm-corrected over the methods "
        "within each cap (not across caps). "
        "Closeness (synthetic rows, model space): closest-record ratio (1 = as far as real "
        "rows lie apart, 0 = copies), exact-copy share, share whose nearest real row is of "
        "another class; detection AUC: a cross-validated logistic regression telling real from "
        "synthetic minority rows (0.5 = indistinguishable).",
        "",
    ]
    if png:
        lines += [f"![scarcity curve]({png})", ""]
    generators = ", ".join(curve.generators) or "none in the sweep"
    if curve.crossover is None:
        lines.append(
            f"**Crossover:** at the fewest minority rows no generator ({generators}) beats "
            f"every classical peer (none, ROS, ROSE, SMOTE) on mean {metric}."
        )
    else:
        lines.append(
            f"**Crossover:** from the fewest minority rows up to cap **{curve.crossover}**, a "
            f"generator beats every classical peer on mean {metric} at every cap "
            f"({', '.join(curve.crossover_methods)} at {curve.crossover}); with the 95% "
            "interval against the best peer above zero: "
            f"{curve.significant_crossover or 'at no cap'}."
        )
    lines.append(
        "Caps where a generator beats every classical peer on the mean: "
        f"{', '.join(curve.winning_caps) or 'none'}. {_curve_note(curve)} A dataset whose "
        "training folds hold fewer minority rows than a cap is the same at that cap and above."
    )
    for comp in curve.comparisons:
        rows_text = (
            ""
            if np.isnan(comp.minority_rows)
            else (f", {comp.minority_rows:.1f} minority rows per training fold on average")
        )
        lines += [
            "",
            f"### cap {comp.cap} ({comp.n_datasets} datasets{rows_text}; best classical "
            f"peer: {comp.best_peer or '–'})",
            "",
            f"| method | mean {metric} | vs none [95% CI] | p (Holm) | vs best peer [95% CI] "
            "| p (Holm) | synthetic rows/fold | folds without | closest-record ratio "
            "| exact copies | held-out real rows seen in training | nearest real row of another "
            "class | detection AUC |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for _, r in comp.rows.iterrows():

            def num(v, fmt):
                return "–" if np.isnan(v) else format(v, fmt)

            lines.append(
                f"| {r['method']} | {r['mean']:.4f} | {_ci(r, 'vs_none')} | "
                f"{num(r['p_none_holm'], '.3g')} | {_ci(r, 'vs_best_peer')} | "
                f"{num(r['p_best_peer_holm'], '.3g')} | {num(r['synthetic_rows'], '.0f')} | "
                f"{num(r['share_without'], '.0%')} | {num(r['closest_record_ratio'], '.2f')} | "
                f"{num(r['exact_copy_share'], '.1%')} | {num(r['real_copy_share'], '.1%')} | "
                f"{num(r['other_class_share'], '.1%')} | "
                f"{num(r['detection_auc'], '.2f')} |"
            )
    return lines


def comparisons_frame(curve: ScarcityCurve) -> pd.DataFrame:
    """Every cap's table in one frame (``scarcity.csv``)."""
    return pd.concat(
        [c.rows.assign(n_datasets=c.n_datasets, best_peer=c.best_peer) for c in curve.comparisons],
        ignore_index=True,
    )


def plot_scarcity_curve(curve: ScarcityCurve, path: Path) -> None:
    """Mean score against the cap, one line per method, one panel per classifier and one
    for the mean over classifiers."""
    from genover.evaluation.plots import plot_panels

    frame = curve.curve
    caps = [c for c in curve.caps if c in set(frame["cap"])]
    panels = {}
    for clf, part in frame.groupby("classifier", sort=False):
        panels[str(clf)] = part.pivot(index="cap", columns="method", values=curve.metric)
    mean = frame.groupby(["cap", "method"])[curve.metric].mean().unstack()
    panels = {"mean over classifiers": mean, **panels}
    panels = {k: v.reindex(caps) for k, v in panels.items()}
    plot_panels(
        panels,
        path,
        xlabel="minority rows per training fold (cap)",
        ylabel=f"mean minority {curve.metric.upper()}",
        highlight=curve.generators,
    )
