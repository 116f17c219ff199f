"""The dev benchmark protocol: samplers x classifiers on the 10 KEEL dev datasets.

Every sampler is fitted once per training fold; the four classifiers (lr, knn, rf, hgb) are
then trained on the same resampled rows, so a sampler's 4 cells share its synthetic rows and
all samplers share the folds (stratified 5-fold x 2 repeats, seed 0). Preprocessing, sampler
and classifiers are genover's own (``genover.experiment.fold_pipeline``, the config groups in
``conf/``), fitted on the training fold only. ``--minority-cap N`` is genover's
``minority_cap=N`` run option: at most N minority rows per training fold, test folds
untouched.

    python scripts/dev_protocol.py run --regime full            # every sampler, cached
    python scripts/dev_protocol.py run --regime cap20 \
        --sampler 'cvae_1to1=sampler=cvae sampler.amount_grid=null'
    python scripts/dev_protocol.py report --regime full         # tables, ranks, tests

Results go to ``benchmarks/dev_protocol/<regime>/<sampler>/<dataset>.parquet`` (one file per
sampler and dataset: a finished file is never recomputed, so variants can be added later).
A sampler spec is ``name=override override ...`` with Hydra overrides of genover's config;
a bare name means ``sampler=<name>``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATASETS = [
    "ecoli1",
    "glass1",
    "pima",
    "yeast3",
    "vehicle0",
    "wisconsin",
    "haberman",
    "new_thyroid1",
    "yeast4",
    "abalone9-18",
]
CLASSIFIERS = ["lr", "knn", "rf", "hgb"]
PEERS = {
    "none": "sampler=none",
    "smote": "sampler=smote",
    "borderline1": "sampler=borderline1",
    "adasyn": "sampler=adasyn",
    "polyfit_star": "sampler=sv sampler.name=polynom_fit_SMOTE_star",
    "prowsyn": "sampler=sv sampler.name=ProWSyn",
    "cvae": "sampler=cvae",
    "ddpm": "sampler=ddpm",
    "bagan": "sampler=bagan",
}
REGIMES = {"full": None, "cap50": 50, "cap20": 20}


def compose(overrides: list[str]):
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    import genover.experiment.config  # noqa: F401  (registers the baselines group)

    with initialize_config_dir(str(ROOT / "conf"), version_base=None):
        return hydra_compose("config", overrides=overrides)


def parse_spec(spec: str) -> tuple[str, list[str]]:
    name, _, rest = spec.partition("=")
    if not rest:
        rest = PEERS.get(name, f"sampler={name}")
    return name, rest.split()


def run_task(
    regime: str, name: str, overrides: list[str], dataset_name: str, out: Path, splits: int
):
    """Fit sampler ``name`` on every fold of one dataset; score the four classifiers."""
    import torch
    from omegaconf import OmegaConf
    from sklearn.base import clone

    from genover.evaluation.metrics import align_proba, rare_class_ap
    from genover.experiment import Method, build, fit_pipeline, fold_pipeline, model_space
    from genover.experiment.config import load_configured_dataset
    from genover.experiment.crossval import fold_splits

    torch.set_num_threads(1)
    cap = REGIMES[regime]
    base = [
        f"data=keel:{dataset_name}",
        "baselines=[]",
        "seed=0",
        "folds=5",
        "repeats=2",
        f"minority_cap={'null' if cap is None else cap}",
    ]
    # A sampler that scores its amount with the run's classifier (run_classifier_encoded)
    # is fitted once per classifier; any other is fitted once and its rows feed all four.
    per_classifier = any("run_classifier_encoded" in o for o in overrides)
    fits = CLASSIFIERS if per_classifier else ["lr"]
    cfgs = {c: compose(base + overrides + [f"classifier={c}"]) for c in fits}
    classifiers = {c: build(compose(base + [f"classifier={c}"]).classifier) for c in CLASSIFIERS}
    dataset = load_configured_dataset(cfgs["lr"])
    method = Method(name, OmegaConf.to_container(cfgs["lr"].sampler, resolve=True))
    rows = []
    for index, (train, test) in enumerate(fold_splits(dataset, cfgs["lr"])[:splits]):
        for fit_with in fits:
            pipe, capture = fold_pipeline(dataset, method, cfgs[fit_with])
            start = time.perf_counter()
            fit_pipeline(pipe, dataset.X[train], dataset.y[train], index)
            fit_seconds = time.perf_counter() - start
            outcome = getattr(pipe.named_steps["sampler"], "outcome_", None) or {}
            outcome = {
                f"sampler.{k}": v
                for k, v in outcome.items()
                if isinstance(v, (int, float, bool, str)) or v is None
            }
            X_fit, y_fit = capture.X, capture.y
            synthetic = int(len(y_fit) - len(train))
            X_test = model_space(pipe, dataset.X[test])
            for clf_name in [fit_with] if per_classifier else CLASSIFIERS:
                start = time.perf_counter()
                if clf_name == fit_with:
                    clf, seconds = pipe.steps[-1][1], fit_seconds
                else:
                    clf = clone(classifiers[clf_name]).fit(X_fit, y_fit)
                    seconds = time.perf_counter() - start
                proba = align_proba(clf.predict_proba(X_test), clf.classes_, dataset.n_classes)
                rows.append(
                    {
                        "regime": regime,
                        "sampler": name,
                        "dataset": dataset_name,
                        "classifier": clf_name,
                        "split": index,
                        "ap": rare_class_ap(dataset.y[test], proba),
                        "synthetic_rows": synthetic,
                        "minority_train": int(np.sum(dataset.y[train] == dataset.minority_class)),
                        "sampler_seconds": fit_seconds if clf_name == fit_with else 0.0,
                        "classifier_seconds": seconds,
                        **outcome,
                    }
                )
    path = out / regime / name / f"{dataset_name}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows)
    tmp = path.with_suffix(".tmp")
    frame.to_parquet(tmp)
    tmp.replace(path)
    return name, dataset_name, float(frame["sampler_seconds"].sum())


def cmd_run(args) -> None:
    from joblib import Parallel, delayed

    specs = [parse_spec(s) for s in (args.sampler or list(PEERS))]
    out = Path(args.out)
    tasks = [
        (name, overrides, d)
        for name, overrides in specs
        for d in args.datasets
        if args.force or not (out / args.regime / name / f"{d}.parquet").exists()
    ]
    # Longest first (generators), so the two workers finish together.
    tasks.sort(key=lambda t: not any(g in " ".join(t[1]) for g in ("cvae", "ddpm", "bagan")))
    for name, overrides in specs:
        meta = out / args.regime / name / "spec.json"
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps({"name": name, "overrides": overrides}))
    print(f"{len(tasks)} tasks on {args.jobs} workers", flush=True)
    start = time.time()
    done = Parallel(n_jobs=args.jobs, backend="loky", verbose=0, return_as="generator")(
        delayed(run_task)(args.regime, n, o, d, out, args.splits) for n, o, d in tasks
    )
    for i, (name, dataset, seconds) in enumerate(done, 1):
        print(
            f"[{i}/{len(tasks)}] {name} {dataset}: sampler {seconds:.1f} s "
            f"({time.time() - start:.0f} s elapsed)",
            flush=True,
        )
    wall = time.time() - start
    log = out / args.regime / "wall_times.jsonl"
    with log.open("a") as fh:
        fh.write(
            json.dumps(
                {
                    "samplers": [s[0] for s in specs],
                    "tasks": len(tasks),
                    "jobs": args.jobs,
                    "wall_s": round(wall, 1),
                }
            )
            + "\n"
        )
    print(f"wall time {wall:.0f} s", flush=True)


def load(out: Path, regime: str, samplers: list[str]) -> pd.DataFrame:
    frames = []
    for name in samplers:
        files = sorted((out / regime / name).glob("*.parquet"))
        if not files:
            raise SystemExit(f"no results for {name} in {out / regime}; run it first.")
        frames += [pd.read_parquet(f) for f in files]
    return pd.concat(frames, ignore_index=True)


def common_folds(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the (dataset, classifier, fold) combinations every sampler has."""
    key = ["dataset", "classifier", "split"]
    n = frame["sampler"].nunique()
    have = frame.groupby(key)["sampler"].transform("nunique")
    return frame[have == n]


def cell_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean AP over the folds of each (dataset, classifier) cell; samplers as columns."""
    table = frame.pivot_table(
        index=["dataset", "classifier"], columns="sampler", values="ap", aggfunc="mean"
    )
    return table.dropna()


def report(frame: pd.DataFrame, samplers: list[str], title: str) -> str:
    from genover.evaluation.stats import average_ranks, compare_to_baseline, friedman, nemenyi_cd

    table = cell_table(frame)[samplers]
    ranks = average_ranks(table)
    order = list(ranks.sort_values().index)
    chi2, p = friedman(table)
    cd = nemenyi_cd(len(order), len(table))
    lines = [f"### {title}", ""]
    folds = frame["split"].nunique()
    lines.append(
        f"{len(table)} cells (dataset x classifier), mean minority AP over {folds} folds each. "
        f"Friedman chi² = {chi2:.2f}, p = {p:.3g}; Nemenyi CD (alpha 0.05) = {cd:.2f}."
    )
    lines += [
        "",
        "| sampler | average rank | mean AP | "
        + " | ".join(CLASSIFIERS)
        + " | synthetic rows/fold | folds with none |",
        "|---" * (5 + len(CLASSIFIERS)) + "|",
    ]
    per_clf = frame.groupby(["sampler", "classifier"])["ap"].mean().unstack()
    lr_rows = frame[frame.classifier == "lr"]  # synthetic rows: the fit that fed lr
    for s in order:
        syn = lr_rows[lr_rows.sampler == s]["synthetic_rows"]
        lines.append(
            f"| {s} | {ranks[s]:.2f} | {table[s].mean():.4f} | "
            + " | ".join(f"{per_clf.loc[s, c]:.4f}" for c in CLASSIFIERS)
            + f" | {syn.mean():.0f} | {int((syn == 0).sum())} of {len(syn)} |"
        )
    for base in ("none", "smote"):
        if base not in table:
            continue
        comp = compare_to_baseline(table, base)
        lines += [
            "",
            f"Against {base} (Wilcoxon signed-rank over the {len(table)} cells, Holm):",
            "",
            "| sampler | wins | ties | losses | mean diff | p | p (Holm) |",
            "|---|---|---|---|---|---|---|",
        ]
        for _, r in comp.sort_values("mean_diff", ascending=False).iterrows():
            lines.append(
                f"| {r.method} | {r.wins} | {r.ties} | {r.losses} | "
                f"{r.mean_diff:+.4f} | {r.p:.3g} | {r.p_holm:.3g} |"
            )
    return "\n".join(lines)


def cmd_report(args) -> None:
    out = Path(args.out)
    samplers = args.samplers.split(",") if args.samplers else list(PEERS)
    frame = common_folds(load(out, args.regime, samplers))
    text = report(frame, samplers, args.title or f"Regime {args.regime}")
    gen = frame.groupby("sampler")["sampler_seconds"].sum()
    text += "\n\nSampler fit seconds, summed over the folds: " + ", ".join(
        f"{s} {gen[s]:.0f}" for s in samplers
    )
    print(text)
    if args.write:
        Path(args.write).write_text(text + "\n")


def cmd_ablation(args) -> None:
    """One row per variant: mean AP per regime on the folds every listed variant has, the
    difference from no resampling and SMOTE on those folds, and its synthetic rows."""
    out = Path(args.out)
    variants = args.samplers.split(",")
    lines = [
        "| variant | "
        + " | ".join(f"{r} mean AP | {r} vs none | {r} vs smote | {r} rank" for r in args.regimes)
        + " |",
        "|---" * (1 + 4 * len(args.regimes)) + "|",
    ]
    from genover.evaluation.stats import average_ranks

    cells = {}
    for regime in args.regimes:
        have = [v for v in variants if list((out / regime / v).glob("*.parquet"))]
        frame = common_folds(load(out, regime, ["none", "smote", *have]))
        table = cell_table(frame)
        ranks = average_ranks(table)
        cells[regime] = (table, ranks, frame["split"].nunique())
    for v in ["none", "smote", *variants]:
        row = [v]
        for regime in args.regimes:
            table, ranks, _ = cells[regime]
            if v not in table:
                row += ["–"] * 4
                continue
            mean = table[v].mean()
            row += [
                f"{mean:.4f}",
                f"{mean - table['none'].mean():+.4f}",
                f"{mean - table['smote'].mean():+.4f}",
                f"{ranks[v]:.2f}",
            ]
        lines.append("| " + " | ".join(row) + " |")
    folds = ", ".join(f"{r}: {cells[r][2]} folds" for r in args.regimes)
    text = "\n".join(lines) + f"\n\n(40 cells per regime; {folds}; ranks among the rows above)"
    print(text)
    if args.write:
        Path(args.write).write_text(text + "\n")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run")
    run.add_argument("--regime", choices=list(REGIMES), default="full")
    run.add_argument("--sampler", action="append", help="name[=overrides]; repeatable")
    run.add_argument("--datasets", nargs="+", default=DATASETS)
    run.add_argument("--jobs", type=int, default=2)
    run.add_argument("--splits", type=int, default=10, help="first N of the 10 folds (ablations)")
    run.add_argument("--force", action="store_true")
    run.add_argument("--out", default=str(ROOT / "benchmarks" / "dev_protocol"))
    rep = sub.add_parser("report")
    rep.add_argument("--regime", choices=list(REGIMES), default="full")
    rep.add_argument("--samplers", default=None, help="comma-separated; default: the 9 peers")
    rep.add_argument("--title", default=None)
    rep.add_argument("--write", default=None)
    rep.add_argument("--out", default=str(ROOT / "benchmarks" / "dev_protocol"))
    abl = sub.add_parser("ablation")
    abl.add_argument("--samplers", required=True, help="comma-separated variants")
    abl.add_argument("--regimes", nargs="+", default=["cap20", "full"])
    abl.add_argument("--write", default=None)
    abl.add_argument("--out", default=str(ROOT / "benchmarks" / "dev_protocol"))
    args = parser.parse_args(argv)
    {"run": cmd_run, "report": cmd_report, "ablation": cmd_ablation}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
