"""Every option of every config group composes, and its object instantiates."""

from __future__ import annotations

from importlib import resources

import pytest
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


@pytest.mark.parametrize(("group", "option"), CASES, ids=[f"{g}={o}" for g, o in CASES])
def test_every_option_composes_and_builds(compose_cfg, group, option):
    cfg = compose_cfg(f"{group}={option}")
    OmegaConf.resolve(cfg)
    if group == "experiment":
        assert cfg.folds >= 2 and cfg.data
        return
    obj = build(cfg[group])
    if group == "sampler":
        assert hasattr(obj, "fit_resample") and cfg.sampler.name == option
    elif group == "classifier":
        assert is_classifier(obj) and cfg.classifier.name == option
    else:
        assert hasattr(obj, "fit_transform")


def test_seed_flows_into_random_states(compose_cfg):
    cfg = compose_cfg("seed=7", "sampler=smote", "classifier=rf")
    assert build(cfg.sampler).random_state == 7 and build(cfg.classifier).random_state == 7
