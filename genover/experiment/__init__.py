"""The cross-validated experiment: config plumbing (``config``), the per-fold pipeline
(``pipeline``), fitting it (``fitting``, one sampler fit shared by the classifiers in
``shared_fit``, synthetic-row weights in ``weighting``), what a fold did (``outcome``),
threshold tuning (``threshold``) and the fold loop with ``run`` (``crossval``)."""

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
from genover.experiment.fitting import fit_pipeline
from genover.experiment.pipeline import fold_pipeline, model_space
from genover.experiment.shared_fit import fit_fold

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
