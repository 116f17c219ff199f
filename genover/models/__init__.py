"""LightningModules for class-conditional tabular generation, and their training loop."""

from genover.models.bagan import BAGAN, TabularAutoencoder, fit_class_gaussians
from genover.models.base import TabularGenerator
from genover.models.components.mixed import TabularLayout
from genover.models.cvae import CVAE
from genover.models.datamodule import TabularDataModule
from genover.models.ddpm import DDPM
from genover.models.training import TrainResult, TrainSettings, train_module

__all__ = [
    "BAGAN",
    "CVAE",
    "TabularAutoencoder",
    "DDPM",
    "TabularDataModule",
    "TabularGenerator",
    "TabularLayout",
    "TrainResult",
    "TrainSettings",
    "fit_class_gaussians",
    "train_module",
]
