"""The pipeline built for one training fold: transformer -> sampler -> classifier.

It is an imbalanced-learn ``Pipeline`` (samplers act in ``fit`` only), with a pass-through
step that keeps the resampled rows for the fold's outcome and sample-quality records. It is
fitted in ``fitting`` (one pipeline) and ``shared_fit`` (one sampler fit, several
classifiers); ``outcome`` reads what it did.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from imblearn import FunctionSampler
from imblearn.pipeline import Pipeline
from omegaconf import DictConfig

from genover.data import Dataset, OneHotCategoricals
from genover.experiment.config import Method, build
from genover.samplers.auto import AutoSampler


class ResampledCapture:
    """Pass-through steps that keep the resampled training data: ``resampled`` as the sampler
    returned it (the input of every classifier's own encoding, see :func:`fit_fold`), and
    ``X, y`` as the classifier sees them."""

    def __init__(self):
        self.X = self.y = None
        self.resampled: tuple | None = None
        self.synthetic_weight = 1.0  # the weight the classifier gave each appended row
        self.synthetic_total: float | None = None  # their total weight, where it was set

    def __call__(self, X, y):
        self.X, self.y = X, y
        return X, y

    def keep_resampled(self, X, y):
        self.resampled = (X, y)
        return X, y


def keeps_categories(sampler) -> bool:
    """Whether every row the sampler returns holds real category codes: it encodes its input
    itself (the generators), or only copies and removes rows (no resampling, random over-
    and under-sampling without shrinkage). Such a sampler can feed native categorical
    splits; one that interpolates or adds noise (SMOTE, ROSE) sees one-hot columns."""
    from imblearn.over_sampling import RandomOverSampler
    from imblearn.under_sampling import RandomUnderSampler

    if getattr(sampler, "encodes_input", False):
        return True
    if isinstance(sampler, FunctionSampler):
        return sampler.func is None
    if isinstance(sampler, RandomOverSampler):
        return sampler.shrinkage is None
    return isinstance(sampler, RandomUnderSampler)


def fold_pipeline(
    dataset: Dataset,
    method: Method,
    cfg: DictConfig,
    log_name: str | None = None,
    log_dir: Path | None = None,
    classifier: dict | DictConfig | None = None,
) -> tuple[Pipeline, ResampledCapture]:
    """The fold's pipeline with ``classifier`` (default ``cfg.classifier``); where each
    transform goes depends on the sampler.

    - A sampler that encodes its input itself (the generators, ``encodes_input``) sees the
      rows as the user gave them, imputed only: impute -> sampler -> scale and one-hot ->
      classifier. Its own encoding is then the only one, and integer columns are detected
      on the real values.
    - A categorical-aware sampler (SMOTE-NC) needs scaled numerics for its distances and
      codes for its categories: scale -> sampler -> one-hot -> classifier.
    - A sampler that only copies or removes rows (:func:`keeps_categories`) sees codes too:
      scale -> sampler -> one-hot -> classifier (the same rows as one-hot first).
    - Any other sampler: scale and one-hot -> sampler -> classifier.

    A classifier with native categorical splits (``categorical_features``, the gradient-
    boosting classifiers) gets the codes instead of their one-hot columns wherever the
    sampler's rows hold codes. Everything up to the sampler is the same for every
    classifier, so one sampler fit can feed several (:func:`fit_fold`).
    """
    sampler = build(method.sampler)
    clf = build(cfg.classifier if classifier is None else classifier)
    params = sampler.get_params(deep=False)
    mask = dataset.categorical_mask
    n_categories = [len(c.categories) for c in dataset.columns if c.is_categorical] or None
    aware = "categorical_features" in params and mask.any()
    codes_at = np.arange(int((~mask).sum()), mask.size)  # codes follow the numerics
    codes_kept = bool(mask.any()) and (aware or keeps_categories(sampler))
    native = codes_kept and "categorical_features" in clf.get_params()

    def transformer(**settings):
        return build(cfg.transform).set_params(n_categories=n_categories, **settings)

    _set_sampler_options(sampler, cfg, codes_at if aware else None, log_name, log_dir)
    if isinstance(sampler, AutoSampler):
        _set_up_auto(sampler, cfg, transformer, codes_at, codes_kept)
    if native:
        clf.set_params(categorical_features=codes_at)
    capture = ResampledCapture()
    resampled = ("resampled", FunctionSampler(func=capture.keep_resampled, validate=False))
    if getattr(sampler, "encodes_input", False):
        steps = [
            (
                "impute",
                transformer(
                    numeric="none", categorical_features=mask, one_hot=False, impute=dataset.impute
                ),
            ),
            ("sampler", sampler),
            resampled,
            (
                "transform",
                transformer(categorical_features=codes_at, one_hot=not native, impute=None),
            ),
        ]
    elif codes_kept:
        steps = [
            (
                "transform",
                transformer(categorical_features=mask, one_hot=False, impute=dataset.impute),
            ),
            ("sampler", sampler),
            resampled,
        ]
        if not native:
            steps.append(("one_hot", OneHotCategoricals(codes_at, n_categories)))
    else:
        steps = [
            (
                "transform",
                transformer(categorical_features=mask, one_hot=True, impute=dataset.impute),
            ),
            ("sampler", sampler),
            resampled,
        ]
    steps.append(("capture", FunctionSampler(func=capture, validate=False)))
    steps.append(("classifier", clf))
    return Pipeline(steps), capture


def _set_sampler_options(
    sampler, cfg: DictConfig, categories, log_name: str | None = None, log_dir: Path | None = None
) -> None:
    """What the experiment sets on a sampler it builds: where a generator logs, which of its
    input columns hold category codes (``categories``, None if none), and the run's own
    classifier for ``amount_model=run_classifier_encoded``."""
    params = sampler.get_params(deep=False)
    if "trainer" in params and log_dir is not None:
        sampler.set_params(
            trainer={**(params["trainer"] or {}), "log_dir": str(log_dir), "log_name": log_name}
        )
    if "categorical_features" in params:
        sampler.set_params(categorical_features=categories)
    if params.get("amount_model") == "run_classifier_encoded":  # the run's classifier
        sampler.set_params(amount_model=build(cfg.classifier))


def _set_up_auto(sampler: AutoSampler, cfg: DictConfig, transformer, codes_at, codes_kept):
    """Make ``sampler=auto`` choose as the run will use its rows: it receives the imputed rows
    (numerics, then category codes at ``codes_at``), so each candidate is built and set up as
    the experiment sets up a generator there (no TensorBoard for the many inner fits; its own
    ``categorical_features``, set as for any categorical-aware sampler, snaps every
    candidate's category-code cells to real codes); the run's transform after the sampler
    goes between candidate and classifier; and
    ``estimator=downstream`` is the run's first classifier, ``cfg.classifier``, with native
    category splits where the run gives it them."""
    categories = codes_at if codes_kept else None
    candidates = sampler.candidate_samplers()
    for candidate in candidates.values():
        _set_sampler_options(candidate, cfg, categories)
    run_classifier = build(cfg.classifier)
    native = codes_kept and "categorical_features" in run_classifier.get_params()
    if native:
        run_classifier.set_params(categorical_features=codes_at)
    sampler.set_params(
        candidates=candidates,
        transformer=transformer(categorical_features=codes_at, one_hot=not native, impute=None),
    )
    if sampler.estimator == "downstream":
        sampler.set_params(estimator=run_classifier)


def model_space(pipe: Pipeline, X: np.ndarray) -> np.ndarray:
    """Rows as the classifier sees them: the fitted transforms, skipping the samplers."""
    for _, step in pipe.steps[:-1]:
        if not hasattr(step, "fit_resample"):
            X = step.transform(X)
    return X
