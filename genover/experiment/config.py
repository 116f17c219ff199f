"""From a composed config to the objects of one experiment: methods, names, the dataset.

Method names come from Hydra's config-group choices (``hydra.runtime.choices``), never from
keys inside the configs. Baselines are a Hydra group of their own: each sampler config in
``conf/sampler`` is also a ``baselines`` option placed at ``baselines.<name>``, so that
``baselines=[none,smote]`` selects them and ``baselines.smote.k_neighbors=3`` overrides one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

import numpy as np
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from genover.data import Dataset, load_dataset


@dataclass(frozen=True)
class Method:
    """A named sampler configuration evaluated in the experiment."""

    name: str
    sampler: dict


def group_config_names(group: str) -> list[str]:
    """Names of the configs shipped in ``conf/<group>``."""
    folder = resources.files("genover.conf") / group
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def sampler_config_names() -> list[str]:
    """Names of the sampler configs shipped in ``conf/sampler``."""
    return group_config_names("sampler")


def register_list_groups() -> None:
    """Groups that select several options of another group at once:

    - ``baselines``: every ``conf/sampler`` option at ``baselines.<name>``
      (``baselines=[none,smote]``, ``baselines.smote.k_neighbors=3``);
    - ``classifiers``: every ``conf/classifier`` option at ``classifiers.<name>``, the
      classifiers trained beside the run's own on the rows of one sampler fit
      (``classifiers=[knn,xgboost]``, ``classifiers.xgboost.imbalance=balanced``).
    """
    store = ConfigStore.instance()
    for group, source in (("baselines", "sampler"), ("classifiers", "classifier")):
        for name in group_config_names(source):
            node = {"defaults": [{f"/{source}@_here_": name}]}
            store.store(group=group, name=name, node=node, package=f"{group}.{name}")


register_list_groups()  # Hydra's plugin pattern: options exist once genover is imported


def config_choices(cfg: DictConfig, choices: Mapping | None = None) -> dict:
    """The config-group choices behind ``cfg`` (``sampler``, ``classifier``, ``loss``, ...):
    given, from the running Hydra app, or from a ``hydra`` node composed into ``cfg``."""
    if choices is not None:
        return dict(choices)
    if HydraConfig.initialized():
        return dict(HydraConfig.get().runtime.choices)
    if "hydra" in cfg:
        return dict(cfg.hydra.runtime.choices)
    return {}


def target_name(node: DictConfig) -> str:
    """A name for a config composed outside Hydra's choices: its class, lower-cased."""
    return str(node.get("_target_", "unnamed")).rsplit(".", 1)[-1].lower()


def experiment_methods(cfg: DictConfig, choices: Mapping) -> list[Method]:
    """The configured sampler first, then each baseline it does not already cover."""
    main = choices.get("sampler") or target_name(cfg.sampler)
    methods = [Method(main, OmegaConf.to_container(cfg.sampler, resolve=True))]
    for name, node in (cfg.get("baselines") or {}).items():
        if name != main:
            methods.append(Method(name, OmegaConf.to_container(node, resolve=True)))
    return methods


def experiment_classifiers(cfg: DictConfig, choices: Mapping) -> dict[str, dict]:
    """The run's classifier first, then each of ``classifiers`` it does not already cover,
    as name -> config (every one is trained on the rows of one sampler fit per fold)."""
    main = choices.get("classifier") or target_name(cfg.classifier)
    out = {main: OmegaConf.to_container(cfg.classifier, resolve=True)}
    for name, node in (cfg.get("classifiers") or {}).items():
        if name != main:
            out[name] = OmegaConf.to_container(node, resolve=True)
    return out


def build(node: dict | DictConfig):
    """Instantiate a ``_target_`` config (nested ``_target_`` entries included)."""
    conf = node if isinstance(node, dict) else OmegaConf.to_container(node, resolve=True)
    return instantiate(conf, _convert_="all")


def load_configured_dataset(cfg: DictConfig) -> Dataset:
    """The dataset named by ``cfg.data`` with the config's target/categorical/impute/seed."""
    return load_dataset(
        cfg.data,
        target=cfg.get("target"),
        categorical=cfg.get("categorical"),
        impute=cfg.get("impute"),
        seed=int(cfg.seed),
    )


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
