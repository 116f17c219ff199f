"""Wall time of one ForestFlow fit (sampler=forest_flow) on a KEEL training fold per setting.

    python scripts/bench_forest_flow.py --datasets keel:pima keel:yeast4 \
        --settings 50,100,100 10,20,50 5,10,30

Each setting is ``n_t,duplicate_K,n_estimators``; the fit is on the first of 5 stratified
folds' training rows (over-sampling the minority to the majority's count, as
``sampling_strategy=auto``), with ``--threads`` XGBoost threads. Prints a markdown table, a
line per fit as it ends (wall and CPU seconds: on a shared machine CPU time is the steadier
figure), and the load average before and after.
"""

from __future__ import annotations

import argparse
import logging
import os
import time

from sklearn.model_selection import StratifiedKFold

from genover.data import load_dataset
from genover.samplers.forest_flow import ForestFlowSampler


def fit_seconds(
    spec: str, n_t: int, duplicate_k: int, n_estimators: int, threads: int
) -> tuple[int, float, float]:
    """(minority training rows, wall seconds, CPU seconds) of one fit on ``spec``'s first
    training fold."""
    data = load_dataset(spec, impute="median")
    train, _ = next(StratifiedKFold(5, shuffle=True, random_state=0).split(data.X, data.y))
    y = data.y[train]
    sampler = ForestFlowSampler(
        random_state=0,
        n_t=n_t,
        duplicate_K=duplicate_k,
        n_estimators=n_estimators,
        n_threads=threads,
    )
    start, cpu = time.perf_counter(), time.process_time()
    sampler.fit_resample(data.X[train], y)
    rows = int(min((y == c).sum() for c in set(y.tolist())))
    return rows, time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["keel:pima", "keel:yeast4"])
    parser.add_argument("--settings", nargs="+", default=["50,100,100", "10,20,50"])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    print(f"load average before: {os.getloadavg()}\n", flush=True)
    header = "| dataset | minority rows | n_t | duplicate_K | n_estimators | wall s | CPU s |"
    print(f"{header}\n|---|---|---|---|---|---|---|", flush=True)
    for spec in args.datasets:
        for setting in args.settings:
            n_t, k, n_est = (int(v) for v in setting.split(","))
            rows, wall, cpu = fit_seconds(spec, n_t, k, n_est, args.threads)
            print(
                f"| {spec} | {rows} | {n_t} | {k} | {n_est} | {wall:.1f} | {cpu:.1f} |", flush=True
            )
    print(f"\nload average after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
