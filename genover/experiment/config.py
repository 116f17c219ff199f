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


def sampler_config_names() -> list[str]:
    """Names of the sampler configs shipped in ``conf/sampler``."""
    folder = resources.files("genover.conf") / "sampler"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def register_baseline_configs() -> None:
    """Make every ``conf/sampler`` option a ``baselines`` option at ``baselines.<name>``."""
    store = ConfigStore.instance()
    for name in sampler_config_names():
        node = {"defaults": [{"/sampler@_here_": name}]}
        store.store(group="baselines", name=name, node=node, package=f"baselines.{name}")


register_baseline_configs()  # Hydra's plugin pattern: options exist once genover is imported


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
