"""How many cores a job may use: torch intra-op ``threads`` and the worker processes
(``n_jobs``) that run a run's (method, fold) units side by side."""

from __future__ import annotations

import os


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS says)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def auto_threads(cores: int, launcher: dict | None, load: float | None = None) -> int:
    """One job's share of the cores: the launcher's ``cpus_per_task`` (submitit), else the
    cores divided by the jobs it runs at once (``n_jobs``, joblib), else every core; with a
    ``load`` (the 1-minute load average), never more than the cores it leaves free (at least
    one), since an intra-op thread that has to wait for a busy core slows the whole fit down."""
    launcher = launcher or {}
    if launcher.get("cpus_per_task"):
        return max(1, int(launcher["cpus_per_task"]))
    n_jobs = int(launcher.get("n_jobs") or 1)
    share = max(1, cores // max(1, n_jobs))
    if load is not None:
        share = min(share, max(1, cores - int(load)))
    return share


def resolve_n_jobs(n_jobs: int | str, launcher: dict | None = None) -> int:
    """Worker processes for one run's (method, fold) units: ``auto`` is the job's share of the
    cores (:func:`auto_threads` without the load cap: independent processes do not wait on
    each other as intra-op threads do, and the OS shares busy cores among them)."""
    if n_jobs == "auto":
        return auto_threads(available_cores(), launcher)
    return int(n_jobs)


def worker_threads(threads: int, n_jobs: int) -> int:
    """Torch intra-op threads per worker: the job's ``threads`` shared among its ``n_jobs``
    workers, at least one each."""
    return max(1, int(threads) // max(1, int(n_jobs)))
