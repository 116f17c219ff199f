"""Rerun one archived sweep job with the current code and compare its folds.csv with the archive's.

    nice -n 10 .venv/bin/python scripts/rerun_archived_job.py \
        benchmarks/scarcity/confirm/runs.tar.gz scarcity_confirm/26 --name bagan

The job folder (``<job>/`` inside the tarball: folds.csv and .hydra/) is unpacked to
``<workdir>/archive/<name>``; the job is run again with its recorded overrides (``resume`` and
``threads`` dropped, ``threads=--threads``, ``hydra.mode=RUN``) into ``<workdir>/new/<name>``,
plus any ``--override`` (e.g. an old default, to show a default change is the cause). The log
lists the config keys whose values differ between the archived and the new run (default
changes) and, per metric, the largest absolute difference over the (method, classifier,
repeat, fold) rows; timing columns are left out. ``--compare-only`` skips the rerun.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tarfile
from pathlib import Path

import pandas as pd
from omegaconf import OmegaConf

log = logging.getLogger("rerun_archived_job")

KEYS = ["method", "classifier", "repeat", "fold"]
RUNTIME = ("resume", "threads", "hydra")  # overrides that say how, not what, a job ran


def unpack_job(archive: Path, job: str, dest: Path) -> Path:
    """Extract the members under ``job/`` of ``archive`` into ``dest``; the job folder there."""
    prefix = job.rstrip("/") + "/"
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(prefix)]
        if not members:
            raise ValueError(f"{archive} holds no job {job!r}; list its folders with `tar tzf`")
        tar.extractall(dest, members=members, filter="data")
    return dest / job


def job_overrides(job_dir: Path) -> list[str]:
    """The job's recorded overrides, runtime ones (resume, threads, hydra.*) left out."""
    recorded = OmegaConf.to_container(OmegaConf.load(job_dir / ".hydra" / "overrides.yaml"))
    return [o for o in recorded if _root_key(o) not in RUNTIME]


def _root_key(override: str) -> str:
    """The first component of an override's key: ``hydra`` for ``+hydra.run.dir=x``."""
    return override.split("=", 1)[0].lstrip("+~").split(".", 1)[0]


def rerun(overrides: list[str], run_dir: Path, threads: int) -> None:
    """Run ``genover`` once with ``overrides`` into ``run_dir`` (a single run, not a sweep)."""
    command = [
        sys.executable,
        "-c",
        "from genover.cli import main; main()",
        *overrides,
        f"threads={threads}",
        "hydra.mode=RUN",
        f"hydra.run.dir={run_dir}",
    ]
    log.info("running: %s", " ".join(command))
    subprocess.run(command, check=True)


def flat_config(path: Path) -> dict[str, object]:
    """A run's .hydra/config.yaml as dotted keys, runtime keys left out."""
    frame = pd.json_normalize(OmegaConf.to_container(OmegaConf.load(path)), sep=".")
    flat = frame.iloc[0].to_dict()
    return {k: v for k, v in flat.items() if k.split(".", 1)[0] not in RUNTIME}


def config_changes(old: dict[str, object], new: dict[str, object]) -> list[str]:
    """``key: old -> new`` for every config key that is absent from one run or differs."""
    missing = "(absent)"
    keys = sorted(set(old) | set(new))
    return [
        f"{k}: {old.get(k, missing)} -> {new.get(k, missing)}"
        for k in keys
        if str(old.get(k, missing)) != str(new.get(k, missing))
    ]


def compare_folds(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Per numeric metric of both tables: max |new - old| over the paired rows (timings left out).

    Rows pair on (method, classifier, repeat, fold); ``rows`` counts the pairs, ``unpaired`` the
    rows only one table holds, ``nan_mismatch`` the pairs where exactly one value is missing.
    """
    both = old.merge(new, on=KEYS, how="outer", suffixes=("_old", "_new"), indicator=True)
    paired = both[both["_merge"] == "both"]
    unpaired = int((both["_merge"] != "both").sum())
    metrics = [
        c
        for c in old.columns
        if c in new.columns
        and c not in KEYS
        and not c.endswith("_seconds")
        and pd.api.types.is_numeric_dtype(old[c])
        and pd.api.types.is_numeric_dtype(new[c])
    ]
    rows = []
    for c in metrics:
        a, b = paired[f"{c}_old"].astype(float), paired[f"{c}_new"].astype(float)
        diff = (b - a).abs().max()
        rows.append(
            {
                "metric": c,
                "max_abs_diff": 0.0 if pd.isna(diff) else float(diff),
                "rows": len(paired),
                "unpaired": unpaired,
                "nan_mismatch": int((a.isna() != b.isna()).sum()),
            }
        )
    return pd.DataFrame(
        rows, columns=["metric", "max_abs_diff", "rows", "unpaired", "nan_mismatch"]
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "archive", type=Path, help="run tarball, e.g. benchmarks/scarcity/confirm/runs.tar.gz"
    )
    p.add_argument("job", help="the job's folder inside it, e.g. scarcity_confirm/26")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/rerun"))
    p.add_argument(
        "--name", help="folder name under workdir/archive and workdir/new (default: job)"
    )
    p.add_argument("--override", action="append", default=[], help="extra override (repeatable)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--compare-only", action="store_true", help="compare an existing rerun")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> pd.DataFrame:
    """Unpack, rerun and compare one archived job; log the config changes and the metric table."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = parse_args(argv)
    name = args.name or args.job.strip("/").replace("/", "_")
    old_dir = unpack_job(args.archive, args.job, args.workdir / "archive" / name)
    new_dir = args.workdir / "new" / name
    if not args.compare_only:
        rerun([*job_overrides(old_dir), *args.override], new_dir, args.threads)
    changes = config_changes(
        flat_config(old_dir / ".hydra" / "config.yaml"),
        flat_config(new_dir / ".hydra" / "config.yaml"),
    )
    log.info("config keys that differ (archive -> rerun): %d", len(changes))
    for line in changes:
        log.info("  %s", line)
    table = compare_folds(pd.read_csv(old_dir / "folds.csv"), pd.read_csv(new_dir / "folds.csv"))
    log.info("\n%s", table.to_string(index=False))
    return table


if __name__ == "__main__":
    main()
