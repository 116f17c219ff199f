"""Wall time of one default generator fit on each KEEL dev dataset, alone and in a 2-job sweep.

    python scripts/bench_fit_times.py                  # every generator on the 10 dev datasets
    python scripts/bench_fit_times.py --generators cvae --datasets keel:yeast4

Each fit is the generator's config default (conf/sampler/<name>.yaml: step budget, early
stopping, amount selection) on the standard-scaled training rows of the first of 5
stratified folds (135-1,190 rows). "alone" runs the fits one after another with cores
torch threads; "2 jobs" runs two worker processes at once with cores / 2 threads each, the
load that `genover experiment=keel_dev` creates. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from concurrent.futures import ProcessPoolExecutor

DEV = (
    "keel:ecoli1 keel:glass1 keel:pima keel:yeast3 keel:vehicle0 keel:wisconsin "
    "keel:haberman keel:new_thyroid1 keel:yeast4 keel:abalone9-18"
).split()


def fit_once(job: tuple[str, str, int]) -> tuple[str, str, int, float, int]:
    """(dataset, generator, training rows, fit seconds, optimiser steps) for one fit."""
    spec, name, threads = job
    logging.disable(logging.WARNING)
    import torch
    from hydra import compose, initialize_config_module
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import StandardScaler

    from genover.data import load_dataset
    from genover.experiment import build

    torch.set_num_threads(threads)
    data = load_dataset(spec, impute="median")
    train, _ = next(StratifiedKFold(5, shuffle=True, random_state=0).split(data.X, data.y))
    X = StandardScaler().fit_transform(data.X[train])
    with initialize_config_module(config_module="genover.conf", version_base="1.3"):
        cfg = compose(config_name="config", overrides=[f"sampler={name}"])
    sampler = build(cfg.sampler)
    sampler.set_params(trainer={**sampler.trainer, "progress_bar": False})
    start = time.perf_counter()
    sampler.fit_resample(X, data.y[train])
    return spec, name, len(train), time.perf_counter() - start, sampler.outcome_["steps"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--generators", nargs="+", default=["cvae", "ddpm", "bagan", "vaegan", "arae"]
    )
    parser.add_argument("--datasets", nargs="+", default=DEV)
    parser.add_argument("--alone-threads", type=int, default=None, help="default: all cores")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    threads = args.alone_threads or cores
    jobs = [(d, g, threads) for d in args.datasets for g in args.generators]
    with ProcessPoolExecutor(1) as pool:  # a fresh process, as a sweep job would be
        alone = list(pool.map(fit_once, jobs))
    start = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        paired = list(pool.map(fit_once, [(d, g, max(1, cores // 2)) for d, g, _ in jobs]))
    paired_wall = time.perf_counter() - start
    print(
        f"{cores} cores, {threads} threads alone; "
        f"2-job wall time for all {len(jobs)} fits: {paired_wall:.1f} s\n"
    )
    print("| dataset | generator | training rows | steps | alone s | in 2-job sweep s |")
    print("|---|---|---|---|---|---|")
    for (spec, name, rows, seconds, steps), (*_, paired_s, _) in zip(alone, paired, strict=True):
        print(f"| {spec} | {name} | {rows} | {steps} | {seconds:.1f} | {paired_s:.1f} |")
    worst = max(max(a[3], p[3]) for a, p in zip(alone, paired, strict=True))
    print(f"\nslowest fit: {worst:.1f} s (target: <= 10 s)")


if __name__ == "__main__":
    main()
