"""One source of defaults: every ``conf/sampler`` file builds the same sampler as its class's
constructor does (seed aside), so Python and command-line users get the same method."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import numpy as np
import pytest
import yaml
from hydra.utils import instantiate
from sklearn.base import BaseEstimator

import genover
import genover.experiment  # registers the list groups (baselines, classifiers)
from genover.samplers.generative import GenerativeOverSampler
from genover.training import TrainSettings

CONF = Path(genover.__file__).parent.parent / "conf" / "sampler"
SAMPLER_CONFIGS = sorted(p.stem for p in CONF.glob("*.yaml"))


def _variant_overrides(name: str) -> dict:
    """The keys a variant config sets over its base (empty for a config of its own)."""
    node = yaml.safe_load((CONF / f"{name}.yaml").read_text())
    if not node or "defaults" not in node:
        return {}
    return {k: v for k, v in node.items() if k != "defaults"}


# Configs that name one parameterisation of a library class on purpose: what they override.
# A config that starts from another (``defaults: [<base>, _self_]``) overrides its own keys.
PARAMETERISATIONS = {
    "rose": {"shrinkage": 1.0},  # imblearn's RandomOverSampler with a smoothed bootstrap
    "borderline2": {"kind": "borderline-2"},
    "torch_borderline2": {"kind": "borderline-2"},
    "smote_nc": {"categorical_features": "auto"},  # the experiment sets the real mask
    "auto": {"estimator": "downstream"},  # the experiment puts in the run's classifier
}


def _plain(value):
    """Config values and constructor values in one comparable form."""
    if isinstance(value, dict | list | tuple) or hasattr(value, "items"):
        if hasattr(value, "items"):
            return {k: _plain(v) for k, v in value.items()}
        return [_plain(v) for v in value]
    if isinstance(value, BaseEstimator):
        return (type(value).__name__, _plain(value.get_params(deep=False)))
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _effective(sampler) -> dict:
    """A sampler's parameters with a generator's ``model`` and ``trainer`` dicts expanded to
    every setting they leave at the module's or the trainer's default."""
    params = {k: _plain(v) for k, v in sampler.get_params(deep=False).items()}
    params.pop("random_state", None)
    if isinstance(sampler, GenerativeOverSampler):
        model = _plain(sampler.model_defaults())
        unknown = set(params["model"] or {}) - set(model)
        assert not unknown, f"model keys {unknown} are not settings of {type(sampler).__name__}"
        params["model"] = {**model, **(params["model"] or {})}
        trainer = {f.name: f.default for f in dataclasses.fields(TrainSettings)}
        params["trainer"] = {**trainer, **(params["trainer"] or {})}
    return params


@pytest.mark.parametrize("name", SAMPLER_CONFIGS)
def test_sampler_config_builds_the_class_defaults(compose_cfg, name):
    cfg = compose_cfg(f"sampler={name}")
    built = instantiate(cfg.sampler)
    cls = type(built)
    if cls.__module__.startswith("imblearn") and name == "none":
        pytest.skip("sampler=none is imblearn's FunctionSampler without a function")
    overrides = {**PARAMETERISATIONS.get(name, {}), **_variant_overrides(name)}
    if name == "smote_tomek":  # imblearn's SMOTETomek around genover's SMOTE
        overrides["smote"] = genover.samplers.SMOTE(k_neighbors=5, random_state=cfg.seed)
    expected = cls(**overrides)
    assert _effective(built) == _effective(expected), (
        f"conf/sampler/{name}.yaml and {cls.__name__}() disagree: change the class's "
        "constructor defaults (or the module's) and the config together"
    )


def test_generator_classes_carry_their_measured_defaults():
    from genover import CVAESampler, DDPMSampler
    from genover.models import CVAE, DDPM

    # the bare models are not what the project measured and ships
    assert CVAESampler().filter_confidence > 0 and DDPMSampler().filter_confidence > 0
    assert inspect.signature(CVAE).parameters["posterior_share"].default > 0
    assert inspect.signature(DDPM).parameters["anchor_share"].default > 0
    assert GenerativeOverSampler().filter_confidence == 0.0  # the base stays neutral


def test_the_gpu_tests_pass_model_keys_the_generators_accept():
    """tests/test_gpu.py only runs on a CUDA machine; a key a generator does not take (BAGAN
    once got ``ae_epochs``) would fail only there."""
    from tests.test_gpu import GENERATORS

    for cls, model in GENERATORS.items():
        unknown = set(model) - set(cls.model_defaults())
        assert not unknown, f"{cls.__name__} takes no model keys {sorted(unknown)}"
