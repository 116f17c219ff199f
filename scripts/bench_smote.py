"""Torch SMOTE family against imbalanced-learn: wall time and peak memory of fit_resample.

Data: ``--rows`` rows of ``--features`` standard-normal columns; a ``--minority`` share of
rows is shifted by 1.5 in five columns, so the classes overlap and Borderline-SMOTE finds
rows in danger. Each (method, implementation) runs in a fresh process, which generates the
data (untimed), times one ``fit_resample`` and reports its peak RSS. Prints a markdown table.

    python scripts/bench_smote.py                      # 1M x 30, 1% minority, 2 threads, CPU
    python scripts/bench_smote.py --rows 10000000 --skip-imblearn   # memory at 10M rows
    python scripts/bench_smote.py --device cuda        # torch on the GPU, imblearn on the CPU
    python scripts/bench_smote.py --rows 200000 --also-exact   # + torch without bf16 screening
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time

METHODS = ("smote", "borderline1", "borderline2", "adasyn")


def make_data(rows: int, features: int, minority: float, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, features))
    y = (rng.random(rows) < minority).astype(np.int64)
    X[y == 1, :5] += 1.5
    return X, y


def build(method: str, impl: str, device: str):
    from imblearn import over_sampling as imb

    from genover.samplers import TorchADASYN, TorchBorderlineSMOTE, TorchSMOTE

    kind = {"borderline1": "borderline-1", "borderline2": "borderline-2"}.get(method)
    if impl == "imblearn":
        if method == "smote":
            return imb.SMOTE(random_state=0)
        if method == "adasyn":
            return imb.ADASYN(random_state=0)
        return imb.BorderlineSMOTE(kind=kind, random_state=0)
    if method == "smote":
        return TorchSMOTE(random_state=0, device=device)
    if method == "adasyn":
        return TorchADASYN(random_state=0, device=device)
    return TorchBorderlineSMOTE(kind=kind, random_state=0, device=device)


def measure(args, method: str, impl: str, queue) -> None:
    import torch

    torch.set_num_threads(args.threads)
    X, y = make_data(args.rows, args.features, args.minority)
    if impl == "torch-exact":  # the plain float32 search, without bfloat16 screening
        from genover.samplers import torch_smote

        torch_smote._screening_pays = lambda queries, points: False
    sampler = build(method, impl.removesuffix("-exact"), args.device)
    if impl == "torch" and args.device != "cpu" and torch.cuda.is_available():
        build(method, impl, args.device).fit_resample(X[:5000], y[:5000])  # CUDA warm-up
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    X_res, _ = sampler.fit_resample(X, y)
    seconds = time.perf_counter() - start
    gpu = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    queue.put({"seconds": seconds, "rss_mb": rss, "gpu_mb": gpu, "rows_out": len(X_res)})


def run_isolated(args, method: str, impl: str) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=measure, args=(args, method, impl, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--minority", type=float, default=0.01)
    parser.add_argument("--threads", type=int, default=2, help="torch / OpenMP threads")
    parser.add_argument("--device", default="cpu", help="torch device: cpu, cuda or auto")
    parser.add_argument("--methods", nargs="+", default=["smote", "borderline1", "adasyn"])
    parser.add_argument("--skip-imblearn", action="store_true")
    parser.add_argument(
        "--also-exact", action="store_true", help="also time torch without bf16 screening"
    )
    args = parser.parse_args()
    unknown = sorted(set(args.methods) - set(METHODS))
    if unknown:
        parser.error(f"unknown methods {unknown}; choose from {list(METHODS)}")

    import os

    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # inherited by the spawned workers
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{args.rows:,} rows x {args.features} features, {args.minority:.0%} minority, "
        f"{args.threads} threads, torch on {args.device}; load average at start {load}\n"
    )
    exact_col = " torch exact s | exact speed-up |" if args.also_exact else ""
    print(
        f"| method | imblearn s | torch s | speed-up |{exact_col} imblearn peak RSS MB "
        "| torch peak RSS MB |"
    )
    print("|---|---|---|---|" + "---|---|" * args.also_exact + "---|---|")
    for method in args.methods:
        ref = None if args.skip_imblearn else run_isolated(args, method, "imblearn")
        ours = run_isolated(args, method, "torch")
        exact = ""
        if args.also_exact:
            plain = run_isolated(args, method, "torch-exact")
            ratio = f"{ref['seconds'] / plain['seconds']:.1f}x" if ref else "-"
            exact = f" {plain['seconds']:.1f} | {ratio} |"
        speed = f"{ref['seconds'] / ours['seconds']:.1f}x" if ref else "-"
        ref_s = f"{ref['seconds']:.1f}" if ref else "-"
        ref_rss = f"{ref['rss_mb']:.0f}" if ref else "-"
        gpu = f" (GPU peak {ours['gpu_mb']:.0f})" if ours["gpu_mb"] else ""
        print(
            f"| {method} | {ref_s} | {ours['seconds']:.1f} | {speed} |{exact} {ref_rss} "
            f"| {ours['rss_mb']:.0f}{gpu} |",
            flush=True,
        )
    print(f"\nload average at end {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
