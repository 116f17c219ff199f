"""LightningModules for class-conditional tabular generation (trained by genover.training)."""

from genover.models.arae import ARAE
from genover.models.bagan import BAGAN, TabularAutoencoder, fit_class_gaussians
from genover.models.base import TabularGenerator
from genover.models.components.mixed import TabularLayout
from genover.models.cvae import CVAE
from genover.models.ddpm import DDPM
from genover.models.flow import FlowMatching
from genover.models.vaegan import VAEGAN

__all__ = [
    "ARAE",
    "BAGAN",
    "CVAE",
    "TabularAutoencoder",
    "DDPM",
    "FlowMatching",
    "TabularGenerator",
    "TabularLayout",
    "VAEGAN",
    "fit_class_gaussians",
]
