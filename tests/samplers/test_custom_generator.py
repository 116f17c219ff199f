"""A new generator in one module, one config and one test file, run end to end.

The module (a class-conditional diagonal Gaussian learnt by gradient descent) and its
sampler live in this file; the config is written beside a copy of nothing else, in a
folder added to Hydra's search path. The experiment, the outcomes and the report work
unchanged.
"""

from __future__ import annotations

import textwrap

import numpy as np
import torch
from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import open_dict
from torch import nn

from genover.experiment import run
from genover.models import TabularGenerator
from genover.samplers import GenerativeOverSampler


class ClassGaussian(TabularGenerator):
    """x | y ~ N(mu_y, diag(sigma_y^2)), fitted by maximum likelihood with Adam."""

    def __init__(self, layout, num_classes, lr=0.05, weight_decay=0.0):
        super().__init__(layout, num_classes)
        self.save_hyperparameters(ignore=["layout"])
        self.mu = nn.Parameter(torch.zeros(num_classes, layout.dim))
        self.log_sigma = nn.Parameter(torch.zeros(num_classes, layout.dim))

    def nll(self, x, y):
        z = (x - self.mu[y]) / self.log_sigma[y].exp()
        return (0.5 * z.pow(2) + self.log_sigma[y]).sum(dim=1).mean()

    def training_step(self, batch, batch_idx):
        loss = self.nll(*batch)
        self.log_epoch_means({"train/loss": loss}, batch[0].shape[0])
        return loss

    def validation_step(self, batch, batch_idx):
        self.log("val/loss", self.nll(*batch))

    @torch.no_grad()
    def sample(self, n, y, generator=None):
        labels = self.labels(n, y)
        eps = torch.randn((len(labels), self.layout.dim), generator=generator, device=self.device)
        return self.mu[labels] + eps * self.log_sigma[labels].exp()


class ClassGaussianSampler(GenerativeOverSampler):
    module_class = ClassGaussian


CONFIG = """
_target_: tests.samplers.test_custom_generator.ClassGaussianSampler
sampling_strategy: auto
random_state: ${seed}
numeric_transform: standard
amount_grid: null
lr: 0.05
trainer:
  max_steps: 200
  epoch_steps: 20
"""


def test_a_generator_added_in_one_module_one_config_one_test(tmp_path):
    (tmp_path / "sampler").mkdir()
    (tmp_path / "sampler" / "class_gaussian.yaml").write_text(textwrap.dedent(CONFIG))
    GlobalHydra.instance().clear()
    with initialize_config_module(config_module="genover.conf", version_base="1.3"):
        cfg = compose(
            config_name="config",
            overrides=[
                f"hydra.searchpath=[file://{tmp_path}]",
                "sampler=class_gaussian",
                "baselines=[none]",
                "data=synthetic:n400:d4:ir8",
                "folds=2",
                "repeats=1",
                "evaluation.threshold.tune=false",
            ],
            return_hydra_config=True,
        )
    HydraConfig.instance().set_config(cfg)
    with open_dict(cfg):
        del cfg["hydra"]
    try:
        result = run(cfg)
    finally:
        GlobalHydra.instance().clear()
        HydraConfig.instance().cfg = None
    method = result["methods"]["class_gaussian"]
    assert method["status"] == "ok", method
    outcome = method["fold_outcomes"][0]
    assert outcome["synthetic_rows"] == outcome["sampler.requested_rows"] > 0
    assert outcome["sampler.steps"] == 200 or outcome["sampler.stop_reason"] == "early_stop"
    assert method["generation"]["folds_without_synthetic_rows"] == 0


def test_the_custom_generator_learns_its_class_means():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (300, 2)), rng.normal([3, -2], 0.5, (60, 2))])
    y = np.r_[np.zeros(300, int), np.ones(60, int)]
    sampler = ClassGaussianSampler(
        random_state=0,
        numeric_transform="standard",
        lr=0.05,
        trainer={"max_steps": 300, "epoch_steps": 50},
        val_fraction=0.0,
    )
    Xr, yr = sampler.fit_resample(X, y)
    new = Xr[len(X) :]
    assert len(new) == 240 and (yr[len(X) :] == 1).all()
    np.testing.assert_allclose(new.mean(axis=0), [3, -2], atol=0.25)
