"""One cross-validated experiment: ``run(cfg)`` evaluates a sampler and its baselines.

For every repeated stratified fold, an imbalanced-learn ``Pipeline`` is fitted on the training
rows only: tabular transformer -> sampler (``fit_resample``) -> classifier. The test rows are
then scored through ``predict_proba``. All methods share the same folds (a paired design).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from hydra.utils import instantiate
from imblearn.pipeline import Pipeline
from omegaconf import DictConfig, OmegaConf
from sklearn.model_selection import RepeatedStratifiedKFold

from genover.data import Dataset, OneHotCategoricals, load_dataset
from genover.evaluation.metrics import align_proba, score_probabilities
from genover.evaluation.rundir import summarise, write_run_outputs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Method:
    """A named sampler configuration evaluated in the experiment."""

    name: str
    sampler: dict


def sampler_config_names() -> list[str]:
    """Names of the sampler configs shipped in ``conf/sampler``."""
    folder = resources.files("genover.conf") / "sampler"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_sampler_config(name: str, seed: int) -> dict:
    """The resolved ``conf/sampler/<name>.yaml`` (for baselines listed by name)."""
    available = sampler_config_names()
    if name not in available:
        raise ValueError(f"unknown baseline sampler {name!r}; choose from {available}.")
    text = (resources.files("genover.conf") / "sampler" / f"{name}.yaml").read_text()
    root = OmegaConf.create({"seed": seed, "sampler": OmegaConf.create(text)})
    return OmegaConf.to_container(root, resolve=True)["sampler"]


def experiment_methods(cfg: DictConfig) -> list[Method]:
    """The configured sampler first, then each baseline not already covered."""
    main = OmegaConf.to_container(cfg.sampler, resolve=True)
    methods = [Method(main.get("name", "sampler"), main)]
    for name in cfg.get("baselines") or []:
        if name not in {m.name for m in methods}:
            methods.append(Method(name, load_sampler_config(name, int(cfg.seed))))
    return methods


def _without_names(node):
    if isinstance(node, dict):
        return {k: _without_names(v) for k, v in node.items() if not (k == "name" and "_target_" in node)}
    if isinstance(node, list):
        return [_without_names(v) for v in node]
    return node


def build(node: dict | DictConfig):
    """Instantiate a ``_target_`` config, ignoring the descriptive ``name`` keys in it."""
    conf = node if isinstance(node, dict) else OmegaConf.to_container(node, resolve=True)
    return instantiate(_without_names(conf), _convert_="all")


def check_folds(dataset: Dataset, folds: int, repeats: int) -> None:
    """Reject fold settings the class counts cannot support, naming the fix."""
    if folds < 2 or repeats < 1:
        raise ValueError(f"folds={folds}, repeats={repeats}: need folds>=2 and repeats>=1.")
    counts = dataset.class_counts
    smallest = int(np.argmin(counts))
    if counts[smallest] < folds:
        raise ValueError(
            f"class {dataset.class_names[smallest]!r} of {dataset.name} has {counts[smallest]} "
            f"rows, fewer than folds={folds}; use folds<={counts[smallest]}."
        )


def fold_pipeline(dataset: Dataset, method: Method, cfg: DictConfig) -> Pipeline:
    """transformer -> sampler -> (one-hot for categorical-aware samplers) -> classifier."""
    sampler = build(method.sampler)
    mask = dataset.categorical_mask
    n_categories = [len(c.categories) for c in dataset.columns if c.is_categorical]
    aware = "categorical_features" in sampler.get_params(deep=False) and mask.any()
    transformer = build(cfg.transform).set_params(
        categorical_features=mask,
        n_categories=n_categories or None,
        one_hot=not aware,
        impute=dataset.impute,
    )
    steps = [("transform", transformer)]
    if aware:
        codes_at = np.arange(int((~mask).sum()), mask.size)
        sampler.set_params(categorical_features=codes_at)
        steps.append(("sampler", sampler))
        steps.append(("one_hot", OneHotCategoricals(codes_at, n_categories)))
    else:
        if "categorical_features" in sampler.get_params(deep=False):
            sampler.set_params(categorical_features=None)
        steps.append(("sampler", sampler))
    steps.append(("classifier", build(cfg.classifier)))
    return Pipeline(steps)


def evaluate_method(dataset: Dataset, method: Method, splits, cfg: DictConfig) -> list[dict]:
    """Fit and score ``method`` on every fold; one record per fold."""
    records = []
    minority = dataset.minority_classes
    for index, (train, test) in enumerate(splits):
        pipe = fold_pipeline(dataset, method, cfg)
        pipe.fit(dataset.X[train], dataset.y[train])
        proba = align_proba(pipe.predict_proba(dataset.X[test]), pipe.classes_, dataset.n_classes)
        scores = score_probabilities(dataset.y[test], proba, minority)
        records.append(
            {
                "method": method.name,
                "repeat": index // int(cfg.folds),
                "fold": index % int(cfg.folds),
                **{k: float(v) for k, v in scores.items()},
                "n_train": int(len(train)),
                "n_test": int(len(test)),
            }
        )
    return records


def run(cfg: DictConfig, output_dir: str | Path | None = None) -> dict:
    """Run the experiment described by ``cfg``; write outputs to ``output_dir`` if given.

    Returns the ``metrics.json`` payload: dataset summary, per-method mean/std of every
    metric, and the per-fold records. A method that fails is recorded with its error while
    the others still run.
    """
    dataset = load_dataset(
        cfg.data,
        target=cfg.get("target"),
        categorical=cfg.get("categorical"),
        impute=cfg.get("impute"),
        seed=int(cfg.seed),
    )
    folds, repeats, seed = int(cfg.folds), int(cfg.repeats), int(cfg.seed)
    check_folds(dataset, folds, repeats)
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    splits = list(splitter.split(dataset.X, dataset.y))
    log.info("%s: %s", dataset.name, dataset.summary())
    records, failures, timings = [], {}, {}
    for method in experiment_methods(cfg):
        start = time.perf_counter()
        try:
            records.extend(evaluate_method(dataset, method, splits, cfg))
        except (ValueError, RuntimeError) as err:
            log.error("method %s failed on %s: %s", method.name, dataset.name, err)
            failures[method.name] = f"{type(err).__name__}: {err}"
        timings[method.name] = time.perf_counter() - start
    payload = summarise(dataset, cfg, experiment_methods(cfg), records, failures)
    if output_dir is not None:
        write_run_outputs(Path(output_dir), payload, records, timings)
    return payload
