"""The report's "Ceiling" section for a sweep of ``experiment=ceiling`` runs.

Per cap: each arm's outer minority AP (``without`` generation, ``with`` it), the paired
difference with - without over datasets with a 95% percentile bootstrap interval and a
Wilcoxon signed-rank p (scipy.stats), how often each classifier, weighting, sampler and
synthetic weight was chosen, and ``ceiling_curve.png``: the two arms against the minority
rows per training fold, with each classifier's best fixed pipeline in hindsight (chosen on
the outer test folds, so out of any user's reach) drawn faintly for reference. Datasets are
the unit: each one's score is its mean over folds and seeds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from genover.evaluation.scarcity import cap_order
from genover.evaluation.stats import bootstrap_mean_ci, wilcoxon_p

ARMS = ("without", "with")
CHOICE_FIELDS = ("classifier", "imbalance", "sampler", "synthetic_weight")


def is_ceiling_sweep(folds: pd.DataFrame) -> bool:
    """Whether the sweep's fold rows come from ``experiment=ceiling`` runs."""
    return "ceiling.sampler" in folds.columns and folds["ceiling.sampler"].notna().any()


def _arm_rows(folds: pd.DataFrame) -> pd.DataFrame:
    return folds[folds["ceiling.sampler"].notna() & folds["method"].isin(ARMS)]


def ceiling_table(folds: pd.DataFrame, metric: str = "ap") -> pd.DataFrame:
    """``ceiling.csv``: one row per dataset, cap and arm with the outer ``metric`` (the
    column is named after it) averaged over folds and seeds."""
    rows = _arm_rows(folds).rename(columns={"method": "arm"})
    table = rows.groupby(["dataset", "cap", "arm"], sort=False)[metric].mean().reset_index()
    order = {c: i for i, c in enumerate(cap_order(table["cap"].unique()))}
    table = table.assign(_cap=table["cap"].map(order), _arm=table["arm"].map(ARMS.index))
    return table.sort_values(["_cap", "dataset", "_arm"]).drop(columns=["_cap", "_arm"])


def paired_statistics(table: pd.DataFrame, metric: str = "ap", seed: int = 0) -> pd.DataFrame:
    """Per cap over the datasets with both arms: mean of each arm, mean paired difference
    (with - without) with its 95% bootstrap interval, and the Wilcoxon p."""
    out = []
    for cap in cap_order(table["cap"].unique()):
        wide = table[table["cap"] == cap].pivot(index="dataset", columns="arm", values=metric)
        wide = wide.reindex(columns=list(ARMS)).dropna()
        diff = (wide["with"] - wide["without"]).to_numpy()
        low, high = bootstrap_mean_ci(diff, seed=seed)
        out.append(
            {
                "cap": cap,
                "datasets": len(wide),
                "ap_without": float(wide["without"].mean()),
                "ap_with": float(wide["with"].mean()),
                "diff": float(diff.mean()) if len(diff) else float("nan"),
                "low": low,
                "high": high,
                "p": wilcoxon_p(wide["with"], wide["without"]) if len(wide) else float("nan"),
            }
        )
    return pd.DataFrame(out)


def choice_counts(folds: pd.DataFrame) -> pd.DataFrame:
    """How many outer folds chose each classifier, weighting, sampler and synthetic weight,
    per cap and arm (columns cap, arm, field, value, folds)."""
    rows = _arm_rows(folds)
    frames = []
    for name in CHOICE_FIELDS:
        counts = rows.groupby(["cap", "method"])[f"ceiling.{name}"].value_counts()
        frame = counts.rename("folds").reset_index().rename(columns={f"ceiling.{name}": "value"})
        frames.append(frame.assign(field=name, value=frame["value"].astype(str)))
    frame = pd.concat(frames, ignore_index=True).rename(columns={"method": "arm"})
    order = cap_order(frame["cap"].unique())
    frame = frame.assign(_cap=frame["cap"].map(order.index), _arm=frame["arm"].map(ARMS.index))
    frame = frame.sort_values(["_cap", "_arm"], kind="stable")
    return frame[["cap", "arm", "field", "value", "folds"]].reset_index(drop=True)


def minority_rows(folds: pd.DataFrame) -> pd.Series:
    """Mean minority rows per training fold at each cap."""
    return _arm_rows(folds).groupby("cap")["minority_train"].mean()


def read_menus(root: Path) -> pd.DataFrame:
    """Every job's ``ceiling_menu.csv`` (each pipeline's outer score per fold) under ``root``."""
    frames = [pd.read_csv(p, dtype={"cap": str}) for p in sorted(root.rglob("ceiling_menu.csv"))]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def hindsight_curves(menus: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Per cap and classifier: the best fixed pipeline in hindsight, i.e. the weighting,
    sampler and weight with the highest mean outer AP over the datasets both arms cover
    (columns cap, classifier, pipeline, ap)."""
    if menus.empty:
        return pd.DataFrame(columns=["cap", "classifier", "pipeline", "ap"])
    keys = ["ceiling.imbalance", "ceiling.sampler", "ceiling.synthetic_weight"]
    covered = set(zip(table["dataset"], table["cap"], strict=True))
    menus = menus[[pair in covered for pair in zip(menus["dataset"], menus["cap"], strict=True)]]
    per = menus.groupby(["cap", "ceiling.classifier", *keys, "dataset"])["ap"].mean()
    means = per.groupby(level=[0, 1, 2, 3, 4]).mean().reset_index()
    best = means.loc[means.groupby(["cap", "ceiling.classifier"])["ap"].idxmax()]
    pipeline = (
        "imbalance="
        + best["ceiling.imbalance"].astype(str)
        + " + "
        + best["ceiling.sampler"].astype(str)
        + " (w="
        + best["ceiling.synthetic_weight"].map("{:g}".format)
        + ")"
    )
    out = best.assign(pipeline=pipeline).rename(columns={"ceiling.classifier": "classifier"})
    return out[["cap", "classifier", "pipeline", "ap"]].reset_index(drop=True)


def plot_ceiling_curve(
    stats: pd.DataFrame, hindsight: pd.DataFrame, rows: pd.Series, path: Path
) -> None:
    """The two arms' mean outer AP against the minority rows per training fold, with the
    per-classifier best-in-hindsight curves drawn faintly."""
    from genover.evaluation.plots import _save, plt

    caps = list(stats["cap"])
    x = np.arange(len(caps))
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for clf, part in hindsight.groupby("classifier"):
        values = part.set_index("cap")["ap"].reindex(caps).to_numpy(dtype=float)
        ax.plot(x, values, ".:", lw=0.8, alpha=0.45, label=f"{clf}: best in hindsight")
    for arm, style in zip(ARMS, ("-o", "-s"), strict=True):
        ax.plot(
            x, stats[f"ap_{arm}"].to_numpy(dtype=float), style, lw=2.2, label=f"{arm} generation"
        )
    labels = [f"{c}\n({rows.get(c, np.nan):.0f} rows)" for c in caps]
    ax.set_xticks(x, labels)
    ax.set_xlabel("minority rows per training fold (cap)")
    ax.set_ylabel("mean outer minority AP")
    ax.set_title("Ceiling: the chosen pipeline with and without generation", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    _save(fig, path, bbox_inches="tight")


def render_ceiling(
    stats: pd.DataFrame, counts: pd.DataFrame, hindsight: pd.DataFrame, png: str | None
) -> list[str]:
    """The report's "Ceiling" section as markdown lines."""
    lines = [
        "",
        "## Ceiling",
        "",
        "Per outer fold, an inner cross-validation on the training fold's rows chose one "
        "pipeline (classifier x class weighting x sampler x synthetic weight) by minority AP; "
        "the choice was refitted on the training fold and scored on the untouched test fold. "
        "`without`: no resampling (class weighting allowed); `with`: the samplers too. "
        "Difference = with - without over datasets: mean, 95% bootstrap interval, "
        "Wilcoxon signed-rank p.",
        "",
        "| cap | datasets | without | with | with - without [95% CI] | Wilcoxon p |",
        "|---|---|---|---|---|---|",
    ]
    for r in stats.itertuples():
        interval = "" if np.isnan(r.low) else f" [{r.low:+.4f}, {r.high:+.4f}]"
        lines.append(
            f"| {r.cap} | {r.datasets} | {r.ap_without:.4f} | {r.ap_with:.4f} | "
            f"{r.diff:+.4f}{interval} | {r.p:.4g} |"
        )
    if png:
        lines += ["", f"![ceiling curve]({png})"]
    lines += ["", "### What was chosen (outer folds)", ""]
    lines += ["| cap | arm | field | chosen (folds) |", "|---|---|---|---|"]
    for (cap, arm, name), part in counts.groupby(["cap", "arm", "field"], sort=False):
        text = ", ".join(f"{v} ({n})" for v, n in zip(part["value"], part["folds"], strict=True))
        lines.append(f"| {cap} | {arm} | {name} | {text} |")
    if not hindsight.empty:
        lines += ["", "### Best fixed pipeline per classifier in hindsight (reference only)", ""]
        lines += ["| cap | classifier | pipeline | AP |", "|---|---|---|---|"]
        lines += [
            f"| {r.cap} | {r.classifier} | {r.pipeline} | {r.ap:.4f} |"
            for r in hindsight.itertuples()
        ]
    return lines


def write_ceiling(root: Path, out: Path, folds: pd.DataFrame, metric: str = "ap") -> list[str]:
    """Write ``ceiling.csv`` and ``ceiling_curve.png`` to ``out`` for the ceiling runs under
    ``root``; return the report section (no lines when the sweep has none)."""
    from genover.atomic import atomic_write_text

    if not is_ceiling_sweep(folds):
        return []
    table = ceiling_table(folds, metric)
    atomic_write_text(out / "ceiling.csv", table.to_csv(index=False))
    stats = paired_statistics(table, metric)
    counts = choice_counts(folds)
    caps = cap_order(table["cap"].unique())
    hindsight = hindsight_curves(read_menus(root), table)
    hindsight = hindsight.sort_values("cap", key=lambda c: c.map(caps.index), kind="stable")
    plot_ceiling_curve(stats, hindsight, minority_rows(folds), out / "ceiling_curve.png")
    return render_ceiling(stats, counts, hindsight, "ceiling_curve.png")
