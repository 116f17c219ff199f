"""Small generator fits with 1 and 2 torch threads, alone and beside busy neighbours.

    python scripts/bench_threads.py            # prints a markdown table (a few minutes)

Two fits on the standard-scaled training rows of the first of 5 stratified folds: a 50-step
CVAE fit on keel:yeast4 and a default CVAE fit (conf/sampler/cvae.yaml) on
keel:new_thyroid1. Each runs with 1 and 2 intra-op threads, with no extra load and beside two
`while True: pass` processes at normal priority (started here and killed afterwards). The
1-minute load average and the thread count `threads=auto` would choose are printed for each
condition. The figures are in BENCHMARKS.md ("Threads under contention").
"""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import sys
import time

FITS = {
    "CVAE 50 steps, yeast4": ("keel:yeast4", ["sampler.trainer.max_steps=50"]),
    "CVAE default, new_thyroid1": ("keel:new_thyroid1", []),
}


def training_rows(spec: str):
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import StandardScaler

    from genover.data import load_dataset

    data = load_dataset(spec, impute="median")
    train, _ = next(StratifiedKFold(5, shuffle=True, random_state=0).split(data.X, data.y))
    return StandardScaler().fit_transform(data.X[train]), data.y[train]


def fit_seconds(spec: str, overrides: list[str], threads: int, reps: int) -> list[float]:
    """Wall seconds of ``reps`` fits of the CVAE config with ``threads`` torch threads."""
    import torch
    from hydra import compose, initialize_config_module

    from genover.experiment import build

    torch.set_num_threads(threads)
    X, y = training_rows(spec)
    with initialize_config_module(config_module="genover.conf", version_base="1.3"):
        cfg = compose(config_name="config", overrides=["sampler=cvae", *overrides])
    times = []
    for rep in range(reps):
        sampler = build(cfg.sampler).set_params(random_state=rep)
        start = time.perf_counter()
        sampler.fit_resample(X, y)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    logging.disable(logging.WARNING)
    from genover.cli import auto_threads

    cores = len(os.sched_getaffinity(0))
    rows = [
        "| fit | neighbours | load (1 min) | auto | 1 thread (s) | 2 threads (s) | 2 / 1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for busy in (0, 2):
        hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
        try:
            time.sleep(5 if busy else 0)
            for title, (spec, overrides) in FITS.items():
                load = os.getloadavg()[0]
                reps = 3 if "50" in title else 2
                one = statistics.median(fit_seconds(spec, overrides, 1, reps))
                two = statistics.median(fit_seconds(spec, overrides, 2, reps))
                rows.append(
                    f"| {title} | {busy} busy | {load:.1f} | {auto_threads(cores, None, load)} | "
                    f"{one:.2f} | {two:.2f} | {two / one:.1f}× |"
                )
                print(rows[-1], flush=True)
        finally:
            for hog in hogs:
                hog.kill()
                hog.wait()
    print("\n".join([f"{cores} cores", *rows]))


if __name__ == "__main__":
    main()
