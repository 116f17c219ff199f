"""VAEGANSampler and ARAESampler: rows of the right class, types and counts, and one source
of defaults shared by the constructors and conf/sampler/{vaegan,arae}.yaml.

(The contract, exact-count, seed, outcome and learning tests of every generator sampler,
these two included, are in ``test_generative.py``.)"""

from __future__ import annotations

import inspect
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from genover import ARAESampler, VAEGANSampler
from genover.experiment import build
from genover.training import TrainSettings

SAMPLERS = {"vaegan": VAEGANSampler, "arae": ARAESampler}


@pytest.mark.parametrize("option", list(SAMPLERS))
def test_config_and_constructor_defaults_agree(compose_cfg, option):
    """Python users and CLI users get the same method: what the config builds is
    ``Sampler()`` with its module's defaults written out, and the yaml lists every model
    setting."""
    cls = SAMPLERS[option]
    built = build(compose_cfg(f"sampler={option}", "seed=0").sampler).get_params(deep=False)
    defaults = cls().get_params(deep=False)
    assert type(build(compose_cfg(f"sampler={option}").sampler)) is cls
    assert built.pop("random_state") == 0  # ${seed}
    model, trainer = built.pop("model"), built.pop("trainer")
    assert built == {key: defaults[key] for key in built}
    signature = inspect.signature(cls.module_class).parameters.items()
    assert model == {
        name: list(p.default) if isinstance(p.default, tuple) else p.default
        for name, p in signature
        if name not in ("self", "layout", "num_classes", "lr")
    }
    settings = TrainSettings()
    assert trainer == {key: getattr(settings, key) for key in trainer}


def separated_frame(n_major=160, n_minor=40, seed=0):
    """Two well-separated classes with a numeric, an integer and a categorical column each
    telling them apart."""
    rng = np.random.default_rng(seed)
    n = n_major + n_minor
    rare = np.arange(n) >= n_major
    frame = pd.DataFrame(
        {
            "x": np.where(rare, rng.normal(3.0, 0.5, n), rng.normal(-1.0, 0.5, n)),
            "z": np.where(rare, rng.normal(-2.0, 0.5, n), rng.normal(1.0, 0.5, n)),
            "visits": np.where(rare, rng.poisson(9, n), rng.poisson(2, n)),
            "plan": pd.Categorical(
                np.where(
                    rare,
                    rng.choice(["gold", "pro"], n, p=[0.8, 0.2]),
                    rng.choice(["basic", "gold"], n, p=[0.9, 0.1]),
                )
            ),
        }
    )
    return frame, pd.Series(np.where(rare, "rare", "common"), name="label")


SMALL = {
    VAEGANSampler: {"hidden": [32, 32], "latent_dim": 4, "class_dim": 4},
    ARAESampler: {"hidden": [32, 32], "code_dim": 4, "class_dim": 4},
}


@pytest.mark.parametrize("cls", list(SAMPLERS.values()), ids=lambda c: c.__name__)
def test_minority_rows_land_on_the_minority_in_the_input_types(cls):
    frame, y = separated_frame()
    sampler = cls(
        random_state=0,
        model=SMALL[cls],
        trainer={"max_steps": 600, "epoch_steps": 50, "accelerator": "cpu"},
    )
    Xr, yr = sampler.fit_resample(frame, y)
    assert Counter(yr) == {"common": 160, "rare": 160}
    assert (Xr.dtypes == frame.dtypes).all()  # the integer column comes back whole
    new = Xr.iloc[len(frame) :]
    real = frame[y == "rare"]
    assert new["visits"].between(frame["visits"].min(), frame["visits"].max()).all()
    assert set(new["plan"]) <= {"basic", "gold", "pro"}
    # the class's own distribution: within a quarter of the classes' distance (x 4, z 3,
    # visits 7 apart; rows drawn without the label would sit near the class mixture)
    gap = (new[["x", "z"]].mean() - real[["x", "z"]].mean()).abs()
    assert (gap < 1.0).all(), gap
    assert abs(new["visits"].mean() - real["visits"].mean()) < 2.0
    shares = new["plan"].value_counts(normalize=True)
    assert shares["gold"] > 0.5 and shares["basic"] < 0.25, shares


@pytest.mark.parametrize(
    ("cls", "model", "message"),
    [
        (VAEGANSampler, {"tau": 0.0}, r"use tau > 0"),
        (VAEGANSampler, {"feature_weight": 0.0, "nll_weight": 0.0}, "reconstruction term"),
        (ARAESampler, {"critic_lr_factor": -1.0}, r"use a value > 0"),
        (ARAESampler, {"latent_dim": 4}, r"bad model settings for ARAESampler.*latent_dim"),
    ],
)
def test_bad_model_settings_are_rejected_before_training(cls, model, message):
    frame, y = separated_frame()
    with pytest.raises(ValueError, match=message):
        cls(model=model, trainer={"max_steps": 1}).fit_resample(frame, y)
