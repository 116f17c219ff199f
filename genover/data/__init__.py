"""Data layer: dataset specs, the KEEL parser, the feature schema and tabular preprocessing."""

from genover.data.dataset import Column, Dataset
from genover.data.frame import dataset_from_frame
from genover.data.keel import keel_datasets, read_keel
from genover.data.sources import LOADERS, data_fingerprint, file_sha256, load_dataset, read_table
from genover.data.transform import OneHotCategoricals, TabularTransformer

__all__ = [
    "Column",
    "Dataset",
    "LOADERS",
    "OneHotCategoricals",
    "TabularTransformer",
    "data_fingerprint",
    "dataset_from_frame",
    "file_sha256",
    "keel_datasets",
    "load_dataset",
    "read_keel",
    "read_table",
]
