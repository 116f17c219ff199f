"""Shared fixtures: compose the real Hydra configs and shrink them for fast tests."""

from __future__ import annotations

import logging
import os

import pytest
import torch
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra

# Two cores are shared between pytest-xdist workers: one intra-op thread each.
torch.set_num_threads(1)
os.environ.setdefault("OMP_NUM_THREADS", "1")

TINY = ["data=synthetic:n300:d5:ir8", "folds=2", "repeats=1"]
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
        GlobalHydra.instance().clear()
        with initialize_config_module(config_module="genover.conf", version_base="1.3"):
            return compose(config_name=config_name, overrides=[*(TINY if tiny else []), *overrides])

    yield _compose
    GlobalHydra.instance().clear()


@pytest.fixture
def caplog_info(caplog):
    caplog.set_level(logging.INFO)
    return caplog
