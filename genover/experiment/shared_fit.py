"""One sampler fit per fold shared by every classifier: the run's classifier is fitted
through its pipeline, each other one on the same resampled rows with its own encoding."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from imblearn.pipeline import Pipeline
from omegaconf import DictConfig

from genover.data import Dataset
from genover.experiment.config import Method
from genover.experiment.fitting import fit_pipeline, takes_eval_set
from genover.experiment.pipeline import ResampledCapture, fold_pipeline
from genover.experiment.weighting import appended_rows, check_sample_weight_support, row_weights


def fit_fold(
    dataset: Dataset,
    method: Method,
    cfg: DictConfig,
    X: np.ndarray,
    y: np.ndarray,
    seed: int,
    classifiers: dict | None = None,
    log_name: str | None = None,
    log_dir: Path | None = None,
    synthetic_weights: Mapping[str, float] | None = None,
) -> tuple[dict[str, tuple[Pipeline, ResampledCapture]], dict, np.ndarray]:
    """Fit the sampler once on ``X, y`` and every classifier on its rows.

    ``classifiers`` maps names to classifier configs, the run's own first (default: the
    run's ``cfg.classifier`` alone). The first is fitted through :func:`fit_pipeline`; each
    other one gets its own encoding (one-hot or native categories) and is fitted on the same
    resampled rows. Each classifier weighs the rows the sampler appended by its entry in
    ``synthetic_weights`` (default: the run's ``synthetic_weight``; real rows weigh 1).
    Returns ``{name: (fitted pipeline, capture)}``, the fit record and the mask of the rows
    the sampler was fitted on.
    """
    items = list((classifiers or {"classifier": cfg.classifier}).items())
    run_weight = float(cfg.get("synthetic_weight", 1.0))
    weights = {name: float((synthetic_weights or {}).get(name, run_weight)) for name, _ in items}
    first, first_node = items[0]
    pipe, capture = fold_pipeline(dataset, method, cfg, log_name, log_dir, first_node)
    tails = {name: _classifier_tail(dataset, method, cfg, name, node) for name, node in items[1:]}
    check_sample_weight_support({first: pipe.steps[-1][1]}, weights)
    check_sample_weight_support({n: tail[-1][1] for n, (tail, _) in tails.items()}, weights)
    record, fitted = fit_pipeline(pipe, X, y, seed, weights[first], capture)
    out = {first: (pipe, capture)}
    head = pipe.steps[: [n for n, _ in pipe.steps].index("resampled")]
    for name, (tail, own_capture) in tails.items():
        weight = weights[name]
        params = {}
        if weight != 1.0:
            appended = appended_rows(pipe.named_steps["sampler"], y[fitted], capture.resampled[1])
            params["classifier__sample_weight"] = row_weights(appended, weight, own_capture)
        Pipeline(tail).fit(*capture.resampled, **params)
        own_capture.synthetic_weight = weight
        out[name] = (Pipeline(head + tail), own_capture)
    return out, record, fitted


def _classifier_tail(dataset, method, cfg, name: str, node) -> tuple[list, ResampledCapture]:
    """The steps after the sampler for classifier ``name``: its own encoding, the capture and
    the classifier (checked before any sampler is fitted)."""
    own, own_capture = fold_pipeline(dataset, method, cfg, classifier=node)
    tail = own.steps[[n for n, _ in own.steps].index("resampled") :]
    if takes_eval_set(tail[-1][1]):
        raise ValueError(
            f"classifier {name!r} early-stops on held-out rows; make it the run's "
            f"`classifier=` and leave it out of `classifiers`."
        )
    return tail, own_capture
