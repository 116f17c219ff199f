"""The named hybrid experiments build what their names say, and the fast ones run."""

from __future__ import annotations

import pytest
from hydra.core.hydra_config import HydraConfig
from imblearn import FunctionSampler
from imblearn.combine import SMOTETomek
from imblearn.ensemble import EasyEnsembleClassifier
from omegaconf import OmegaConf
from sklearn.ensemble import RandomForestClassifier

from genover.classifiers import MLPClassifier
from genover.experiment import build, run
from genover.losses import BalancedSoftmaxLoss, FocalLoss
from genover.samplers import SMOTE, CVAESampler

COUNTS = [90, 10]


def built(compose_cfg, name: str, *overrides: str):
    cfg = compose_cfg(f"experiment={name}", *overrides)
    OmegaConf.resolve(cfg)
    return cfg, build(cfg.sampler), build(cfg.classifier)


def test_smote_easy_ensemble(compose_cfg):
    cfg, sampler, classifier = built(compose_cfg, "smote_easy_ensemble")
    assert type(sampler) is SMOTE and sampler.sampling_strategy == 0.5
    assert type(classifier) is EasyEnsembleClassifier
    assert (
        HydraConfig.get().runtime.choices["sampler"] == "smote"
        and HydraConfig.get().runtime.choices["classifier"] == "easy_ensemble"
    )


def test_generator_balanced_softmax(compose_cfg):
    cfg, sampler, classifier = built(compose_cfg, "generator_balanced_softmax")
    assert type(sampler) is CVAESampler
    assert type(classifier) is MLPClassifier
    assert type(classifier.loss(COUNTS)) is BalancedSoftmaxLoss
    assert HydraConfig.get().runtime.choices["loss"] == "balanced_softmax"


def test_smote_tomek_cost_rf(compose_cfg):
    _, sampler, classifier = built(compose_cfg, "smote_tomek_cost_rf")
    assert type(sampler) is SMOTETomek and type(sampler.smote) is SMOTE
    assert sampler.sampling_strategy == 0.5
    assert isinstance(classifier, RandomForestClassifier)
    assert classifier.class_weight == "balanced"


def test_curriculum_focal(compose_cfg):
    cfg, sampler, classifier = built(compose_cfg, "curriculum_focal")
    assert type(sampler) is FunctionSampler  # sampler=none
    assert type(classifier) is MLPClassifier and classifier.sampling == "curriculum"
    assert (
        type(classifier.loss(COUNTS)) is FocalLoss
        and HydraConfig.get().runtime.choices["loss"] == "focal"
    )


@pytest.mark.parametrize(
    ("name", "shrink"),
    [
        ("smote_easy_ensemble", []),
        ("smote_tomek_cost_rf", ["classifier.n_estimators=20"]),
        ("curriculum_focal", ["classifier.max_epochs=2", "classifier.hidden=[8]"]),
    ],
)
def test_hybrid_runs_end_to_end(compose_cfg, name, shrink):
    cfg = compose_cfg(
        f"experiment={name}", *shrink, "baselines=[]", "evaluation.plots=false", tiny=True
    )
    payload = run(cfg)
    (method,) = payload["methods"].values()
    assert method["status"] == "ok", method
    assert 0 < method["metrics"]["ap"]["mean"] <= 1
