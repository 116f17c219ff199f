"""The pipeline fitted on one training fold: transformer -> sampler -> classifier.

It is an imbalanced-learn ``Pipeline`` (samplers act in ``fit`` only), with a pass-through
step that keeps the resampled rows for the fold's outcome and sample-quality records.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from imblearn import FunctionSampler
from imblearn.pipeline import Pipeline
from omegaconf import DictConfig
from sklearn.utils.validation import has_fit_parameter

from genover.data import Dataset, OneHotCategoricals
from genover.experiment.config import Method, build
from genover.samplers.auto import AutoSampler
from genover.training.batches import stratified_holdout


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


def fit_fold(
    dataset: Dataset,
    method: Method,
    cfg: DictConfig,
    X: np.ndarray,
    y: np.ndarray,
    seed: int,
    classifiers: dict | None = None,
    log_name: str | None = None,
    log_dir: Path | None = None,
    synthetic_weights: Mapping[str, float] | None = None,
) -> tuple[dict[str, tuple[Pipeline, ResampledCapture]], dict, np.ndarray]:
    """Fit the sampler once on ``X, y`` and every classifier on its rows.

    ``classifiers`` maps names to classifier configs, the run's own first (default: the
    run's ``cfg.classifier`` alone). The first is fitted through :func:`fit_pipeline`; each
    other one gets its own encoding (one-hot or native categories) and is fitted on the same
    resampled rows. Each classifier weighs the rows the sampler appended by its entry in
    ``synthetic_weights`` (default: the run's ``synthetic_weight``; real rows weigh 1).
    Returns ``{name: (fitted pipeline, capture)}``, the fit record and the mask of the rows
    the sampler was fitted on.
    """
    items = list((classifiers or {"classifier": cfg.classifier}).items())
    run_weight = float(cfg.get("synthetic_weight", 1.0))
    weights = {name: float((synthetic_weights or {}).get(name, run_weight)) for name, _ in items}
    first, first_node = items[0]
    pipe, capture = fold_pipeline(dataset, method, cfg, log_name, log_dir, first_node)
    tails = {name: _classifier_tail(dataset, method, cfg, name, node) for name, node in items[1:]}
    check_sample_weight_support({first: pipe.steps[-1][1]}, weights)
    check_sample_weight_support({n: tail[-1][1] for n, (tail, _) in tails.items()}, weights)
    record, fitted = fit_pipeline(pipe, X, y, seed, weights[first], capture)
    out = {first: (pipe, capture)}
    head = pipe.steps[: [n for n, _ in pipe.steps].index("resampled")]
    for name, (tail, own_capture) in tails.items():
        weight = weights[name]
        params = {}
        if weight != 1.0:
            appended = appended_rows(pipe.named_steps["sampler"], y[fitted], capture.resampled[1])
            params["classifier__sample_weight"] = row_weights(appended, weight, own_capture)
        Pipeline(tail).fit(*capture.resampled, **params)
        own_capture.synthetic_weight = weight
        out[name] = (Pipeline(head + tail), own_capture)
    return out, record, fitted


def check_sample_weight_support(classifiers: Mapping[str, object], weights: Mapping) -> None:
    """Reject, before any fit, a ``synthetic_weight`` other than 1 for a classifier whose
    ``fit`` takes no ``sample_weight`` (knn), naming the option and the fix."""
    for name, clf in classifiers.items():
        if weights[name] != 1.0 and not has_fit_parameter(clf, "sample_weight"):
            raise ValueError(
                f"synthetic_weight={weights[name]:g}: classifier {name!r} "
                f"({type(clf).__name__}) takes no sample_weight in fit, so it cannot weigh "
                "synthetic rows; use synthetic_weight=1.0 with it, or another classifier."
            )


def appended_rows(sampler, y_in: np.ndarray, y_out: np.ndarray) -> np.ndarray:
    """A mask over the sampler's output rows: True on the rows it appended. From
    ``sample_indices_`` where the sampler has it (a repeated index is a copy or a smoothed
    copy), else the tail after the input rows (genover's samplers keep them first)."""
    indices = getattr(sampler, "sample_indices_", None)
    if indices is not None and len(indices) == len(y_out):
        appended = np.ones(len(indices), dtype=bool)
        appended[np.unique(np.asarray(indices), return_index=True)[1]] = False
        return appended
    n = len(y_in)
    if len(y_out) < n or not np.array_equal(np.asarray(y_out)[:n], np.asarray(y_in)):
        raise ValueError(
            f"synthetic_weight: {type(sampler).__name__} neither keeps its input rows first "
            "nor records which rows are new (sample_indices_), so its synthetic rows cannot "
            "be weighted; use synthetic_weight=1.0 with this sampler."
        )
    return np.arange(len(y_out)) >= n


def row_weights(appended: np.ndarray, weight: float, capture: ResampledCapture) -> np.ndarray:
    """Sample weights for the classifier: ``weight`` on appended rows, 1 on real ones; the
    appended rows' total weight is kept on ``capture`` for the fold's record."""
    capture.synthetic_weight = weight
    capture.synthetic_total = float(weight * appended.sum())
    return np.where(appended, weight, 1.0)


def _classifier_tail(dataset, method, cfg, name: str, node) -> tuple[list, ResampledCapture]:
    """The steps after the sampler for classifier ``name``: its own encoding, the capture and
    the classifier (checked before any sampler is fitted)."""
    own, own_capture = fold_pipeline(dataset, method, cfg, classifier=node)
    tail = own.steps[[n for n, _ in own.steps].index("resampled") :]
    if takes_eval_set(tail[-1][1]):
        raise ValueError(
            f"classifier {name!r} early-stops on held-out rows; make it the run's "
            f"`classifier=` and leave it out of `classifiers`."
        )
    return tail, own_capture


def takes_eval_set(estimator) -> bool:
    """Whether a classifier early-stops on validation rows given to ``fit(eval_set=...)``."""
    fit = getattr(estimator, "fit", None)
    val_fraction = getattr(estimator, "val_fraction", 0) or 0
    return fit is not None and "eval_set" in inspect.signature(fit).parameters and val_fraction > 0


def fit_pipeline(
    pipe: Pipeline,
    X: np.ndarray,
    y: np.ndarray,
    seed: int,
    synthetic_weight: float = 1.0,
    capture: ResampledCapture | None = None,
) -> tuple[dict, np.ndarray]:
    """Fit ``pipe`` on the real rows ``X, y``; return what the fit recorded and the mask of
    the rows that the transformer and sampler were fitted on.

    A classifier that early-stops (``takes_eval_set``) gets its validation rows from a
    stratified share of these *real* rows, held out before the transformer and sampler are
    fitted: they never train anything, and no synthetic row reaches them. With a
    ``synthetic_weight`` other than 1 the rows the sampler appended enter the classifier's
    ``fit`` with that ``sample_weight`` (their total is kept on ``capture``).
    """
    classifier = pipe.steps[-1][1]
    every = np.ones(len(y), dtype=bool)
    if capture is not None:
        capture.synthetic_weight = synthetic_weight
    if not takes_eval_set(classifier):
        _fit_weighted(pipe, X, y, synthetic_weight, capture)
        return {}, every
    held = stratified_holdout(y, float(classifier.val_fraction), seed)
    if len(np.unique(y[held])) < 2:
        _fit_weighted(pipe, X, y, synthetic_weight, capture)
        return {"classifier.validation": "internal split (too few rows to hold out)"}, every
    _fit_weighted(pipe, X[~held], y[~held], synthetic_weight, capture, (X[held], y[held]))
    return {"classifier.validation": "real rows held out before resampling"}, ~held


def _fit_weighted(pipe, X, y, weight: float, capture, held: tuple | None = None) -> None:
    """Fit ``pipe`` on ``X, y``: the steps before the classifier, then the classifier with
    the ``held`` rows as its ``eval_set`` (mapped through the fitted steps) and, for a
    ``weight`` other than 1, the synthetic rows' sample weights."""
    if weight == 1.0 and held is None:
        pipe.fit(X, y)
        return
    X_fit, y_fit = pipe[:-1].fit_resample(X, y)
    params: dict = {}
    if held is not None:
        params["eval_set"] = (model_space(pipe, held[0]), held[1])
    if weight != 1.0:
        appended = appended_rows(pipe.named_steps["sampler"], y, y_fit)
        params["sample_weight"] = row_weights(appended, weight, capture or ResampledCapture())
    pipe.steps[-1][1].fit(X_fit, y_fit, **params)


def model_space(pipe: Pipeline, X: np.ndarray) -> np.ndarray:
    """Rows as the classifier sees them: the fitted transforms, skipping the samplers."""
    for _, step in pipe.steps[:-1]:
        if not hasattr(step, "fit_resample"):
            X = step.transform(X)
    return X


def synthetic_rows(pipe: Pipeline, capture: ResampledCapture, X_train: np.ndarray):
    """(real rows, their labels, synthetic rows, synthetic labels) in the classifier's space,
    when the sampler kept the originals and appended new rows; else None."""
    if capture.X is None or len(capture.X) <= len(X_train):
        return None
    real = model_space(pipe, X_train)
    n = len(real)
    out = np.asarray(capture.X, dtype=float)
    if not np.allclose(out[:n], real):
        return None
    return real, np.asarray(capture.y[:n]), out[n:], np.asarray(capture.y[n:])


def fold_outcome(pipe: Pipeline, capture: ResampledCapture, y_train, dataset) -> dict:
    """What the sampler and the classifier decided and did on one fold, as flat fields:
    synthetic rows per class (for samplers that append rows) and each step's ``outcome_``."""
    out: dict = {}
    if capture.y is not None:
        y_out = np.asarray(capture.y)
        out["resampled_rows"] = int(len(y_out))
        appended = len(y_out) > len(y_train) and np.array_equal(y_out[: len(y_train)], y_train)
        new = y_out[len(y_train) :] if appended else y_out[:0]
        out["synthetic_rows"] = int(len(new))
        for index, name in enumerate(dataset.class_names):
            if index in dataset.minority_classes or np.any(new == index):
                out[f"synthetic_rows[{name}]"] = int(np.sum(new == index))
    for step, prefix in (("sampler", "sampler."), ("classifier", "classifier.")):
        estimator = pipe.named_steps.get(step)
        for key, value in (getattr(estimator, "outcome_", None) or {}).items():
            if not key.startswith("synthetic_rows"):  # counted above from the labels
                out[prefix + key] = value
    weight = capture.synthetic_weight
    out["synthetic_weight"] = weight
    total = capture.synthetic_total
    out["synthetic_weight_total"] = (
        total if total is not None else weight * out.get("synthetic_rows", 0)
    )
    native = _native_categories(pipe.named_steps.get("classifier"))
    if dataset.categorical_mask.any() and native is not None:  # decided by fold_pipeline
        # a classifier that records it itself (the boosters: native / none) keeps its word
        out.setdefault("classifier.categorical", "native" if native else "one-hot")
    return out


def _native_categories(classifier) -> bool | None:
    """Whether ``fold_pipeline`` gave the classifier category codes for native splits (it sets
    ``categorical_features`` to their columns); None for a classifier without that option."""
    params = classifier.get_params(deep=False) if classifier is not None else {}
    if "categorical_features" not in params:
        return None
    value = params["categorical_features"]
    return value is not None and not isinstance(value, str)
