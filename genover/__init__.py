"""genover: generative oversampling for imbalanced tabular data."""

from importlib.metadata import PackageNotFoundError, version

from genover import samplers
from genover.data import Dataset, load_dataset
from genover.samplers import *  # noqa: F403 (the public samplers, listed once there)

try:
    __version__ = version("genover")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["Dataset", "__version__", "load_dataset", *samplers.__all__]  # noqa: F405
