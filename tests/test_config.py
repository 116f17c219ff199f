"""Every option of every config group composes, and its object instantiates."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest
from hydra.core.hydra_config import HydraConfig
from hydra.utils import get_class
from omegaconf import OmegaConf
from sklearn.base import is_classifier

from genover.experiment import build


def _options(group: str) -> list[str]:
    folder = resources.files("genover.conf") / group
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


GROUPS = {g: _options(g) for g in ("sampler", "classifier", "transform", "experiment")}
LIST_GROUPS = ("baselines", "classifiers")  # several options of another group at once
CASES = [(g, o) for g, opts in GROUPS.items() for o in opts]


def test_groups_hold_the_promised_options():
    assert set(GROUPS["sampler"]) >= {
        "none",
        "random_over",
        "random_under",
        "smote",
        "adasyn",
        "borderline1",
        "borderline2",
        "smote_nc",
        "smote_tomek",
    }
    assert set(GROUPS["classifier"]) >= {
        "lr",
        "rf",
        "hgb",
        "knn",
        "brf",
        "easy_ensemble",
        "rusboost",
    }


def _leaves(node: dict, path: tuple = ()):
    """(key path, value) of every leaf of a plain config dict (keys may contain dots)."""
    for key, value in node.items():
        if isinstance(value, dict):
            yield from _leaves(value, (*path, key))
        else:
            yield (*path, key), value


def _experiment_settings(option: str) -> tuple[dict[str, str], dict]:
    """The group choices (``override /group: option``) and the values an experiment file sets,
    following its plain entries (``- scarcity``: another experiment file, merged where it
    stands in the defaults list; ``_self_``, implicitly last, is the file's own values)."""
    raw = OmegaConf.to_container(
        OmegaConf.load(resources.files("genover.conf") / "experiment" / f"{option}.yaml")
    )
    entries = raw.pop("defaults", [])
    raw.pop("hydra", None)
    choices, values = {}, OmegaConf.create({})
    for entry in entries if "_self_" in entries else [*entries, "_self_"]:
        if entry == "_self_":
            values = OmegaConf.merge(values, raw)
        elif isinstance(entry, str):  # another experiment file
            included_choices, included = _experiment_settings(entry)
            choices.update(included_choices)
            values = OmegaConf.merge(values, included)
        else:
            ((key, value),) = entry.items()
            group = key.removeprefix("override /")
            if not group.startswith("hydra"):
                choices[group] = value
    return choices, OmegaConf.to_container(values)


@pytest.mark.parametrize(("group", "option"), CASES, ids=[f"{g}={o}" for g, o in CASES])
def test_every_option_composes_and_builds(compose_cfg, group, option):
    if group == "experiment":
        # untouched by the test's shrinking overrides, every value the file sets is in force
        cfg = compose_cfg(f"experiment={option}", tiny=False)
        choices, values = _experiment_settings(option)
        picked = HydraConfig.get().runtime.choices
        for chosen_group, chosen in choices.items():
            if chosen_group in LIST_GROUPS:
                assert dict(cfg.get(chosen_group) or {}).keys() == set(chosen), chosen_group
                continue
            assert picked[chosen_group] == chosen, chosen_group
        for path, value in _leaves(values):
            node = cfg
            for key in path:
                node = node[key]
            assert node == value, path
        return
    cfg = compose_cfg(f"{group}={option}")
    OmegaConf.resolve(cfg)
    obj = build(cfg[group])
    node = OmegaConf.to_container(cfg[group])
    assert type(obj) is get_class(node["_target_"])
    assert HydraConfig.get().runtime.choices[group] == option
    # every setting reaches the object (nested _target_ nodes are built objects)
    params = obj.get_params(deep=False)
    for key, value in node.items():
        if key == "_target_" or (isinstance(value, dict) and "_target_" in value):
            continue
        assert params[key] == value, f"{option}.{key}: {params[key]!r} != {value!r}"
    if group == "classifier":
        assert is_classifier(obj)


def test_seed_flows_into_random_states(compose_cfg):
    cfg = compose_cfg("seed=7", "sampler=smote", "classifier=rf")
    assert build(cfg.sampler).random_state == 7 and build(cfg.classifier).random_state == 7


# The KEEL confirm suite of issue 16: no default or lever is ever chosen on these.
CONFIRM = (
    "yeast-1_vs_7 yeast6 glass2 abalone-21_vs_8 winequality-white-3_vs_7 ecoli3 vehicle1 glass4 "
    "yeast-2_vs_8 page-blocks0 car-good winequality-red-3_vs_5 poker-8_vs_6 "
    "abalone-19_vs_10-11-12-13 yeast-0-2-5-6_vs_3-7-8-9 vehicle3 glass-0-1-2-3_vs_4-5-6 "
    "ecoli-0-6-7_vs_5 zoo-3 led7digit-0-2-4-5-6-7-8-9_vs_1"
).split()
DEV = (
    "ecoli1 glass1 pima yeast3 vehicle0 wisconsin haberman new_thyroid1 yeast4 abalone9-18"
).split()
SCARCITY_SAMPLERS = "none,random_over,rose,smote,polyfit_star,prowsyn,cvae,ddpm,bagan,vaegan,arae"
# generators explored on dev before any confirm run
DEV_ONLY_SAMPLERS = "flow,forest_flow"


def _swept(compose_cfg, experiment: str) -> dict[str, list[str]]:
    compose_cfg(f"experiment={experiment}", tiny=False)
    params = HydraConfig.get().sweeper.params
    return {key: str(value).split(",") for key, value in params.items()}


@pytest.mark.parametrize(
    ("experiment", "suite", "extra"),
    [("scarcity_confirm", CONFIRM, ""), ("scarcity_dev", DEV, DEV_ONLY_SAMPLERS)],
)
def test_scarcity_suites_sweep_their_datasets_caps_and_samplers(
    compose_cfg, experiment, suite, extra
):
    from genover.data.keel import resolve_keel_name

    swept = _swept(compose_cfg, experiment)
    assert swept["data"] == [f"keel:{name}" for name in suite]
    assert swept["minority_cap"] == ["10", "20", "50", "null"]
    assert swept["sampler"] == SCARCITY_SAMPLERS.split(",") + (extra.split(",") if extra else [])
    for name in suite:
        resolve_keel_name(name)  # a shipped KEEL dataset
    # the scarcity experiment underneath: one sampler fit feeds these classifiers
    cfg = compose_cfg(f"experiment={experiment}", tiny=False)
    assert list(cfg.classifiers) == ["knn", "rf", "hgb", "xgboost", "lightgbm", "catboost"]
    assert cfg.evaluation.threshold.tune is False and not cfg.get("baselines")


def test_confirm_and_dev_suites_are_disjoint_and_dev_is_the_keel_dev_suite(compose_cfg):
    assert len(set(CONFIRM)) == 20 and len(set(DEV)) == 10
    assert not set(CONFIRM) & set(DEV)
    assert _swept(compose_cfg, "keel_dev")["data"] == [f"keel:{name}" for name in DEV]


def test_rose_is_random_oversampling_with_shrinkage(compose_cfg):
    from imblearn.over_sampling import RandomOverSampler

    sampler = build(compose_cfg("sampler=rose", "seed=3").sampler)
    assert type(sampler) is RandomOverSampler
    assert sampler.shrinkage == 1.0 and sampler.random_state == 3
    X = np.arange(20.0).reshape(10, 2)
    X_res, y_res = sampler.fit_resample(X, np.r_[np.zeros(8, int), np.ones(2, int)])
    assert np.bincount(y_res).tolist() == [8, 8]
    assert not (X_res[10:, None, :] == X[None, :, :]).all(axis=2).any()  # noise, not copies


def test_classifiers_is_a_list_group_with_its_own_overrides(compose_cfg):
    from genover.experiment import config_choices, experiment_classifiers

    cfg = compose_cfg(
        "classifier=knn",
        "classifier.n_neighbors=3",
        "classifiers=[knn,xgboost]",
        "classifiers.xgboost.imbalance=balanced",
    )
    named = experiment_classifiers(cfg, config_choices(cfg))
    built = {name: build(node) for name, node in named.items()}
    # the run's own first, and once; a weighted arm named with its weighting
    assert list(built) == ["knn", "xgboost[imbalance=balanced]"]
    assert built["knn"].n_neighbors == 3  # as the run's classifier is set
    assert built["xgboost[imbalance=balanced]"].imbalance == "balanced"
    cfg = compose_cfg("classifier=lr", "classifiers=[knn]")
    assert list(experiment_classifiers(cfg, config_choices(cfg))) == ["lr", "knn"]
    assert not compose_cfg("classifiers=[]").get("classifiers")
    with pytest.raises(Exception, match="no_such"):
        compose_cfg("classifiers=[no_such]")


@pytest.mark.parametrize("option", ["xgboost", "lightgbm", "catboost"])
def test_booster_configs_and_constructor_defaults_agree(compose_cfg, option):
    node = OmegaConf.to_container(compose_cfg(f"classifier={option}").classifier)
    defaults = get_class(node.pop("_target_"))().get_params()
    node.pop("random_state")  # ${seed}
    assert node == {key: defaults[key] for key in node}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("threads=0", r"threads=0 is not a thread count.*threads=1\) or threads=auto"),
        ("threads=-1", r"threads=-1 is not a thread count"),
        ("threads=abc", r"threads='abc' is not a thread count"),
        ("n_jobs=0", r"n_jobs=0 is not a number of processes.*n_jobs=1\) or n_jobs=auto"),
        ("minority_cap=abc", r"minority_cap='abc': use a whole number.*minority_cap=20"),
        ("minority_cap=1", r"minority_cap=1: use a whole number of at least 2"),
        ("categorical=f0", r"categorical='f0' is not a list of columns; write categorical=\[f0\]"),
        (
            "evaluation.threshold.val_fraction=1.5",
            r"evaluation.threshold.val_fraction=1.5: use a fraction.*val_fraction=0.2",
        ),
        (
            "evaluation.threshold.objective=cost",
            r"objective=cost needs a cost matrix: add evaluation.threshold.cost=\[\[0,1\],\[20,0\]\]",
        ),
        ("evaluation.threshold.objective=f1", r"objective='f1': use one of fbeta, cost"),
        ("evaluation.threshold.cost=[1,2]", r"cost=\[1, 2\] is not a 2x2 matrix"),
        ("evaluation.beta=-1", r"evaluation.beta=-1: F-beta needs a positive weight"),
        ("seed=-1", r"seed=-1: use a whole number from 0"),
        ("+tune.n_trials=0", r"tune.n_trials=0: use a whole number of at least 1"),
        ("classifier=xgboost classifier.imbalance=bogus", r"classifier: The 'imbalance' param"),
        ("classifiers=[lightgbm] classifiers.lightgbm.imbalance=x", r"classifiers.lightgbm: "),
    ],
)
def test_bad_options_are_named_with_a_valid_alternative(compose_cfg, override, message):
    from genover.experiment import validate_config

    with pytest.raises(ValueError, match=message):
        validate_config(compose_cfg(*override.split(" ")))


def test_valid_options_pass(compose_cfg):
    from genover.experiment import validate_config

    validate_config(compose_cfg("threads=2", "minority_cap=20", "categorical=[a]"))
    validate_config(
        compose_cfg(
            "evaluation.threshold.objective=cost", "evaluation.threshold.cost=[[0,1],[5,0]]"
        )
    )


def test_a_baseline_named_like_the_sampler_with_other_settings_runs_under_its_own_name(
    compose_cfg,
):
    from genover.experiment import config_choices, experiment_methods

    cfg = compose_cfg("sampler=smote", "sampler.k_neighbors=2", "baselines=[none,smote]")
    methods = experiment_methods(cfg, config_choices(cfg))
    assert [m.name for m in methods] == ["smote", "none", "smote (baseline)"]
    assert [m.sampler.get("k_neighbors") for m in methods] == [2, None, 5]
    same = compose_cfg("sampler=smote", "baselines=[none,smote]")
    assert [m.name for m in experiment_methods(same, config_choices(same))] == ["smote", "none"]
