"""Command-line entry points (Hydra apps). ``genover datasets`` lists the bundled datasets."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

import genover.experiment.config  # noqa: F401  (registers the `baselines` config group)
from genover.cores import auto_threads, available_cores, resolve_n_jobs

log = logging.getLogger("genover")
CONFIG_PATH = "pkg://genover.conf"


class JobFailed(RuntimeError):
    """A sweep job that produced nothing usable; Hydra records it as failed, runs the other
    jobs, and the sweep then exits with status 1, listing every failed job."""

    def __init__(self, output_dir: Path, message: str) -> None:
        super().__init__(f"{output_dir}: {message}")
        self.output_dir = output_dir


def _in_sweep() -> bool:
    return HydraConfig.get().mode == RunMode.MULTIRUN


def _optuna_sweep() -> bool:
    """Optuna's sweeper scores a failed trial by its NaN objective; an exception would end
    the whole study."""
    sweeper = HydraConfig.get().get("sweeper") or {}
    return "optuna" in str(sweeper.get("_target_", "")).lower()


def _fail(err: Exception, output_dir: Path, status: int = 2) -> None:
    """Report an error briefly and record it in ``error.json``; stop a single run with
    ``status``; in a sweep, mark the job failed (the other jobs still run)."""
    log.error("%s", err)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "error.json").write_text(
        json.dumps({"error": f"{type(err).__name__}: {err}"}, indent=2) + "\n"
    )
    if not _in_sweep():
        sys.exit(status)
    if not _optuna_sweep():
        raise JobFailed(output_dir, str(err)) from None  # the message says it all


def _launcher() -> dict | None:
    """The sweep's launcher settings (``n_jobs``, ``cpus_per_task``), None for a single run."""
    from omegaconf import OmegaConf

    hydra_cfg = HydraConfig.get()
    if hydra_cfg.mode == RunMode.MULTIRUN and "launcher" in hydra_cfg:
        return OmegaConf.to_container(hydra_cfg.launcher, resolve=False)
    return None


def share_threads(threads: int | str = "auto") -> int:
    """Give this job ``threads`` torch intra-op threads (``auto``: its share of the cores,
    :func:`genover.cores.auto_threads`), so that a 2-job sweep on 2 cores runs one thread per
    job instead of oversubscribing."""
    import torch

    if threads == "auto":
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        threads = auto_threads(available_cores(), _launcher(), load)
    torch.set_num_threads(int(threads))
    log.debug("torch intra-op threads: %d", int(threads))
    return int(threads)


def share_workers(cfg: DictConfig) -> int:
    """Resolve the run's ``n_jobs`` (``auto``: its share of the cores, so a 2-job sweep on 2
    cores runs one worker per job) and write the number into ``cfg``, which records it."""
    from omegaconf import open_dict

    n_jobs = resolve_n_jobs(cfg.get("n_jobs", 1), _launcher())
    with open_dict(cfg):
        cfg.n_jobs = n_jobs
    return n_jobs


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="config")
def experiment_app(cfg: DictConfig) -> float | None:
    """Run one experiment in the Hydra run directory.

    Returns the configured sampler's cross-validated minority AP, the objective that
    Hydra's Optuna sweeper maximises (NaN when the run or the sampler failed). A run in
    which every method failed exits with status 1 (a sweep job: :class:`JobFailed`).
    """
    from genover.evaluation.rundir import completed_run
    from genover.experiment import run, validate_config

    output_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        validate_config(cfg)
        share_threads(cfg.get("threads", "auto"))
        share_workers(cfg)
        done = completed_run(output_dir, cfg) if cfg.get("resume") else None
        if done is not None:
            log.info(
                "resume: %s already holds this job's complete results; skipping it", output_dir
            )
            return _objective(done)
        if cfg.get("tune") is not None:
            from genover.tuning import run_nested

            payload = run_nested(cfg, output_dir=output_dir)
        elif cfg.get("ceiling") is not None:
            from genover.experiment.ceiling import run_ceiling

            payload = run_ceiling(cfg, output_dir=output_dir)
        else:
            payload = run(cfg, output_dir=output_dir, cache=_fold_cache(cfg, output_dir))
    except ValueError as err:
        _fail(err, output_dir)
        return float("nan")
    failed = {n: m.get("error") for n, m in payload["methods"].items() if m["status"] != "ok"}
    if failed and len(failed) == len(payload["methods"]):
        names = ", ".join(failed)
        _fail(RuntimeError(f"every method failed ({names}); see the errors above"), output_dir, 1)
    return _objective(payload)


def _fold_cache(cfg: DictConfig, output_dir: Path):
    """In a sweep (and unless ``reuse=false``), the store that lets its jobs share fold
    results (:mod:`genover.experiment.reuse`); None for a single run."""
    if not _in_sweep():
        return None
    from genover.experiment.reuse import sweep_cache

    return sweep_cache(cfg, output_dir, str(HydraConfig.get().sweep.subdir))


def _objective(payload: dict) -> float:
    main = next(iter(payload["methods"].values()))
    ap = main["metrics"]["ap"]["mean"] if main["status"] == "ok" else None
    return float("nan") if ap is None else ap


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="generate")
def _generate_app(cfg: DictConfig) -> dict | None:
    """Fit a sampler and write the augmented dataset (``genover-generate``)."""
    from omegaconf import MissingMandatoryValue

    from genover.generate import generate

    output_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        return generate(cfg)
    except MissingMandatoryValue:
        _fail(ValueError("say where to write: out=<path>.parquet (or .csv / .npz)."), output_dir)
    except ValueError as err:
        _fail(err, output_dir)
    return None


RESUME_HINT = (
    "A run directory without metrics.json is incomplete; run the same command with "
    "resume=true to redo only unfinished jobs."
)


def interruptible(entry: Callable[[], object], prog: str, hint: str = RESUME_HINT) -> None:
    """Run a command; Ctrl-C ends it with ``hint`` and exit status 130 (128 + SIGINT).

    Hydra's own errors (an unknown option, a malformed override) exit with status 2, and a
    sweep with failed jobs lists each of them and exits with status 1, without a traceback.
    """
    from hydra.errors import CompactHydraException

    os.environ.setdefault("HYDRA_FULL_ERROR", "1")  # Hydra's errors reach us, not exit(1)
    try:
        entry()
    except KeyboardInterrupt:
        sys.stderr.write(f"\n{prog}: interrupted (Ctrl-C). {hint}\n")
        sys.exit(130)
    except CompactHydraException as err:
        cause = str(err.__cause__ or "").split("\n")[0]
        if "not in struct" in cause:
            cause += ": the chosen config has no such setting; check its spelling"
        sys.stderr.write(f"{prog}: {err}" + (f" ({cause})" if cause else "") + "\n")
        sys.exit(2)
    except (PermissionError, FileExistsError, NotADirectoryError) as err:
        sys.stderr.write(
            f"{prog}: cannot write {err.filename}: {err.strerror}. Choose a writable folder "
            "(hydra.run.dir=..., hydra.sweep.dir=... or out=...).\n"
        )
        sys.exit(2)
    except JobFailed as err:
        sys.stderr.write(f"{prog}: {failed_jobs(err.output_dir.parent)}\n")
        sys.exit(1)


def failed_jobs(sweep_dir: Path) -> str:
    """Every job of a sweep that recorded an ``error.json``, one line each."""
    lines = []
    for path in sorted(sweep_dir.glob("*/error.json"), key=lambda p: (len(p.parent.name), p)):
        try:
            error = json.loads(path.read_text()).get("error", "unknown error")
        except (OSError, ValueError):
            error = "error.json unreadable"
        lines.append(f"  {path.parent}: {error}")
    return f"{len(lines)} sweep job(s) failed (the others finished):\n" + "\n".join(lines)


def generate_app() -> None:
    """``genover-generate``: fit a sampler and write the augmented dataset."""
    if _bad_choices(sys.argv[1:], "genover-generate"):
        sys.exit(2)
    interruptible(
        _generate_app,
        "genover-generate",
        "Nothing was written (the table and its manifest are written at the end); run the "
        "same command again.",
    )


def _bad_choices(args: list[str], prog: str) -> bool:
    """Report an unknown config-group option on the command line; True if there was one."""
    from genover.experiment.config import check_choices

    try:
        check_choices(args)
    except ValueError as err:
        sys.stderr.write(f"{prog}: {err}\n")
        return True
    return False


def list_datasets() -> None:
    """Print every KEEL dataset with rows, features and imbalance ratio."""
    from genover.data import keel_datasets, read_keel

    lines = [f"{'name':<40}{'rows':>7}{'features':>10}{'categorical':>13}{'IR':>9}"]
    for name, path in keel_datasets().items():
        info = read_keel(path, impute="median", name=name).summary()
        lines.append(
            f"keel:{name:<35}{info['rows']:>7}{info['features']:>10}"
            f"{info['categorical']:>13}{info['imbalance_ratio']:>9.2f}"
        )
    lines.append(
        "also: sklearn:breast_cancer|wine|iris|digits[:<digit>], "
        "synthetic:n<rows>:d<features>:ir<ratio>:c<classes>, file:<path> target=<column>"
    )
    sys.stdout.write("\n".join(lines) + "\n")


def report_main(argv: list[str] | None = None) -> None:
    """``genover-report <multirun dir>``: ranked, significance-tested tables of a sweep."""
    interruptible(lambda: _report(argv), "genover-report")


def _report(argv: list[str] | None) -> None:
    import argparse

    from genover.evaluation.report import write_report

    parser = argparse.ArgumentParser(
        prog="genover-report",
        description="Summarise a genover multirun: mean ± std per dataset and method, average "
        "ranks, Friedman/Nemenyi with a CD diagram, Wilcoxon-Holm against a baseline, "
        "win/tie/loss counts, and every failed or unfinished run, as report.md and as report.html "
        "(one self-contained page with sortable tables).",
    )
    parser.add_argument("sweep_dir", help="a Hydra multirun directory (or one run directory)")
    parser.add_argument("--metric", default="ap", help="metric to compare (default: ap)")
    parser.add_argument(
        "--baseline",
        default=None,
        help="method to test against (default: smote, when the sweep ran it)",
    )
    parser.add_argument("--out", default=None, help="where to write (default: sweep_dir)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        out = Path(args.out) if args.out else None
        report = write_report(Path(args.sweep_dir), out, args.metric, args.baseline)
    except ValueError as err:
        sys.stderr.write(f"genover-report: {err}\n")
        sys.exit(2)
    target = out or Path(args.sweep_dir)
    ranks = ", ".join(f"{m} {r:.2f}" for m, r in report.ranks.items())
    sys.stdout.write(
        f"wrote {target / 'report.md'}, report.html (one self-contained page) and report.csv\n"
        f"average ranks ({report.metric}): {ranks}\n"
        f"Friedman p = {report.friedman[1]:.4g}; failed runs: {len(report.runs.failed)}; "
        f"unfinished: {len(report.runs.incomplete)}\n"
    )


def main() -> None:
    """``genover``: run an experiment, ``genover datasets`` to list datasets, or
    ``genover advise data=<spec> [domain=...]`` for method recommendations."""
    if len(sys.argv) > 1 and sys.argv[1] == "advise":
        from genover.advise import advise_main

        interruptible(lambda: sys.exit(advise_main(sys.argv[2:])), "genover advise")
    if len(sys.argv) > 1 and sys.argv[1] == "datasets":
        try:
            list_datasets()
        except ValueError as err:
            sys.stderr.write(f"genover: {err}\n")
            sys.exit(2)
        return
    if _bad_choices(sys.argv[1:], "genover"):
        sys.exit(2)
    interruptible(experiment_app, "genover")
