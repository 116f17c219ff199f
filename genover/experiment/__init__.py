"""The cross-validated experiment: config plumbing (``config``), the per-fold pipeline
(``pipeline``), threshold tuning (``threshold``) and the fold loop with ``run`` (``crossval``)."""

from genover.experiment.config import (
    Method,
    build,
    check_folds,
    config_choices,
    experiment_classifiers,
    experiment_methods,
    load_configured_dataset,
    sampler_config_names,
    validate_config,
)
from genover.experiment.crossval import (
    MethodResult,
    cap_minority,
    evaluate_method,
    fold_splits,
    run,
)
from genover.experiment.pipeline import fit_fold, fit_pipeline, fold_pipeline, model_space

__all__ = [
    "Method",
    "MethodResult",
    "build",
    "cap_minority",
    "check_folds",
    "config_choices",
    "evaluate_method",
    "experiment_classifiers",
    "experiment_methods",
    "fit_fold",
    "fit_pipeline",
    "fold_splits",
    "fold_pipeline",
    "load_configured_dataset",
    "model_space",
    "run",
    "sampler_config_names",
    "validate_config",
]
