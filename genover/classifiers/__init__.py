"""Classifiers with the sklearn API: the MLP trained with class-balanced losses, and the
gradient-boosting libraries with their native imbalance and categorical options."""

from genover.classifiers.boosting import CatBoostClassifier, LightGBMClassifier, XGBoostClassifier
from genover.classifiers.metasaug import MetaSAugNet
from genover.classifiers.mlp import MLPClassifier
from genover.classifiers.sampling import ClassSampling
from genover.classifiers.scarf import SCARFNet

__all__ = [
    "CatBoostClassifier",
    "ClassSampling",
    "LightGBMClassifier",
    "MLPClassifier",
    "MetaSAugNet",
    "SCARFNet",
    "XGBoostClassifier",
]
