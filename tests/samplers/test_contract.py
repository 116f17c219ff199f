"""imbalanced-learn's contract with every shipped default: each ``conf/sampler`` config, as
shipped (generators shrunk to a few steps), resamples to exactly what ``sampling_strategy``
asks for. Amount selection (``amount_grid``) is something a user turns on, never a default."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hydra.utils import instantiate
from omegaconf import open_dict

from tests.samplers.test_defaults import SAMPLER_CONFIGS

# What a config is for, where "balanced" is not its contract.
NOT_BALANCING = {
    "none": "no resampling: the training fold as it is",
    "auto": "chooses per fold whether to resample at all; the choice is recorded",
    "smote_tomek": "SMOTE balances, then Tomek links remove majority rows on purpose",
}
# imbalanced-learn's ADASYN rounds each minority row's share of the new rows: the total is
# off by at most one row per minority row (the torch port follows it).
ROUNDS_PER_ROW = {"adasyn", "torch_adasyn"}
# A few optimiser steps of a tiny network for every stage a generator config trains.
SHRINK = {
    "trainer": {"max_steps": 4, "epoch_steps": 2},
    "model": {"hidden": 16, "ae_steps": 4},
    "finetune": {"steps": 2},
}


def _tiny_problem(seed: int = 0):
    """48 majority and 12 minority rows that overlap (borderline samplers need minority rows
    among majority ones): three numeric features and a last column of category codes."""
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0, 1, (48, 3)), rng.normal(1, 1, (12, 3))])
    codes = rng.integers(0, 3, (60, 1)).astype(float)
    return np.hstack([X, codes]), np.r_[np.zeros(48, int), np.ones(12, int)]


def _shrunk(cfg):
    """The config's sampler node with each stage it trains cut to a few steps."""
    node = cfg.sampler
    with open_dict(node):
        for key, small in SHRINK.items():
            if node.get(key) is None:
                continue
            for name, value in small.items():
                if key != "model":
                    node[key][name] = value
                elif name in node[key]:  # a list of widths, or one width
                    plural = not isinstance(node[key][name], int)
                    node[key][name] = [value] if plural else value
    return node


@pytest.mark.parametrize("name", [n for n in SAMPLER_CONFIGS if n not in NOT_BALANCING])
def test_every_sampler_balances_exactly_with_its_defaults(compose_cfg, name):
    cfg = compose_cfg(f"sampler={name}")
    sampler = instantiate(_shrunk(cfg), _convert_="all")
    assert getattr(sampler, "amount_grid", None) is None, (
        f"conf/sampler/{name}.yaml turns amount selection on by default; imbalanced-learn's "
        "contract is sampling_strategy exactly (amount_grid: null)"
    )
    if name == "smote_nc":  # the experiment passes the categorical columns in
        sampler.set_params(categorical_features=[3])
    X, y = _tiny_problem()
    _, y_res = sampler.fit_resample(X, y)
    counts = Counter(y_res.tolist())
    slack = int(np.sum(y == 1)) if name in ROUNDS_PER_ROW else 0
    assert abs(counts[1] - counts[0]) <= slack, f"sampler={name} left the classes at {dict(counts)}"
