"""What one run leaves in its directory: metrics.json, folds.csv, timings.json, TensorBoard."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from genover.evaluation.metrics import SUMMARY_METRICS

log = logging.getLogger(__name__)
_ID_COLUMNS = ("method", "repeat", "fold", "n_train", "n_test")


def summarise(dataset, cfg: DictConfig, methods, records: list[dict], failures: dict) -> dict:
    """The ``metrics.json`` payload: mean and std over folds for each method and metric."""
    frame = pd.DataFrame(records)
    summary = {}
    for method in methods:
        if method.name in failures:
            summary[method.name] = {"status": "failed", "error": failures[method.name]}
            continue
        rows = frame[frame["method"] == method.name]
        metric_cols = [c for c in rows.columns if c not in _ID_COLUMNS]
        summary[method.name] = {
            "status": "ok",
            "sampler": method.sampler,
            "metrics": {
                m: {"mean": float(rows[m].mean()), "std": float(rows[m].std(ddof=0))}
                for m in metric_cols
            },
        }
    return {
        "dataset": dataset.summary(),
        "classifier": OmegaConf.to_container(cfg.classifier, resolve=True),
        "cv": {"folds": int(cfg.folds), "repeats": int(cfg.repeats), "seed": int(cfg.seed)},
        "headline": "ap",
        "methods": summary,
        "folds": records,
    }


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_run_outputs(out: Path, payload: dict, records: list[dict], timings: dict) -> None:
    """metrics.json (deterministic), folds.csv, timings.json and TensorBoard scalars."""
    metrics = {k: v for k, v in payload.items() if k != "folds"}
    atomic_write_text(out / "metrics.json", json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    atomic_write_text(out / "folds.csv", pd.DataFrame(records).to_csv(index=False))
    atomic_write_text(
        out / "timings.json", json.dumps({k: round(v, 3) for k, v in timings.items()}) + "\n"
    )
    write_tensorboard(out / "tensorboard", payload)
    log.info("results in %s\n%s", out, format_table(payload))


def write_tensorboard(log_dir: Path, payload: dict) -> None:
    """Per-fold scalars (step = fold index) and the fold means, one tag per method/metric."""
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(log_dir=str(log_dir)) as writer:
        for step, record in enumerate(r for r in payload["folds"]):
            for metric in SUMMARY_METRICS:
                if metric in record:
                    writer.add_scalar(f"{record['method']}/{metric}", record[metric], step)
        for name, result in payload["methods"].items():
            for metric, stats in result.get("metrics", {}).items():
                writer.add_scalar(f"summary/{metric}/{name}", stats["mean"], 0)


def format_table(payload: dict) -> str:
    """A compact per-method table of mean ± std, AP first."""
    header = ["method", *SUMMARY_METRICS]
    rows = []
    for name, result in payload["methods"].items():
        if result["status"] != "ok":
            rows.append([name, "failed: " + result["error"][:60]])
            continue
        stats = result["metrics"]
        rows.append(
            [name]
            + [
                f"{stats[m]['mean']:.3f}±{stats[m]['std']:.3f}" if m in stats else "-"
                for m in SUMMARY_METRICS
            ]
        )
    widths = [
        max(len(str(r[i])) for r in [header, *rows] if i < len(r)) for i in range(len(header))
    ]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=False)) for r in [header, *rows]
    ]
    title = f"{payload['dataset']['name']} (minority AP first; mean±std over folds)"
    return "\n".join([title, *lines])
