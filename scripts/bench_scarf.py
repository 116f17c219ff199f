"""SCARF pre-training for the MLP: minority AP with and without it, at equal total epochs.

    python scripts/bench_scarf.py                  # writes benchmarks/scarf/README.md
    python scripts/bench_scarf.py --datasets keel:yeast4 --epochs 40

The experiment's protocol, written out with sklearn so that it stays fixed: stratified
``--folds``-fold CV (one repeat, seed 0) on ``genover.load_dataset``; in each training fold a
stratified 15% of the real rows is held out (the classifier's ``eval_set``, for early stopping
with patience 20), ``TabularTransformer(numeric="standard")`` is fitted on the rest, and the
MLP (``loss=ce``, a small ``--hidden`` network, batches of 64, no sampler) is scored by the
test fold's minority average precision. The plain MLP trains up to ``--epochs`` epochs; the
SCARF variants pre-train ``--pretrain-epochs`` of them and train the rest, so the total epoch
budget is the same. All variants share the folds, so the fold-wise differences are paired.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")

# The dev suite's datasets with imbalance ratio >= 8 (`genover datasets`).
DATASETS = ("keel:yeast4", "keel:abalone9-18", "keel:yeast3")
NOTES = "\n## What helped"
HOLDOUT = 0.15  # the MLP config's val_fraction: real rows held out for early stopping


def mlp(hidden: list[int], loss: str = "ce", **options):
    """A factory of the small benchmark MLP with ``loss`` and ``options``."""
    from genover.classifiers import MLPClassifier

    def make(seed: int):
        return MLPClassifier(
            hidden=tuple(hidden), loss=loss, batch_size=64, random_state=seed, **options
        )

    return make


def variants(args) -> dict[str, Callable]:
    """{row label: classifier factory}: the plain MLP and SCARF at the same total epochs."""
    rest = args.epochs - args.pretrain_epochs
    rows = {f"mlp, {args.epochs} epochs": mlp(args.hidden, max_epochs=args.epochs)}
    scarf = dict(pretrain="scarf", pretrain_epochs=args.pretrain_epochs)
    for setting in args.settings:
        rate, temperature = (float(v) for v in setting.split(","))
        label = f"scarf {args.pretrain_epochs} + mlp {rest} (corruption {rate}, t={temperature})"
        rows[label] = mlp(
            args.hidden, max_epochs=rest, corruption_rate=rate, temperature=temperature, **scarf
        )
    # the defaults with the full supervised budget on top: separates the pre-training's
    # effect from that of fewer supervised epochs
    label = f"scarf {args.pretrain_epochs} + mlp {args.epochs} (defaults, extra budget)"
    rows[label] = mlp(args.hidden, max_epochs=args.epochs, **scarf)
    return rows


def fold_aps(spec: str, make: Callable, folds: int, seed: int = 0) -> list[float]:
    """Minority AP on each test fold, with the experiment's held-out early-stopping rows."""
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import StratifiedKFold

    from genover import load_dataset
    from genover.data import TabularTransformer
    from genover.training.batches import stratified_holdout

    data = load_dataset(spec)
    X, y, pos = data.X, data.y, data.minority_class
    categories = [len(c.categories) for c in data.columns if c.is_categorical]
    aps = []
    splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y)
    for index, (train, test) in enumerate(splits):
        held = stratified_holdout(y[train], HOLDOUT, seed + index)
        fit_rows, val_rows = train[~held], train[held]
        transform = TabularTransformer(
            "standard", categorical_features=data.categorical_mask, n_categories=categories
        ).fit(X[fit_rows])
        clf = make(seed + index).fit(
            transform.transform(X[fit_rows]),
            y[fit_rows],
            eval_set=(transform.transform(X[val_rows]), y[val_rows]),
        )
        proba = clf.predict_proba(transform.transform(X[test]))
        column = list(clf.classes_).index(pos)
        aps.append(float(average_precision_score(y[test] == pos, proba[:, column])))
    return aps


def bench(
    datasets, rows: dict[str, Callable], folds: int, seeds: tuple[int, ...] = (0,)
) -> tuple[dict, dict, dict]:
    """{row: {dataset: (mean AP, std AP)}}, {row: {dataset: per-fold APs}} and
    {dataset: (rows, IR, minority rows)}; one CV repeat per seed (folds and models)."""
    from genover import load_dataset

    table: dict[str, dict] = {}
    per_fold: dict[str, dict] = {}
    info: dict[str, tuple] = {}
    for spec in datasets:
        data = load_dataset(spec)
        info[spec] = (len(data.y), data.imbalance_ratio, int(data.class_counts.min()))
        for label, make in rows.items():
            start = time.perf_counter()
            aps = [ap for seed in seeds for ap in fold_aps(spec, make, folds, seed)]
            logging.info(
                "%s %s: %.3f (%.1fs)", spec, label, np.mean(aps), time.perf_counter() - start
            )
            table.setdefault(label, {})[spec] = (float(np.mean(aps)), float(np.std(aps)))
            per_fold.setdefault(label, {})[spec] = aps
    return table, per_fold, info


def markdown(title: str, intro: str, table: dict, per_fold: dict, info: dict, pairs=None) -> str:
    """The AP table (best per column in bold, a mean column) and paired fold-wise
    differences for each (row, reference) in ``pairs`` (default: every row against the first)."""
    specs = list(info)
    lines = ["| method | " + " | ".join(f"`{s}`" for s in specs) + " | mean |"]
    lines.append("|---" * (len(specs) + 2) + "|")
    lines.append(
        "| *rows / IR / minority rows* | "
        + " | ".join(f"{n} / {ir:.1f} / {m}" for n, ir, m in info.values())
        + " | |"
    )
    best = {s: max(table, key=lambda row: table[row][s][0]) for s in specs}
    means = {row: float(np.mean([table[row][s][0] for s in specs])) for row in table}
    for row, cells in table.items():
        shown = []
        for s in specs:
            text = f"{cells[s][0]:.3f} ± {cells[s][1]:.3f}"
            shown.append(f"**{text}**" if best[s] == row else text)
        lines.append(f"| {row} | " + " | ".join(shown) + f" | {means[row]:.3f} |")
    first = next(iter(table))
    pairs = pairs or [(row, first) for row in list(table)[1:]]
    paired = ["\nPaired fold-wise AP differences (mean over all folds of all datasets):\n"]
    for row, reference in pairs:
        diffs = np.concatenate(
            [np.subtract(per_fold[row][s], per_fold[reference][s]) for s in specs]
        )
        paired.append(
            f"- `{row}` − `{reference}`: {diffs.mean():+.3f} AP, better on "
            f"{int((diffs > 0).sum())}, worse on {int((diffs < 0).sum())} of {len(diffs)} folds"
        )
    return f"# {title}\n\n{intro}\n\n" + "\n".join(lines) + "\n" + "\n".join(paired) + "\n"


def kept_notes(path: Path) -> str:
    """The hand-written "## What helped" section of an earlier README, kept on a rerun."""
    text = path.read_text() if path.exists() else ""
    return text[text.index(NOTES) :] if NOTES in text else ""


def write(out: str, text: str) -> None:
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + kept_notes(path))
    logging.info("wrote %s\n%s", path, text)


def quiet_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("genover", "lightning", "lightning.pytorch"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--hidden", type=int, nargs="+", default=[64, 32])
    parser.add_argument("--epochs", type=int, default=80)
    parser.add_argument("--pretrain-epochs", type=int, default=20)
    parser.add_argument(
        "--settings",
        nargs="+",
        default=["0.6,1.0", "0.3,1.0", "0.6,0.1"],
        help="SCARF variants as corruption_rate,temperature",
    )
    parser.add_argument("--out", default="benchmarks/scarf/README.md")
    args = parser.parse_args()
    quiet_logging()
    start = time.perf_counter()
    table, per_fold, info = bench(args.datasets, variants(args), args.folds, tuple(args.seeds))
    intro = (
        f"Minority average precision (mean ± std over stratified {args.folds}-fold CV, "
        f"{len(args.seeds)} repeat(s), seeds {args.seeds}; best per column in bold), from "
        f"`python scripts/bench_scarf.py --seeds {' '.join(map(str, args.seeds))}` "
        f"({(time.perf_counter() - start) / 60:.1f} min on 2 CPU cores shared with other "
        f"jobs). MLP `hidden={args.hidden}`, batches of 64, `loss=ce`, no sampler, early "
        "stopping on 15% real rows held out of each training fold (patience 20). Every row "
        "has the same total "
        f"budget of {args.epochs} epochs; SCARF spends its first part on pre-training with the "
        "training-fold rows only, without labels."
    )
    write(args.out, markdown("SCARF pre-training for the MLP", intro, table, per_fold, info))


if __name__ == "__main__":
    main()
