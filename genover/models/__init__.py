"""LightningModules for class-conditional tabular generation (trained by genover.training)."""

from genover.models.bagan import BAGAN, TabularAutoencoder, fit_class_gaussians
from genover.models.base import TabularGenerator
from genover.models.components.mixed import TabularLayout
from genover.models.cvae import CVAE
from genover.models.ddpm import DDPM

__all__ = [
    "BAGAN",
    "CVAE",
    "TabularAutoencoder",
    "DDPM",
    "TabularGenerator",
    "TabularLayout",
    "fit_class_gaussians",
]
