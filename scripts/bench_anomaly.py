"""One-class detectors against supervised classifiers at extreme imbalance: minority AP.

    python scripts/bench_anomaly.py                     # writes benchmarks/anomaly/README.md
    python scripts/bench_anomaly.py --datasets synthetic:n5000:d10:ir500 --folds 3

Every cell is ``genover.experiment.run`` on a composed config (stratified ``--folds``-fold CV,
one repeat, seed 0, no threshold tuning, plots or sample quality: AP needs none of them):
``lr`` and ``rf`` with the samplers ``none`` and ``smote`` (one run, paired folds), and
``isolation_forest``, ``one_class_svm`` and ``lof`` with ``sampler=none``, fitted on the
majority rows and, as a second row each, on all rows. All methods see the same folds.
``synthetic:`` data is drawn once per ``--synthetic-seeds`` value (its own column; the seed
also seeds the folds and models), since at ratio 500 one draw holds only ~10 minority rows.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")

DATASETS = ("keel:abalone9-18", "keel:yeast4", "keel:yeast3", "synthetic:n5000:d10:ir500")
SUPERVISED = ("lr", "rf")
DETECTORS = ("isolation_forest", "one_class_svm", "lof")
NOTES = "\n## What helped"
FAST = ("evaluation.threshold.tune=false", "evaluation.quality=false", "evaluation.plots=false")


def compose(overrides: list[str]):
    from hydra import compose as hydra_compose
    from hydra import initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    with initialize_config_module(config_module="genover.conf", version_base="1.3"):
        return hydra_compose(config_name="config", overrides=overrides)


def runs(folds: int) -> list[tuple[list[str], dict[str, str]]]:
    """(overrides, {sampler name in the payload: row label}) for every run of one dataset."""
    common = [f"folds={folds}", "repeats=1", *FAST]
    out = [
        (
            [*common, f"classifier={c}", "sampler=none", "baselines=[smote]"],
            {"none": f"{c} + none", "smote": f"{c} + smote"},
        )
        for c in SUPERVISED
    ]
    for c in DETECTORS:
        for fit_on in ("majority", "all"):
            overrides = [*common, f"classifier={c}", f"classifier.fit_on={fit_on}"]
            out.append(
                ([*overrides, "sampler=none", "baselines=[]"], {"none": f"{c} (fit_on={fit_on})"})
            )
    return out


def columns(datasets: list[str], synthetic_seeds: list[int]) -> list[tuple[str, int, str]]:
    """(spec, seed, column label): one column per dataset, one per seed for synthetic data."""
    out = []
    for spec in datasets:
        if spec.startswith("synthetic:"):
            out += [(spec, seed, f"{spec} (seed {seed})") for seed in synthetic_seeds]
        else:
            out.append((spec, 0, spec))
    return out


def bench(datasets: list[str], folds: int, synthetic_seeds: list[int]) -> tuple[dict, dict]:
    """{row label: {column: (mean AP, std AP)}} and {column: (rows, IR, minority rows)}."""
    from genover.experiment import load_configured_dataset, run

    table: dict[str, dict] = {}
    info: dict[str, tuple] = {}
    for spec, seed, column in columns(datasets, synthetic_seeds):
        for overrides, labels in runs(folds):
            cfg = compose([f"data={spec}", f"seed={seed}", *overrides])
            if column not in info:
                data = load_configured_dataset(cfg)
                info[column] = (len(data.y), data.imbalance_ratio, int(data.class_counts.min()))
            start = time.perf_counter()
            payload = run(cfg)
            logging.info("%s %s: %.1fs", column, list(labels.values()), time.perf_counter() - start)
            for name, label in labels.items():
                method = payload["methods"][name]
                ap = method["metrics"]["ap"] if method["status"] == "ok" else None
                table.setdefault(label, {})[column] = (
                    (ap["mean"], ap["std"]) if ap else (float("nan"), float("nan"))
                )
    return table, info


def add_seed_means(table: dict, info: dict) -> None:
    """A "(mean of seeds)" column per synthetic spec: mean ± std of its per-seed mean APs."""
    groups: dict[str, list[str]] = {}
    for column in info:
        if " (seed " in column:
            groups.setdefault(column.split(" (seed ")[0], []).append(column)
    for spec, cols in groups.items():
        if len(cols) < 2:
            continue
        label = f"{spec} (mean of {len(cols)} seeds)"
        info[label] = info[cols[0]]
        for cells in table.values():
            means = [cells[c][0] for c in cols]
            cells[label] = (float(np.mean(means)), float(np.std(means)))


def kept_notes(path: Path) -> str:
    """The hand-written "## What helped" section of an earlier README, kept on a rerun."""
    text = path.read_text() if path.exists() else ""
    return text[text.index(NOTES) :] if NOTES in text else ""


def markdown(table: dict, info: dict, folds: int, seconds: float) -> str:
    specs = list(info)
    head = "| method | " + " | ".join(f"`{s}`" for s in specs) + " |"
    lines = [head, "|---" * (len(specs) + 1) + "|"]
    lines.append(
        "| *rows / IR / minority rows* | "
        + " | ".join(f"{n} / {ir:.1f} / {m}" for n, ir, m in info.values())
        + " |"
    )
    lines.append(
        "| *prevalence (AP of a random score)* | "
        + " | ".join(f"{m / n:.4f}" for n, _, m in info.values())
        + " |"
    )
    best = {s: max(table, key=lambda row: table[row][s][0]) for s in specs}
    for row, cells in table.items():
        shown = []
        for s in specs:
            mean, std = cells[s]
            text = f"{mean:.3f} ± {std:.3f}"
            shown.append(f"**{text}**" if best[s] == row else text)
        lines.append(f"| {row} | " + " | ".join(shown) + " |")
    return (
        "# One-class detectors at extreme imbalance\n\n"
        f"Minority average precision (mean ± std over stratified {folds}-fold CV, one repeat, "
        "seed 0 unless named; best per column in bold), from `python scripts/bench_anomaly.py` "
        f"({seconds / 60:.1f} min on 2 CPU cores shared with other jobs). All rows share the "
        "folds; the detectors run with `sampler=none`. The mean-of-seeds column shows the mean "
        "± std of the per-seed means.\n\n" + "\n".join(lines) + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--synthetic-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", default="benchmarks/anomaly/README.md")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("genover", "lightning", "lightning.pytorch"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    start = time.perf_counter()
    table, info = bench(args.datasets, args.folds, args.synthetic_seeds)
    add_seed_means(table, info)
    text = markdown(table, info, args.folds, time.perf_counter() - start)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + kept_notes(out))
    logging.info("wrote %s\n%s", out, text)


if __name__ == "__main__":
    main()
