"""How much of a scarcity sweep is duplicate work, from the datasets and folds alone.

A cap at or above a training fold's minority rows keeps every row of that fold, so the fold's
sampler fit (and its classifiers and scores) is the same at that cap, at every larger cap and
with all rows; ``reuse=true`` fits it once. This script loads the sweep's datasets, builds its
folds at every cap (no fitting) and counts the (dataset, cap) jobs that are the all-rows job
and the fold fits that are saved. With ``--runs`` (a finished sweep's directory or .tar.gz)
it also weighs each saved fold by its job's recorded seconds (timings.json), to estimate the
share of the sweep's time saved.

    python scripts/count_duplicate_jobs.py experiment=scarcity_confirm \\
        --runs benchmarks/scarcity/confirm/runs.tar.gz
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
from collections import defaultdict
from pathlib import Path

from hydra import compose, initialize_config_module
from omegaconf import OmegaConf, open_dict

from genover.evaluation.scarcity import cap_label
from genover.experiment import fold_splits, load_configured_dataset
from genover.experiment.reuse import rows_digest


def sweep_axes(overrides: list[str]) -> tuple[object, list[str], list, list[str]]:
    """The composed config and its sweep's datasets, caps and samplers."""
    with initialize_config_module(config_module="genover.conf", version_base="1.3"):
        cfg = compose("config", overrides=overrides, return_hydra_config=True)
    params = cfg.hydra.sweeper.params

    def values(key: str) -> list[str]:
        return [v.strip() for v in str(params[key]).split(",")] if key in params else []

    caps = [None if c == "null" else int(c) for c in values("minority_cap")]
    samplers = values("sampler") or [str(cfg.hydra.runtime.choices.sampler)]
    with open_dict(cfg):
        del cfg["hydra"]
    return cfg, values("data") or [str(cfg.data)], caps, samplers


def fold_groups(cfg, data: str, caps: list) -> dict:
    """Per dataset: its name, minority rows per uncapped training fold, and per fold the
    caps grouped by the rows they keep (caps in one group share one fit)."""
    job = OmegaConf.merge(cfg, {"data": data, "minority_cap": None})
    dataset = load_configured_dataset(job)
    minority = [
        int((dataset.y[train] == dataset.minority_class).sum())
        for train, _ in fold_splits(dataset, job)
    ]
    groups: list[dict[str, list]] = []
    for cap in caps:
        splits = fold_splits(dataset, OmegaConf.merge(job, {"minority_cap": cap}))
        for index, (train, _) in enumerate(splits):
            if len(groups) <= index:
                groups.append(defaultdict(list))
            groups[index][rows_digest(train)].append(cap_label(cap))
    return {"name": dataset.name, "minority": minority, "groups": groups}


def recorded_seconds(runs: str | None) -> dict:
    """(dataset, cap, sampler) -> the job's recorded seconds, from a sweep's directory or a
    .tar.gz of it (metrics.json + timings.json per job); empty without ``runs``."""
    if runs is None:
        return {}
    files: dict[str, dict[str, bytes]] = defaultdict(dict)
    if runs.endswith((".tar.gz", ".tgz")):
        with tarfile.open(runs) as archive:
            for member in archive.getmembers():
                name = Path(member.name)
                if member.isfile() and name.name in ("metrics.json", "timings.json"):
                    files[str(name.parent)][name.name] = archive.extractfile(member).read()
    else:
        for path in Path(runs).rglob("timings.json"):
            if (path.parent / "metrics.json").exists():
                files[str(path.parent)] = {
                    "timings.json": path.read_bytes(),
                    "metrics.json": (path.parent / "metrics.json").read_bytes(),
                }
    out = {}
    for job in files.values():
        if len(job) < 2:
            continue
        metrics, timings = json.loads(job["metrics.json"]), json.loads(job["timings.json"])
        sampler = metrics.get("choices", {}).get("sampler")
        cap = cap_label(metrics["cv"].get("minority_cap"))
        seconds = sum(t["seconds"] for t in timings.values())
        out[(metrics["dataset"]["name"], cap, sampler)] = seconds
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("overrides", nargs="*", default=["experiment=scarcity_confirm"])
    parser.add_argument("--runs", default=None, help="a finished sweep (dir or .tar.gz)")
    args = parser.parse_args(argv)
    cfg, datasets, caps, samplers = sweep_axes(args.overrides)
    seconds = recorded_seconds(args.runs)
    labels = [cap_label(c) for c in caps]
    lines = [
        "| dataset | minority rows per training fold | caps = all rows | fold fits / needed |",
        "|---|---|---|---|",
    ]
    jobs_same = fits = needed = 0
    time_total = time_saved = 0.0
    for data in datasets:
        info = fold_groups(cfg, data, caps)
        all_rows = [g for fold in info["groups"] for g in fold.values() if "all" in g]
        same = [c for c in labels if c != "all" and all(c in g for g in all_rows)]
        jobs_same += len(same)
        folds = len(info["groups"])
        distinct = sum(len(fold) for fold in info["groups"])
        fits += folds * len(caps)
        needed += distinct
        lines.append(
            f"| {info['name']} | {min(info['minority'])}–{max(info['minority'])} | "
            f"{', '.join(same) or '–'} | {folds * len(caps)} / {distinct} |"
        )
        for sampler in samplers:
            for fold in info["groups"]:
                for group in fold.values():
                    cost = [seconds.get((info["name"], c, sampler)) for c in group]
                    known = [c / folds for c in cost if c is not None]
                    time_total += sum(known)
                    if len(known) == len(group) and known:
                        time_saved += sum(known) / len(known) * (len(group) - 1)
    total_jobs = len(datasets) * len(caps) * len(samplers)
    lines += [
        "",
        f"{len(datasets)} datasets x {len(caps)} caps x {len(samplers)} samplers = "
        f"{total_jobs} jobs; {jobs_same * len(samplers)} of them ({jobs_same} (dataset, cap) "
        f"pairs x {len(samplers)} samplers) are the all-rows job.",
        f"Sampler fits (each feeding every classifier): {fits * len(samplers)} before, "
        f"{needed * len(samplers)} after ({1 - needed / fits:.1%} saved).",
    ]
    if seconds:
        lines.append(
            f"Recorded job time covered by --runs: {time_total / 60:.1f} min of job time; the "
            f"folds reuse skips took {time_saved / 60:.1f} min ({time_saved / time_total:.1%})."
        )
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
