"""Generator training cost against the majority's size at a fixed minority.

    python scripts/bench_majority_size.py [--rows 100000 1000000]

make_classification rows × 20 features with exactly 1,000 minority rows; the default CVAE
step budget (600 steps of 256-row batches, class_balance 0.5) and a fixed 1,000 new minority
rows (no amount grid), so only the table's size changes. Prints training and whole-fit seconds.
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np


def table(rows: int, minority: int = 1000, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 20)).astype(np.float32)
    y = np.zeros(rows, dtype=int)
    y[rng.choice(rows, minority, replace=False)] = 1
    X[y == 1, :5] += 1.5
    return X, y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="+", type=int, default=[100_000, 1_000_000])
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    import torch

    from genover.samplers import CVAESampler

    torch.set_num_threads(2)
    print("| rows | minority | steps | train s | whole fit s |")
    print("|---|---|---|---|---|")
    for rows in args.rows:
        X, y = table(rows)
        sampler = CVAESampler(
            random_state=0,
            amount_grid=None,
            sampling_strategy={1: 2000},
            trainer={"progress_bar": False},
        )
        start = time.perf_counter()
        sampler.fit_resample(X, y)
        whole = time.perf_counter() - start
        out = sampler.outcome_
        print(f"| {rows:,} | 1,000 | {out['steps']} | {out['train_seconds']:.1f} | {whole:.1f} |")


if __name__ == "__main__":
    main()
