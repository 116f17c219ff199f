"""The one training layer every genover module uses: the Lightning loop and its settings
(``loop``), on-device batches and splits (``batches``), the module base with lean steps
(``modules``), seeding (``seeding``) and class-balanced row weights (``weights``)."""

from genover.training.batches import TabularDataModule, TensorBatches, stratified_holdout
from genover.training.loop import TrainResult, TrainSettings, train_module
from genover.training.modules import TabularModule
from genover.training.seeding import seeded
from genover.training.weights import row_weights, tilted_shares

__all__ = [
    "TabularDataModule",
    "TabularModule",
    "TensorBatches",
    "TrainResult",
    "TrainSettings",
    "row_weights",
    "seeded",
    "stratified_holdout",
    "tilted_shares",
    "train_module",
]
