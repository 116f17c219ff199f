"""Neural classifiers with the sklearn API, trained with class-balanced losses."""

from genover.classifiers.metasaug import MetaSAugNet
from genover.classifiers.mlp import MLPClassifier
from genover.classifiers.sampling import ClassSampling
from genover.classifiers.scarf import SCARFNet

__all__ = ["ClassSampling", "MLPClassifier", "MetaSAugNet", "SCARFNet"]
