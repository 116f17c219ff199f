"""The named hybrids against their parts and no resampling, minority AP on dev datasets.

    python scripts/bench_hybrids.py [--datasets keel:yeast4 ...] [--folds 5]

Each cell is ``genover.experiment.run`` on a composed config (stratified ``--folds``-fold CV,
one repeat, seed 0, threshold tuning off): the four hybrid experiment files, each beside the
simpler method it builds on, and lr + none. Prints a markdown table (mean AP per dataset and
the mean over datasets).
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np

ROWS = {
    "lr + none (reference)": ["sampler=none", "classifier=lr"],
    "easy_ensemble + none": ["sampler=none", "classifier=easy_ensemble"],
    "smote_easy_ensemble": ["experiment=smote_easy_ensemble"],
    "rf + none": ["sampler=none", "classifier=rf"],
    "smote_tomek_cost_rf": ["experiment=smote_tomek_cost_rf"],
    "mlp ce + cvae": ["sampler=cvae", "classifier=mlp", "loss=ce"],
    "generator_balanced_softmax": ["experiment=generator_balanced_softmax"],
    "mlp focal + none": ["sampler=none", "classifier=mlp", "loss=focal"],
    "curriculum_focal": ["experiment=curriculum_focal"],
}


def score(overrides: list[str], dataset: str, folds: int) -> float:
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import open_dict

    from genover.experiment import run

    GlobalHydra.instance().clear()
    with initialize_config_module(config_module="genover.conf", version_base="1.3"):
        cfg = compose(
            config_name="config",
            overrides=[
                *overrides,
                f"data={dataset}",
                f"folds={folds}",
                "repeats=1",
                "baselines=[]",
                "evaluation.threshold.tune=false",
                "evaluation.quality=false",
            ],
            return_hydra_config=True,
        )
    choices = dict(cfg.hydra.runtime.choices)
    with open_dict(cfg):
        del cfg["hydra"]
    result = run(cfg, choices=choices)
    method = next(iter(result["methods"].values()))
    return float(method["metrics"]["ap"]["mean"]) if method["status"] == "ok" else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", nargs="+", default=["keel:yeast4", "keel:abalone9-18", "keel:yeast3"]
    )
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    start = time.perf_counter()
    table = {name: [score(o, d, args.folds) for d in args.datasets] for name, o in ROWS.items()}
    names = [d.split(":", 1)[1] for d in args.datasets]
    print(f"stratified {args.folds}-fold x 1, seed 0; {time.perf_counter() - start:.0f} s\n")
    print("| method | " + " | ".join(names) + " | mean |")
    print("|---" * (len(names) + 2) + "|")
    for name, row in table.items():
        cells = " | ".join(f"{v:.3f}" for v in row)
        print(f"| {name} | {cells} | {np.nanmean(row):.3f} |")


if __name__ == "__main__":
    main()
