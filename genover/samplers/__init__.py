"""Samplers speaking imbalanced-learn's API (fit_resample, sampling_strategy, random_state)."""

from genover.samplers.auto import AutoSampler
from genover.samplers.classical import ADASYN, SMOTE, SMOTENC, BorderlineSMOTE
from genover.samplers.forest_flow import ForestFlowSampler
from genover.samplers.generative import GenerativeOverSampler
from genover.samplers.generator_samplers import (
    ARAESampler,
    BAGANSampler,
    CVAESampler,
    DDPMSampler,
    FlowSampler,
    VAEGANSampler,
)
from genover.samplers.smote_variants import SmoteVariants
from genover.samplers.torch_smote import TorchADASYN, TorchBorderlineSMOTE, TorchSMOTE

__all__ = [
    "ADASYN",
    "ARAESampler",
    "AutoSampler",
    "BAGANSampler",
    "BorderlineSMOTE",
    "CVAESampler",
    "DDPMSampler",
    "FlowSampler",
    "ForestFlowSampler",
    "GenerativeOverSampler",
    "SMOTE",
    "SMOTENC",
    "SmoteVariants",
    "TorchADASYN",
    "TorchBorderlineSMOTE",
    "TorchSMOTE",
    "VAEGANSampler",
]
