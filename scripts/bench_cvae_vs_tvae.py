"""genover's CVAE against ctgan's TVAE at equal work, timed in one process, with fidelity.

Both learn the same training table (``--rows`` rows; ``--numeric`` numeric and
``--categorical`` categorical columns plus the class, 10% minority) for the same number of
passes over its rows (``--epochs``) at the same batch size (``--batch``, TVAE's default 500),
then produce a synthetic table with the training class counts. The CVAE runs as users get it
(``CVAESampler`` defaults: validation split, best checkpoint, confidence filter), with its step
budget set to those passes and early stopping unable to cut them short. Columns:

- fit + draw s: TVAE ``fit`` + ``sample``; the CVAE's ``fit_resample`` (encoding, set-up,
  training, the confidence filter's fit) + ``sample`` per class, split into training, drawing
  and the rest;
- detection AUC and TSTR minority AP as in ``scripts/bench_fidelity.py`` (5-fold gradient
  boosting telling real from synthetic rows, 0.5 = indistinguishable; a random forest trained
  on the synthetic table, scored on held-out real rows; TRTR is the real table's score).

Run through ``bash scripts/bench_cvae_vs_tvae.sh`` (ctgan lives in its own virtualenv).
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import math
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fidelity import detection_auc, features, restore_types  # noqa: E402

log = logging.getLogger("bench_cvae_vs_tvae")


def make_table(rows: int, numeric: int, categorical: int, seed: int) -> pd.DataFrame:
    """Numeric columns from make_classification, categorical ones of 2..k+1 levels, class."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=rows, n_features=numeric, n_informative=min(8, numeric), weights=[0.9],
        random_state=seed,
    )  # fmt: skip
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(numeric)])
    rng = np.random.default_rng(seed)
    for j in range(categorical):
        levels = [f"c{v}" for v in range(j + 2)]
        frame[f"cat{j}"] = pd.Categorical(rng.choice(levels, rows), categories=levels)
    frame["class"] = pd.Categorical(np.where(y == 1, "minority", "majority"))
    return frame


def fit_cvae(
    train: pd.DataFrame, cat_cols: list[str], epochs: int, batch: int, seed: int, options=None
):
    """The synthetic table, seconds, and the CVAE's time breakdown (``options``: sampler
    settings merged over the defaults, e.g. ``{"model": {"hidden": [128, 128]}}``)."""
    from genover import CVAESampler

    X, y = train.drop(columns="class"), train["class"].astype(str).to_numpy()
    steps = epochs * math.ceil(len(X) / batch)
    counts = dict(zip(*np.unique(y, return_counts=True), strict=True))
    sampler = CVAESampler(
        random_state=seed,
        batch_size=batch,
        categorical_features=cat_cols,
        # one new row per class, so that every class keeps its anchors; the table is drawn below
        sampling_strategy={label: int(n) + 1 for label, n in counts.items()},
        **{k: v for k, v in (options or {}).items() if k != "trainer"},
        trainer={
            "max_steps": steps,
            "patience": steps,
            "progress_bar": False,
            **(options or {}).get("trainer", {}),
        },
    )
    start = time.perf_counter()
    sampler.fit_resample(X, y)
    trained = time.perf_counter()
    parts = []
    for label, n in counts.items():
        rows = sampler.sample(int(n), label)
        rows["class"] = label
        parts.append(rows)
    synth = pd.concat(parts, ignore_index=True)
    end = time.perf_counter()
    train_s = sampler.train_result_.seconds
    parts = {"train_s": train_s, "draw_s": end - trained, "other_s": trained - start - train_s}
    return synth, end - start, parts


def fit_tvae(train: pd.DataFrame, cat_cols: list[str], epochs: int, batch: int, seed: int):
    """ctgan's TVAE: the synthetic table, fit + sample seconds, and its breakdown."""
    import torch
    from ctgan import TVAE

    torch.manual_seed(seed)
    np.random.seed(seed)
    frame = train.copy()
    for c in [*cat_cols, "class"]:
        frame[c] = frame[c].astype(str)
    model = TVAE(epochs=epochs, batch_size=batch)
    start = time.perf_counter()
    model.fit(frame, discrete_columns=[*cat_cols, "class"])
    trained = time.perf_counter()
    synth = model.sample(len(train))
    end = time.perf_counter()
    parts = {"train_s": trained - start, "draw_s": end - trained, "other_s": float("nan")}
    return synth, end - start, parts


def fidelity(train, test, synth, cat_cols, seed: int) -> dict:
    """Detection AUC (real vs synthetic) and TSTR minority AP, as bench_fidelity computes them."""
    feat = [c for c in train.columns if c != "class"]
    synth = restore_types(synth, train)
    return {
        "detection_auc": detection_auc(train, synth, feat, cat_cols, seed),
        "tstr_ap": tstr(synth, test, cat_cols, seed),
    }


def tstr(table: pd.DataFrame, test: pd.DataFrame, cat_cols, seed: int) -> float:
    """Minority AP on the real test rows of a random forest trained on ``table``."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import average_precision_score

    feat = [c for c in test.columns if c != "class"]
    clf = RandomForestClassifier(200, random_state=seed, n_jobs=2)
    clf.fit(features(table[feat], cat_cols), table["class"].astype(str) == "minority")
    proba = clf.predict_proba(features(test[feat], cat_cols))
    score = proba[:, 1] if proba.shape[1] == 2 else np.zeros(len(test))
    return float(average_precision_score(test["class"].astype(str) == "minority", score))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="training rows")
    parser.add_argument("--numeric", type=int, default=15)
    parser.add_argument("--categorical", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--methods", nargs="+", default=["cvae", "tvae"])
    parser.add_argument(
        "--cvae-variant",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help='an extra CVAE row with these sampler settings, e.g. small={"model": {"hidden": '
        "[128, 128]}} (not defaults: for deciding on them)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    import torch
    from sklearn.model_selection import train_test_split

    torch.set_num_threads(args.threads)
    frame = make_table(round(args.rows / 0.7), args.numeric, args.categorical, args.seed)
    train, test = train_test_split(
        frame, train_size=args.rows, stratify=frame["class"], random_state=args.seed
    )
    cat_cols = [f"cat{j}" for j in range(args.categorical)]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {len(train):,} training rows x "
        f"{args.numeric + args.categorical} columns + class, {args.epochs} epochs at batch "
        f"{args.batch}, {args.threads} threads; load average at start {load}",
        "",
        "| method | fit + draw s | set-up/encoding s | train s | draw s | detection AUC "
        "| TSTR AP |",
        "|---|---|---|---|---|---|---|",
        f"| real (TRTR) | – | – | – | – | – | {tstr(train, test, cat_cols, args.seed):.3f} |",
    ]
    seconds = {}
    variants = dict(v.split("=", 1) for v in args.cvae_variant)
    runs = [(name, None) for name in args.methods]
    runs += [(f"cvae {name}", json.loads(spec)) for name, spec in variants.items()]
    for name, options in runs:
        if options is None:
            fit = {"cvae": fit_cvae, "tvae": fit_tvae}[name]
        else:
            fit = functools.partial(fit_cvae, options=options)
        synth, seconds[name], parts = fit(train, cat_cols, args.epochs, args.batch, args.seed)
        score = fidelity(train, test, synth, cat_cols, args.seed)
        lines.append(
            f"| {name} | {seconds[name]:.2f} | {parts['other_s']:.2f} | {parts['train_s']:.2f} "
            f"| {parts['draw_s']:.2f} | {score['detection_auc']:.3f} | {score['tstr_ap']:.3f} |"
        )
        log.warning("%s done: %.2f s", name, seconds[name])
    if {"cvae", "tvae"} <= set(seconds):
        lines.append(f"\nCVAE speed-up over TVAE: {seconds['tvae'] / seconds['cvae']:.1f}x")
    lines.append(f"load average at end {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
