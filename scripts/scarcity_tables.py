"""Markdown tables of a scarcity sweep for BENCHMARKS.md, from genover-report's own code:
per cap, each sampler's mean minority AP per classifier (datasets complete at every cap)
and its paired differences with 95% intervals.

    python scripts/scarcity_tables.py outputs/multirun/scarcity_confirm > tables.md
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from genover.evaluation.report import build_report, collect_runs


def per_classifier(curve) -> list[str]:
    frame = curve.curve
    order = ["lr", "knn", "rf", "hgb", "xgboost", "lightgbm", "catboost"]
    present = set(frame["classifier"])
    classifiers = [c for c in order if c in present] + sorted(present - set(order))
    lines = []
    for cap in [c for c in curve.caps if c in set(frame["cap"])]:
        table = frame[frame["cap"] == cap].pivot(
            index="method", columns="classifier", values=curve.metric
        )[classifiers]
        table["mean"] = table.mean(axis=1)
        table = table.sort_values("mean", ascending=False)
        lines += [
            "",
            f"cap {cap} ({curve.curve_datasets} datasets complete at every cap):",
            "",
            "| sampler | " + " | ".join(classifiers) + " | mean |",
            "|---" * (len(classifiers) + 2) + "|",
        ]
        for method, row in table.iterrows():
            best = {c: table[c].max() for c in table.columns}
            cells = [
                f"**{row[c]:.3f}**" if np.isclose(row[c], best[c]) else f"{row[c]:.3f}"
                for c in table.columns
            ]
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return lines


def main(sweep: str) -> None:
    report = build_report(collect_runs(Path(sweep)), baseline="none")
    curve = report.scarcity
    if curve is None:
        raise SystemExit("the sweep has one cap only")
    lines = ["Mean minority AP per classifier (rows: samplers; bold: best per column)"]
    lines += per_classifier(curve)
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
