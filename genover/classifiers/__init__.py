"""Classifiers with the sklearn API: the MLP trained with class-balanced losses, and the
gradient-boosting libraries with their native imbalance and categorical options, and
scikit-learn's lr, rf and hgb with the same ``imbalance`` option."""

from genover.classifiers.boosting import CatBoostClassifier, LightGBMClassifier, XGBoostClassifier
from genover.classifiers.metasaug import MetaSAugNet
from genover.classifiers.mlp import MLPClassifier
from genover.classifiers.sampling import ClassSampling
from genover.classifiers.scarf import SCARFNet
from genover.classifiers.weighting import (
    HistGradientBoostingClassifier,
    LogisticRegression,
    RandomForestClassifier,
)

__all__ = [
    "CatBoostClassifier",
    "ClassSampling",
    "HistGradientBoostingClassifier",
    "LightGBMClassifier",
    "LogisticRegression",
    "MLPClassifier",
    "MetaSAugNet",
    "RandomForestClassifier",
    "SCARFNet",
    "XGBoostClassifier",
]
