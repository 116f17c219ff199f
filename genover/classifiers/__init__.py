"""Neural classifiers with the sklearn API, trained with class-balanced losses."""

from genover.classifiers.mlp import MLPClassifier
from genover.classifiers.sampling import ClassSampling

__all__ = ["ClassSampling", "MLPClassifier"]
