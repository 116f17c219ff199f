"""Nested hyper-parameter tuning: Optuna trials on inner folds, scores on untouched folds.

For each outer fold of the run's repeated stratified k-fold, an Optuna study (TPE, seeded)
scores every trial by the mean minority AP over ``tune.inner_folds`` stratified folds of
the outer *training* rows only. The best trial's settings are then fitted on the whole
outer training fold and scored on the outer test fold, which no trial has seen. The
reported metrics are those outer-fold scores; each fold's chosen settings and inner score
are recorded beside them.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from pathlib import Path

import numpy as np
import optuna
import yaml
from hydra_plugins.hydra_optuna_sweeper._impl import create_params_from_overrides
from omegaconf import DictConfig, OmegaConf
from sklearn.model_selection import StratifiedKFold

from genover.data import Dataset
from genover.evaluation.rundir import summarise, write_run_outputs
from genover.experiment import (
    Method,
    MethodResult,
    check_folds,
    config_choices,
    evaluate_method,
    load_configured_dataset,
)
from genover.experiment.config import target_name
from genover.experiment.crossval import fold_splits

log = logging.getLogger(__name__)


def search_space(cfg: DictConfig) -> dict:
    """``tune.params`` (Hydra's Optuna-sweeper grammar: choice, interval, tag(log, ...))
    as Optuna distributions."""
    params = OmegaConf.to_container(cfg.tune.params, resolve=True) or {}
    if not params:
        raise ValueError(
            "tune.params is empty: name the settings to tune, e.g. "
            "tune.params={sampler.lr: 'tag(log, interval(1e-4, 3e-3))'}."
        )
    overrides = [f"{key}={_grammar(value)}" for key, value in params.items()]
    space, fixed = create_params_from_overrides(overrides)
    if fixed:
        raise ValueError(
            f"tune.params {sorted(fixed)} are fixed values, not search ranges; "
            "set them as plain overrides instead."
        )
    return space


def _grammar(value) -> str:
    return str(value) if not isinstance(value, list) else ",".join(map(str, value))


def with_params(cfg: DictConfig, params: dict) -> DictConfig:
    """A copy of ``cfg`` with the trial's dotted-key settings applied."""
    out = copy.deepcopy(cfg)
    OmegaConf.set_struct(out, False)
    for key, value in params.items():
        if isinstance(value, str):  # Optuna keeps list choices as text, e.g. "[128,128]"
            value = yaml.safe_load(value)
        OmegaConf.update(out, key, value, merge=False)
    return out


def subset(dataset: Dataset, rows: np.ndarray) -> Dataset:
    """The dataset restricted to ``rows`` (same schema and class names)."""
    return dataclasses.replace(dataset, X=dataset.X[rows], y=dataset.y[rows])


def inner_score(dataset: Dataset, cfg: DictConfig, inner_folds: int, seed: int) -> float:
    """Mean minority AP of ``cfg.sampler`` over stratified inner folds of ``dataset``."""
    method = Method(_name(cfg), OmegaConf.to_container(cfg.sampler, resolve=True))
    splits = list(
        StratifiedKFold(inner_folds, shuffle=True, random_state=seed).split(dataset.X, dataset.y)
    )
    result = evaluate_method(dataset, method, splits, cfg)
    return float(np.mean([r["ap"] for r in result.records]))


def _name(cfg: DictConfig) -> str:
    return config_choices(cfg).get("sampler") or target_name(cfg.sampler)


def tune_fold(
    dataset: Dataset, cfg: DictConfig, train: np.ndarray, index: int
) -> tuple[dict, float, list[dict]]:
    """(best settings, their inner AP, every trial) for one outer training fold."""
    settings = cfg.tune
    seed = int(cfg.seed) + index
    inner = subset(dataset, train)
    try:
        check_folds(inner, int(settings.inner_folds), 1)
    except ValueError as err:
        cap = cfg.get("minority_cap")
        hint = f" (minority_cap={cap} leaves that few: raise it)" if cap is not None else ""
        raise ValueError(f"tune.inner_folds={settings.inner_folds}: {err}{hint}") from err
    space = search_space(cfg)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    trials = []
    for number in range(int(settings.n_trials)):
        trial = study.ask(space)
        score = inner_score(inner, with_params(cfg, trial.params), int(settings.inner_folds), seed)
        study.tell(trial, score)
        trials.append({"outer_fold": index, "trial": number, "inner_ap": score, **trial.params})
        log.info(
            "outer fold %d, trial %d: inner AP %.4f with %s", index, number, score, trial.params
        )
    return dict(study.best_params), float(study.best_value), trials


def run_nested(cfg: DictConfig, output_dir: str | Path | None = None) -> dict:
    """Tune on inner folds of every outer training fold and report the outer folds only."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dataset = load_configured_dataset(cfg)
    folds = int(cfg.folds)
    splits = fold_splits(dataset, cfg)
    name = _name(cfg)
    total, chosen, trials = MethodResult(), [], []
    for index, (train, test) in enumerate(splits):
        best, score, fold_trials = tune_fold(dataset, cfg, train, index)
        trials += fold_trials
        tuned = with_params(cfg, best)
        method = Method(name, OmegaConf.to_container(tuned.sampler, resolve=True))
        outer = evaluate_method(dataset, method, [(train, test)], tuned)
        repeat, fold = divmod(index, folds)
        for record in outer.records:
            record.update(repeat=repeat, fold=fold)
        for outcome in outer.outcomes:
            outcome.update(
                repeat=repeat,
                fold=fold,
                **{f"tuned.{k}": v for k, v in best.items()},
                **{"tuned.inner_ap": score},
            )
        total.records += outer.records
        total.outcomes += outer.outcomes
        total.quality += outer.quality
        total.curves[0].extend(outer.curves[0])
        total.curves[1].extend(outer.curves[1])
        total.seconds += outer.seconds
        chosen.append({"repeat": repeat, "fold": fold, "inner_ap": score, "params": best})
    methods = [Method(name, OmegaConf.to_container(cfg.sampler, resolve=True))]
    payload = summarise(dataset, cfg, methods, {name: total}, {}, config_choices(cfg))
    payload["tuning"] = {
        "design": "nested: trials scored on inner folds of each outer training fold; "
        "metrics are the untouched outer test folds",
        "n_trials": int(cfg.tune.n_trials),
        "inner_folds": int(cfg.tune.inner_folds),
        "chosen": chosen,
        "trials": trials,
    }
    if output_dir is not None:
        write_run_outputs(Path(output_dir), payload, {name: total}, dataset, cfg)
    return payload
