"""Every option of every config group composes, and its object instantiates."""

from __future__ import annotations

from importlib import resources

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
    """The group choices (``override /group: option``) and the values an experiment file sets."""
    raw = OmegaConf.to_container(
        OmegaConf.load(resources.files("genover.conf") / "experiment" / f"{option}.yaml")
    )
    choices = {}
    for entry in raw.pop("defaults", []):
        ((key, value),) = entry.items()
        group = key.removeprefix("override /")
        if not group.startswith("hydra"):
            choices[group] = value
    raw.pop("hydra", None)
    return choices, raw


@pytest.mark.parametrize(("group", "option"), CASES, ids=[f"{g}={o}" for g, o in CASES])
def test_every_option_composes_and_builds(compose_cfg, group, option):
    if group == "experiment":
        # untouched by the test's shrinking overrides, every value the file sets is in force
        cfg = compose_cfg(f"experiment={option}", tiny=False)
        choices, values = _experiment_settings(option)
        picked = HydraConfig.get().runtime.choices
        for chosen_group, chosen in choices.items():
            if chosen_group == "baselines":
                assert dict(cfg.get("baselines") or {}).keys() == set(chosen), chosen_group
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


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("threads=0", r"threads=0 is not a thread count.*threads=1\) or threads=auto"),
        ("threads=-1", r"threads=-1 is not a thread count"),
        ("threads=abc", r"threads='abc' is not a thread count"),
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
    ],
)
def test_bad_options_are_named_with_a_valid_alternative(compose_cfg, override, message):
    from genover.experiment import validate_config

    with pytest.raises(ValueError, match=message):
        validate_config(compose_cfg(override))


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
