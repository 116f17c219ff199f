"""What one run leaves in its directory: metrics.json, folds.csv, timings.json, plots and
TensorBoard scalars and PR curves."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from genover.atomic import atomic_write_text
from genover.data.sources import data_fingerprint
from genover.evaluation.metrics import SUMMARY_METRICS

log = logging.getLogger(__name__)
_ID_COLUMNS = ("method", "repeat", "fold", "n_train", "n_test", "minority_train")


def _mean_std(frame: pd.DataFrame) -> dict:
    """Mean and sample standard deviation (n - 1, as in the report; 0 for a single value)."""
    return {
        c: {
            "mean": float(frame[c].mean()),
            "std": float(frame[c].std(ddof=1)) if frame[c].count() > 1 else 0.0,
        }
        for c in frame.columns
    }


def summarise(
    dataset,
    cfg: DictConfig,
    methods,
    results: dict,
    failures: dict,
    choices=None,
    classifiers: list[str] | None = None,
) -> dict:
    """The ``metrics.json`` payload: mean and std over folds per method and metric, and the
    mean sample quality of methods that generated rows. With several ``classifiers`` (one
    sampler fit feeding each), ``metrics`` are the first one's and ``by_classifier`` holds
    every one's."""
    summary, records = {}, []
    for method in methods:
        if method.name in failures:
            summary[method.name] = {"status": "failed", "error": failures[method.name]}
            continue
        result = results[method.name]
        records += result.records
        frame = pd.DataFrame(result.records).drop(columns=list(_ID_COLUMNS))
        outcomes = [_without_timings(o) for o in result.outcomes]
        entry = {"status": "ok", "sampler": method.sampler}
        if "classifier" in frame.columns:
            by = {
                str(name): _mean_std(group.drop(columns="classifier"))
                for name, group in frame.groupby("classifier", sort=False)
            }
            first = classifiers[0] if classifiers else next(iter(by))
            entry["metrics"], entry["by_classifier"] = by[first], by
            generation = [o for o in outcomes if o.get("classifier") == first]
        else:
            entry["metrics"], generation = _mean_std(frame), outcomes
        entry["generation"] = generation_summary(generation)
        entry["fold_outcomes"] = outcomes
        summary[method.name] = entry
        quality = [q for q in result.quality if q]
        if quality:
            summary[method.name]["sample_quality"] = _mean_std(pd.DataFrame(quality))
    return {
        "dataset": dataset.summary(),
        "classifier": OmegaConf.to_container(cfg.classifier, resolve=True),
        "classifiers": list(classifiers or []),
        "choices": {
            group: str(choice)
            for group, choice in (choices or {}).items()
            if group in ("sampler", "classifier", "loss", "transform", "experiment") and choice
        },
        "cv": {
            "folds": int(cfg.folds),
            "repeats": int(cfg.repeats),
            "seed": int(cfg.seed),
            "minority_cap": cfg.get("minority_cap"),
        },
        "evaluation": OmegaConf.to_container(cfg.evaluation, resolve=True),
        "headline": "ap",
        "config_hash": config_hash(cfg),
        "data_fingerprint": data_fingerprint(str(cfg.data)),
        "methods": summary,
        "folds": records,
    }


# Settings that change how a job runs, not what it computes.
_RUNTIME_KEYS = ("resume", "threads", "n_jobs", "hydra", "reuse")
# Settings added later whose default leaves the job what it was: dropped from the hash at that
# default, so archived sweeps (benchmarks/*/runs.tar.gz) still resume.
_NEUTRAL_TOP = {"synthetic_weight": 1.0}
# genover's lr/rf/hgb with imbalance=none are the sklearn classes the configs used to name.
_SKLEARN_TWINS = {
    "genover.classifiers.LogisticRegression": "sklearn.linear_model.LogisticRegression",
    "genover.classifiers.RandomForestClassifier": "sklearn.ensemble.RandomForestClassifier",
    "genover.classifiers.HistGradientBoostingClassifier": (
        "sklearn.ensemble.HistGradientBoostingClassifier"
    ),
}


def _hash_view(node):
    """``node`` with neutral, later-added settings written as the config said them before."""
    if isinstance(node, list):
        return [_hash_view(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _hash_view(v) for k, v in node.items()}
    if out.get("_target_") in _SKLEARN_TWINS and out.get("imbalance") == "none":
        out["_target_"] = _SKLEARN_TWINS[out.pop("_target_")]
        out.pop("imbalance")
    return out


def config_hash(cfg: DictConfig) -> str:
    """SHA-256 of the job's resolved config, less the runtime-only keys (``resume``,
    ``threads``, ``n_jobs``, ``reuse``)."""
    resolved = OmegaConf.to_container(cfg, resolve=True)
    for key in _RUNTIME_KEYS:
        resolved.pop(key, None)
    for key, neutral in _NEUTRAL_TOP.items():
        if resolved.get(key) == neutral:
            resolved.pop(key)
    text = json.dumps(_hash_view(resolved), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def completed_run(out: Path, cfg: DictConfig) -> dict | None:
    """The metrics of a finished run in ``out`` made with this very config from the same
    data (size and SHA-256 of a ``file:``/``keel:`` file), in which at least one method
    succeeded; else None (the job runs again)."""
    path = out / "metrics.json"
    if not path.exists() or not (out / "folds.csv").exists():
        return None
    try:
        metrics = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(metrics, dict) or metrics.get("config_hash") != config_hash(cfg):
        return None
    methods = metrics.get("methods") or {}
    if not any(m.get("status") == "ok" for m in methods.values()):
        return None
    return metrics if _same_data(metrics.get("data_fingerprint"), str(cfg.data)) else None


def _same_data(recorded: dict | None, spec: str) -> bool:
    """Whether the data behind ``spec`` is still what a run recorded. The content decides:
    a copied or touched file with the same bytes (a new mtime) counts as the same."""
    if recorded is None:  # a run from before fingerprints: bundled data (keel:) is trusted,
        return not spec.startswith("file:")  # a user's file (present or not) is not
    now = data_fingerprint(spec)
    if now is None:  # the file is gone: rerun, which names the missing file
        return False
    return all(recorded.get(k) == now[k] for k in ("size", "sha256"))


def _without_timings(outcome: dict) -> dict:
    """An outcome without its wall-clock fields (they go to timings.json, so that
    metrics.json stays byte-identical for a seed)."""
    return {k: v for k, v in outcome.items() if not k.endswith("_seconds")}


def generation_summary(outcomes: list[dict]) -> dict:
    """Synthetic rows per fold: mean, and how many folds generated none (which makes the
    method's scores those of no resampling on that fold)."""
    rows = [o["synthetic_rows"] for o in outcomes if "synthetic_rows" in o]
    if not rows:
        return {}
    none = sum(1 for r in rows if r == 0)
    out = {
        "mean_synthetic_rows": float(np.mean(rows)),
        "folds": len(rows),
        "folds_without_synthetic_rows": none,
        "share_folds_without_synthetic_rows": none / len(rows),
    }
    amounts = [o["sampler.amount"] for o in outcomes if "sampler.amount" in o]
    if amounts:
        out["mean_amount"] = float(np.mean(amounts))
    choices = [o["sampler.auto_choice"] for o in outcomes if "sampler.auto_choice" in o]
    if choices:  # AutoSampler: how many folds each candidate was chosen in
        out["choices"] = {str(k): int(v) for k, v in pd.Series(choices).value_counts().items()}
    return out


def fold_table(results: dict) -> pd.DataFrame:
    """folds.csv: each fold's scores beside what the fit decided and did (outcome columns)."""
    frames = []
    for result in results.values():
        scores = pd.DataFrame(result.records)
        outcomes = pd.DataFrame(result.outcomes).drop(
            columns=["repeat", "fold", "classifier"], errors="ignore"
        )
        frames.append(pd.concat([scores, outcomes], axis=1))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def json_safe(value):
    """``value`` with every NaN or infinite float as None (JSON's null: NaN is not JSON)."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def write_run_outputs(out: Path, payload: dict, results: dict, dataset, cfg: DictConfig) -> None:
    """folds.csv, timings.json, TensorBoard, plots and, last, metrics.json (deterministic).

    Every file is written atomically and metrics.json comes last, so its presence means the
    run finished: a job killed mid-way leaves none, and ``resume=true`` reruns it.
    """
    metrics = {k: v for k, v in payload.items() if k != "folds"}
    atomic_write_text(out / "folds.csv", fold_table(results).to_csv(index=False))
    timings = {
        name: {
            "seconds": round(r.seconds, 3),
            "folds": [
                {k: v for k, v in o.items() if k in ("repeat", "fold") or k.endswith("_seconds")}
                for o in r.outcomes
            ],
        }
        for name, r in results.items()
    }
    atomic_write_text(out / "timings.json", json.dumps(timings, indent=2) + "\n")
    curves = {
        name: (np.concatenate(r.curves[0]), np.concatenate(r.curves[1]))
        for name, r in results.items()
        if r.curves[0]
    }
    write_tensorboard(out / "tensorboard", payload, curves)
    if cfg.evaluation.plots:
        write_plots(out / "plots", curves, results, dataset)
    text = json.dumps(json_safe(metrics), indent=2, sort_keys=True, allow_nan=False)
    atomic_write_text(out / "metrics.json", text + "\n")
    log.info("results in %s\n%s", out, format_table(payload))


def write_plots(folder: Path, curves: dict, results: dict, dataset) -> None:
    from genover.evaluation.plots import plot_pr_curves, plot_roc_curves, plot_synthetic_pca

    if curves:
        title = f"{dataset.name}: minority class {dataset.class_names[dataset.minority_class]!r}"
        plot_pr_curves(curves, folder / "pr_curves.png", title)
        plot_roc_curves(curves, folder / "roc_curves.png", title)
    for name, result in results.items():
        if result.synthetic_view is None:
            continue
        real, y_real, fake, y_fake = result.synthetic_view
        label = dataset.minority_class
        plot_synthetic_pca(
            real[y_real == label],
            fake[y_fake == label],
            real[y_real != label],
            folder / f"synthetic_pca_{name}.png",
            f"{name} on {dataset.name} (fold 1)",
        )


def write_tensorboard(log_dir: Path, payload: dict, curves: dict) -> None:
    """Per-fold scalars (step = fold index), fold means, and pooled PR curves."""
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(log_dir=str(log_dir)) as writer:
        steps: dict[str, int] = {}
        for record in payload["folds"]:
            step = steps[record["method"]] = steps.get(record["method"], -1) + 1
            for metric in SUMMARY_METRICS:
                if metric in record:
                    writer.add_scalar(f"{record['method']}/{metric}", record[metric], step)
        for name, result in payload["methods"].items():
            for metric, stats in result.get("metrics", {}).items():
                if metric in SUMMARY_METRICS:
                    writer.add_scalar(f"summary/{metric}/{name}", stats["mean"], 0)
        for name, (truth, scores) in curves.items():
            writer.add_pr_curve(f"pr_curve/{name}", truth.astype(int), scores, 0)


def _resamples_nothing(sampler: dict | None) -> bool:
    """``sampler=none``: imbalanced-learn's FunctionSampler without a function."""
    sampler = sampler or {}
    return sampler.get("_target_") == "imblearn.FunctionSampler" and not sampler.get("func")


def what_it_did(result: dict) -> list[str]:
    """A method's synthetic rows per fold and, in words, what it did on the folds: a dash for
    no resampling; for AutoSampler its choices and in how many folds."""
    if _resamples_nothing(result.get("sampler")):
        return ["-", "-"]
    generated = result.get("generation") or {}
    if not generated:
        return ["-", "-"]
    folds, choices = generated["folds"], generated.get("choices")
    if choices:
        did = "chose " + ", ".join(f"{name} in {n}/{folds} folds" for name, n in choices.items())
    else:
        without = generated["folds_without_synthetic_rows"]
        did = (
            f"generated rows in {folds - without}/{folds} folds"
            if without
            else f"generated rows in every fold ({folds})"
        )
    return [f"{generated['mean_synthetic_rows']:.0f}", did]


def format_table(payload: dict) -> str:
    """A compact per-method table of mean ± std, AP first, and what each method did."""
    shown = ("ap", "roc_auc", "f1", "fbeta_tuned", "mcc", "gmean", "balanced_accuracy")
    header = ["method", *shown, "synthetic/fold", "what it did"]
    rows, failures = [], []
    for name, result in payload["methods"].items():
        if result["status"] != "ok":
            rows.append([name, "failed (below)"])
            failures.append(f"{name} failed: {result['error']}")
            continue
        counts = what_it_did(result)
        by = result.get("by_classifier") or {None: result["metrics"]}
        for classifier, stats in by.items():
            label = name if classifier is None else f"{name} + {classifier}"
            rows.append(
                [label]
                + [
                    f"{stats[m]['mean']:.3f}±{stats[m]['std']:.3f}" if m in stats else "-"
                    for m in shown
                ]
                + counts
            )
    widths = [
        max(len(str(r[i])) for r in [header, *rows] if i < len(r)) for i in range(len(header))
    ]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=False)) for r in [header, *rows]
    ]
    title = f"{payload['dataset']['name']} (minority AP first; mean±std over folds, sample std n-1)"
    return "\n".join([title, *lines, *failures])  # each error in full
