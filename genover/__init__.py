"""genover: generative oversampling for imbalanced tabular data."""

from importlib.metadata import PackageNotFoundError, version

from genover.data import Dataset, load_dataset
from genover.samplers import (
    ADASYN,
    SMOTE,
    SMOTENC,
    ARAESampler,
    AutoSampler,
    BAGANSampler,
    BorderlineSMOTE,
    CVAESampler,
    DDPMSampler,
    FlowSampler,
    ForestFlowSampler,
    GenerativeOverSampler,
    TorchADASYN,
    TorchBorderlineSMOTE,
    TorchSMOTE,
    VAEGANSampler,
)

try:
    __version__ = version("genover")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

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
    "Dataset",
    "GenerativeOverSampler",
    "SMOTE",
    "SMOTENC",
    "TorchADASYN",
    "TorchBorderlineSMOTE",
    "TorchSMOTE",
    "VAEGANSampler",
    "__version__",
    "load_dataset",
]
