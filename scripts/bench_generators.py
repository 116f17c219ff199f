"""Speed and memory of genover's generators: train rows/s, samples/s and peak memory.

    python scripts/bench_generators.py                 # 1k, 10k, 100k rows, all generators
    python scripts/bench_generators.py --rows 10000 --generators cvae

Data: make_classification with 16 numeric and 5 categorical columns (21 in all, 10% minority).
Each generator trains for a fixed 20 epochs at batch 500 (BAGAN: 10 autoencoder + 10
adversarial), without validation or early stopping, so rows/s compare at equal epochs. VAEGAN
and ARAE take two or three optimiser steps per batch (discriminator or critic, then the
rest), so an epoch costs them more than the CVAE's.
Every measurement runs in a fresh subprocess so that peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import time

import numpy as np

GENERATORS = ("cvae", "ddpm", "bagan", "vaegan", "arae")
EPOCHS = 20


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=n, n_features=16, n_informative=8, weights=[0.9], random_state=seed
    )
    rng = np.random.default_rng(seed)
    cats = np.column_stack([rng.integers(0, k, n) for k in (2, 3, 4, 5, 6)])
    return np.hstack([X, cats]).astype(np.float64), y


def build(name: str, accelerator: str, rows: int):
    from genover.samplers import (
        ARAESampler,
        BAGANSampler,
        CVAESampler,
        DDPMSampler,
        VAEGANSampler,
    )

    common = dict(
        random_state=0,
        categorical_features=list(range(16, 21)),
        batch_size=500,
        val_fraction=0.0,
        amount_grid=None,
        trainer={
            "max_epochs": EPOCHS,
            "max_steps": None,  # whole passes over the rows, not the default step budget
            "epoch_steps": None,
            "accelerator": accelerator,
            "progress_bar": False,
        },
    )
    if name == "cvae":
        return CVAESampler(**common)
    if name == "ddpm":
        return DDPMSampler(**common)
    if name == "vaegan":
        return VAEGANSampler(**common)
    if name == "arae":
        return ARAESampler(**common)
    common["trainer"] = {**common["trainer"], "max_epochs": EPOCHS // 2}
    ae_steps = EPOCHS // 2 * -(-rows // common["batch_size"])  # the same passes, in steps
    return BAGANSampler(model={"ae_steps": ae_steps}, **common)


def rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure_one(name: str, rows: int, accelerator: str) -> dict:
    logging.disable(logging.WARNING)
    import torch

    X, y = make_data(rows)
    sampler = build(name, accelerator, rows)
    base = rss_mb()
    start = time.perf_counter()
    sampler.fit_resample(X, y)
    fit_seconds = time.perf_counter() - start
    train = sampler.train_result_.seconds
    if name == "bagan":
        train += sampler.pretrain_result_.seconds
    draw_n = min(rows, 100_000)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    sampler.sample(draw_n, 1)
    sample_seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "generator": name,
        "rows": rows,
        "epochs": EPOCHS,
        "device": str(sampler.module_.device),
        "train_seconds": round(train, 2),
        "fit_resample_seconds": round(fit_seconds, 2),
        "train_rows_per_s": round(rows * EPOCHS / train),
        "samples_per_s": round(draw_n / sample_seconds),
        "peak_rss_mb": round(peak),
        "rss_above_data_mb": round(peak - base),
        "data_mb": round(X.nbytes / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--generators", nargs="+", default=list(GENERATORS))
    parser.add_argument("--accelerator", default="auto")
    parser.add_argument("--out", default=None, help="also write the results as JSON here")
    parser.add_argument("--one", nargs=2, metavar=("GENERATOR", "ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        result = measure_one(args.one[0], int(args.one[1]), args.accelerator)
        sys.stdout.write(json.dumps(result) + "\n")
        return
    results = []
    for rows in args.rows:
        for name in args.generators:
            cmd = [
                sys.executable,
                __file__,
                "--one",
                name,
                str(rows),
                "--accelerator",
                args.accelerator,
            ]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            results.append(json.loads(out.strip().splitlines()[-1]))
            sys.stderr.write(f"{results[-1]}\n")
    header = (
        "| generator | rows | device | train s | train rows/s | samples/s | "
        "peak RSS MB | RSS above start MB |"
    )
    lines = [header, "|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(
            f"| {r['generator']} | {r['rows']:,} | {r['device']} | {r['train_seconds']} | "
            f"{r['train_rows_per_s']:,} | {r['samples_per_s']:,} | {r['peak_rss_mb']} | "
            f"{r['rss_above_data_mb']} |"
        )
    sys.stdout.write("\n".join(lines) + "\n")
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()
