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
from genover.data.frame import check_categorical
from genover.evaluation.threshold import OBJECTIVES


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


# Config groups named on the command line -> the conf folder holding their options.
GROUP_OPTIONS = {
    "sampler": "sampler",
    "baselines": "sampler",
    "classifier": "classifier",
    "classifiers": "classifier",
    "loss": "loss",
    "transform": "transform",
    "experiment": "experiment",
}


def check_choices(overrides: list[str]) -> None:
    """Reject an unknown option of a config group on the command line (``sampler=bogus``,
    ``baselines=[smote,bogus]``, a sweep ``sampler=smote,bogus``) before Hydra composes
    anything, listing the valid names. Hydra reports malformed overrides itself."""
    import difflib

    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        parsed = OverridesParser.create().parse_overrides(
            [a for a in overrides if "=" in a and not a.startswith("-")]
        )
    except HydraException:
        return
    for override in parsed:
        folder = GROUP_OPTIONS.get(override.key_or_group)
        if folder is None or override.is_delete() or override.package is not None:
            continue
        values = (
            list(override.sweep_iterator()) if override.is_sweep_override() else [override.value()]
        )
        names = group_config_names(folder)
        for value in values:
            for name in value if isinstance(value, list) else [value]:
                if name is None or str(name) in names:
                    continue
                close = difflib.get_close_matches(str(name), names, n=3)
                hint = f" Closest: {', '.join(close)}." if close else ""
                raise ValueError(
                    f"{override.key_or_group}={name}: no such option.{hint} "
                    f"Choose from: {', '.join(names)}."
                )


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
    """The configured sampler first, then each baseline. A baseline with the sampler's name
    and the same settings is the same method (run once); with other settings it runs as
    ``<name> (baseline)``, e.g. ``sampler=smote sampler.k_neighbors=2 baselines=[smote]``."""
    main = choices.get("sampler") or target_name(cfg.sampler)
    methods = [Method(main, OmegaConf.to_container(cfg.sampler, resolve=True))]
    for name, node in (cfg.get("baselines") or {}).items():
        settings = OmegaConf.to_container(node, resolve=True)
        if name == main:
            if settings == methods[0].sampler:
                continue
            name = f"{name} (baseline)"
        methods.append(Method(name, settings))
    return methods


def experiment_classifiers(cfg: DictConfig, choices: Mapping) -> dict[str, dict]:
    """The run's classifier first, then each of ``classifiers`` it does not already cover,
    as name -> config (every one is trained on the rows of one sampler fit per fold). A
    listed classifier with class weighting is named with it, e.g. ``rf[imbalance=balanced]``
    (as the report names the run's own), so that weighted and unweighted arms stay apart."""
    main = choices.get("classifier") or target_name(cfg.classifier)
    out = {main: OmegaConf.to_container(cfg.classifier, resolve=True)}
    for name, node in (cfg.get("classifiers") or {}).items():
        if name != main:
            settings = OmegaConf.to_container(node, resolve=True)
            imbalance = settings.get("imbalance", "none")
            out[name if imbalance == "none" else f"{name}[imbalance={imbalance}]"] = settings
    return out


def build(node: dict | DictConfig):
    """Instantiate a ``_target_`` config (nested ``_target_`` entries included)."""
    conf = node if isinstance(node, dict) else OmegaConf.to_container(node, resolve=True)
    return instantiate(conf, _convert_="all")


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_config(cfg: DictConfig) -> None:
    """Reject settings that cannot work before any data is read, naming the option, the value
    and a valid alternative (only the options present in ``cfg`` are checked)."""
    for key, what in (("threads", "a thread count"), ("n_jobs", "a number of processes")):
        value = cfg.get(key, "auto")
        if value != "auto" and not (_whole(value) and value >= 1):
            raise ValueError(
                f"{key}={value!r} is not {what}: use a positive whole number "
                f"(e.g. {key}=1) or {key}=auto."
            )
    cap = cfg.get("minority_cap")
    if cap is not None and not (_whole(cap) and cap >= 2):
        raise ValueError(
            f"minority_cap={cap!r}: use a whole number of at least 2 minority rows per training "
            "fold (e.g. minority_cap=20), or minority_cap=null for no cap."
        )
    weight = cfg.get("synthetic_weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight >= 0:
        raise ValueError(
            f"synthetic_weight={weight!r}: use a non-negative number, the sample weight of each "
            "synthetic row (1.0 = as real rows, e.g. synthetic_weight=0.5)."
        )
    for key in ("folds", "repeats"):
        if key in cfg and not _whole(cfg.get(key)):
            raise ValueError(f"{key}={cfg.get(key)!r}: use a whole number (e.g. {key}=5).")
    seed = cfg.get("seed", 0)
    if not (_whole(seed) and 0 <= seed < 2**32):
        raise ValueError(f"seed={seed!r}: use a whole number from 0 to 2**32 - 1 (e.g. seed=0).")
    tune = cfg.get("tune")
    for key, least in (("n_trials", 1), ("inner_folds", 2)):
        value = tune.get(key) if tune is not None else least
        if not (_whole(value) and value >= least):
            raise ValueError(
                f"tune.{key}={value!r}: use a whole number of at least {least} "
                f"(e.g. tune.{key}={max(least, 3)})."
            )
    check_categorical(cfg.get("categorical"))
    beta = (cfg.get("evaluation") or {}).get("beta", 2.0)
    if isinstance(beta, bool) or not isinstance(beta, int | float) or not beta > 0:
        raise ValueError(
            f"evaluation.beta={beta!r}: F-beta needs a positive weight of recall over "
            "precision (e.g. evaluation.beta=2 for F2, evaluation.beta=1 for F1)."
        )
    threshold = (cfg.get("evaluation") or {}).get("threshold")
    if threshold is not None:
        _validate_threshold(threshold)
    _validate_classifiers(cfg)


def _validate_classifiers(cfg: DictConfig) -> None:
    """Check each classifier's settings by sklearn's own parameter constraints (e.g.
    ``classifier.imbalance=bogus``) before any data is read."""
    from sklearn.utils._param_validation import InvalidParameterError

    nodes = {"classifier": cfg.get("classifier")}
    nodes.update({f"classifiers.{k}": v for k, v in (cfg.get("classifiers") or {}).items()})
    for key, node in nodes.items():
        if node is None or "_target_" not in node:
            continue
        estimator = build(node)
        if not hasattr(estimator, "_parameter_constraints"):  # not declared: nothing to check
            continue
        try:
            estimator._validate_params()
        except InvalidParameterError as err:
            raise ValueError(f"{key}: {err} Set it with {key}.<parameter>=<value>.") from err


def _validate_threshold(settings: DictConfig) -> None:
    prefix = "evaluation.threshold"
    fraction = settings.get("val_fraction")
    if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction < 1:
        raise ValueError(
            f"{prefix}.val_fraction={fraction!r}: use a fraction of the training fold between 0 "
            f"and 1 (e.g. {prefix}.val_fraction=0.2)."
        )
    objective = settings.get("objective")
    if objective not in OBJECTIVES:
        raise ValueError(
            f"{prefix}.objective={objective!r}: use one of {', '.join(OBJECTIVES)} "
            f"(e.g. {prefix}.objective=fbeta)."
        )
    cost = settings.get("cost")
    if objective == "cost" and cost is None:
        raise ValueError(
            f"{prefix}.objective=cost needs a cost matrix: add "
            f"{prefix}.cost=[[0,1],[20,0]] ([[c_tn, c_fp], [c_fn, c_tp]], 0 = majority; here "
            f"a missed minority row costs 20 false alarms), or use {prefix}.objective=fbeta."
        )
    if cost is not None:
        matrix = OmegaConf.to_container(cost) if OmegaConf.is_config(cost) else cost
        try:
            shape = np.asarray(matrix, dtype=float).shape
        except (TypeError, ValueError):
            shape = None
        if shape != (2, 2):
            raise ValueError(
                f"{prefix}.cost={matrix!r} is not a 2x2 matrix of numbers; write it as "
                f"{prefix}.cost=[[0,1],[20,0]] ([[c_tn, c_fp], [c_fn, c_tp]])."
            )


def load_configured_dataset(cfg: DictConfig) -> Dataset:
    """The dataset named by ``cfg.data`` with the config's target/categorical/impute/seed,
    after :func:`validate_config`."""
    validate_config(cfg)
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
    name, count = dataset.class_names[smallest], int(counts[smallest])
    if count < 2:
        raise ValueError(
            f"class {name!r} of {dataset.name} has {count} row: cross-validation needs at "
            "least 2 rows of every class (one to train on and one to test, folds=2). Add rows "
            "of that class, merge it into another class, or drop it from the data."
        )
    if count < folds:
        raise ValueError(
            f"class {name!r} of {dataset.name} has {count} rows, fewer than folds={folds}; "
            f"use folds={count} (or fewer, at least 2)."
        )
