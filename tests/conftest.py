"""Shared fixtures: compose the real Hydra configs and shrink them for fast tests."""

from __future__ import annotations

import logging
import os
from functools import cache

import pytest
import torch
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import open_dict

# Two cores are shared between pytest-xdist workers: one intra-op thread each.
torch.set_num_threads(1)
os.environ.setdefault("OMP_NUM_THREADS", "1")

TINY = ["data=synthetic:n300:d5:ir8", "folds=2", "repeats=1"]
# A run's folds in this process (spies and monkeypatches see them; xdist shares the cores);
# tests of worker processes ask for n_jobs=2 themselves.
IN_PROCESS = ["n_jobs=1"]
# Generators in tests: a few optimiser steps of a tiny network.
FAST_GENERATOR = [
    "sampler.trainer.max_steps=4",
    "sampler.trainer.epoch_steps=2",
    "sampler.model.hidden=[16]",
    "sampler.amount_grid=null",
]


@pytest.fixture
def compose_cfg():
    """compose_cfg(*overrides) -> the real composed config with the overrides applied."""

    def _compose(*overrides: str, tiny: bool = True, config_name: str = "config"):
        """As Hydra's app would: the job's config, with Hydra's own node (group choices,
        which name the methods) set aside in HydraConfig."""
        GlobalHydra.instance().clear()
        with initialize_config_module(config_module="genover.conf", version_base="1.3"):
            cfg = compose(
                config_name=config_name,
                overrides=[
                    *(IN_PROCESS if config_name == "config" else []),
                    *(TINY if tiny else []),
                    *overrides,
                ],
                return_hydra_config=True,
            )
        HydraConfig.instance().set_config(cfg)
        with open_dict(cfg):
            del cfg["hydra"]
        return cfg

    yield _compose
    GlobalHydra.instance().clear()
    HydraConfig.instance().cfg = None


@pytest.fixture
def caplog_info(caplog):
    caplog.set_level(logging.INFO)
    return caplog


@cache
def fast_sampler_overrides(sampler: str) -> tuple[str, ...]:
    """Overrides that shrink ``sampler``'s config to a few optimiser steps, by what it holds
    (the generators and their variants, their fine-tuning, auto's candidates)."""
    GlobalHydra.instance().clear()
    with initialize_config_module(config_module="genover.conf", version_base="1.3"):
        node = compose(config_name="generate", overrides=[f"sampler={sampler}"]).sampler
    GlobalHydra.instance().clear()
    out = list(FAST_GENERATOR) if "trainer" in node else []
    model = node.get("model") or {}
    if "steps" in model:  # the DDPM: an int width, few diffusion steps
        out += ["sampler.model.hidden=16", "sampler.model.steps=10", "sampler.model.sample_steps=5"]
    elif "sample_steps" in model:  # the flow: an int width, few ODE steps
        out += ["sampler.model.hidden=16", "sampler.model.sample_steps=4"]
    if "ae_steps" in model:
        out.append("sampler.model.ae_steps=4")
    if "n_t" in node:  # forest_flow: a tiny booster, few noise levels and duplicates
        out += ["sampler.n_t=3", "sampler.duplicate_K=2", "sampler.n_estimators=5"]
    if node.get("finetune"):
        out.append("sampler.finetune.steps=2")
    if "candidates" in node:
        out.append("sampler.candidates=[none,rose,random_over]")
    return tuple(out)
