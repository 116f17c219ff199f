"""One cross-validated experiment: ``run(cfg)`` evaluates a sampler and its baselines.

For every repeated stratified fold, an imbalanced-learn ``Pipeline`` is fitted on the training
rows only: tabular transformer -> sampler (``fit_resample``) -> classifier. The test rows are
then scored through ``predict_proba``. All methods share the same folds (a paired design).
For binary data the decision threshold is tuned on an inner validation split of each
training fold, and the synthetic rows of every over-sampler are scored for quality.
"""

from __future__ import annotations

import inspect
import logging
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
from hydra.utils import instantiate
from imblearn import FunctionSampler
from imblearn.pipeline import Pipeline
from omegaconf import DictConfig, OmegaConf
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedShuffleSplit

from genover.data import Dataset, OneHotCategoricals, load_dataset
from genover.evaluation.metrics import align_proba, score_probabilities
from genover.evaluation.quality import sample_quality
from genover.evaluation.rundir import summarise, write_run_outputs
from genover.evaluation.threshold import best_threshold
from genover.models.datamodule import stratified_holdout
from genover.progress import FoldProgress

log = logging.getLogger(__name__)
_QUALITY_MAX_ROWS = 2000


@dataclass(frozen=True)
class Method:
    """A named sampler configuration evaluated in the experiment."""

    name: str
    sampler: dict


@dataclass
class MethodResult:
    """Everything one method produced over the folds."""

    records: list[dict] = field(default_factory=list)
    outcomes: list[dict] = field(default_factory=list)  # per fold: what the fit decided and did
    quality: list[dict] = field(default_factory=list)
    curves: tuple[list, list] = field(default_factory=lambda: ([], []))
    synthetic_view: tuple | None = None
    seconds: float = 0.0


def sampler_config_names() -> list[str]:
    """Names of the sampler configs shipped in ``conf/sampler``."""
    folder = resources.files("genover.conf") / "sampler"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_sampler_config(name: str, seed: int) -> dict:
    """The resolved ``conf/sampler/<name>.yaml`` (for baselines listed by name)."""
    available = sampler_config_names()
    if name not in available:
        raise ValueError(f"unknown baseline sampler {name!r}; choose from {available}.")
    text = (resources.files("genover.conf") / "sampler" / f"{name}.yaml").read_text()
    root = OmegaConf.create({"seed": seed, "sampler": OmegaConf.create(text)})
    return OmegaConf.to_container(root, resolve=True)["sampler"]


def experiment_methods(cfg: DictConfig) -> list[Method]:
    """The configured sampler first, then each baseline not already covered."""
    main = OmegaConf.to_container(cfg.sampler, resolve=True)
    methods = [Method(main.get("name", "sampler"), main)]
    for name in cfg.get("baselines") or []:
        if name not in {m.name for m in methods}:
            methods.append(Method(name, load_sampler_config(name, int(cfg.seed))))
    return methods


def _without_names(node):
    if isinstance(node, dict):
        return {
            k: _without_names(v)
            for k, v in node.items()
            if not (k == "name" and "_target_" in node)
        }
    if isinstance(node, list):
        return [_without_names(v) for v in node]
    return node


def build(node: dict | DictConfig):
    """Instantiate a ``_target_`` config, ignoring the descriptive ``name`` keys in it."""
    conf = node if isinstance(node, dict) else OmegaConf.to_container(node, resolve=True)
    return instantiate(_without_names(conf), _convert_="all")


def load_configured_dataset(cfg: DictConfig) -> Dataset:
    """The dataset named by ``cfg.data`` with the config's target/categorical/impute/seed."""
    return load_dataset(
        cfg.data,
        target=cfg.get("target"),
        categorical=cfg.get("categorical"),
        impute=cfg.get("impute"),
        seed=int(cfg.seed),
    )


def check_folds(dataset: Dataset, folds: int, repeats: int) -> None:
    """Reject fold settings the class counts cannot support, naming the fix."""
    if folds < 2 or repeats < 1:
        raise ValueError(f"folds={folds}, repeats={repeats}: need folds>=2 and repeats>=1.")
    counts = dataset.class_counts
    smallest = int(np.argmin(counts))
    if counts[smallest] < folds:
        raise ValueError(
            f"class {dataset.class_names[smallest]!r} of {dataset.name} has {counts[smallest]} "
            f"rows, fewer than folds={folds}; use folds<={counts[smallest]}."
        )


class ResampledCapture:
    """A pass-through step after the sampler that keeps the resampled training data."""

    def __init__(self):
        self.X = self.y = None

    def __call__(self, X, y):
        self.X, self.y = X, y
        return X, y


def fold_pipeline(
    dataset: Dataset,
    method: Method,
    cfg: DictConfig,
    log_name: str | None = None,
    log_dir: Path | None = None,
) -> tuple[Pipeline, ResampledCapture]:
    """transformer -> sampler -> (one-hot for categorical-aware samplers) -> classifier."""
    sampler = build(method.sampler)
    params = sampler.get_params(deep=False)
    mask = dataset.categorical_mask
    n_categories = [len(c.categories) for c in dataset.columns if c.is_categorical]
    aware = "categorical_features" in params and mask.any()
    transformer = build(cfg.transform).set_params(
        categorical_features=mask,
        n_categories=n_categories or None,
        one_hot=not aware,
        impute=dataset.impute,
    )
    if "trainer" in params and log_dir is not None:
        sampler.set_params(
            trainer={**(params["trainer"] or {}), "log_dir": str(log_dir), "log_name": log_name}
        )
    capture = ResampledCapture()
    steps = [("transform", transformer)]
    if aware:
        codes_at = np.arange(int((~mask).sum()), mask.size)
        sampler.set_params(categorical_features=codes_at)
        steps += [("sampler", sampler), ("one_hot", OneHotCategoricals(codes_at, n_categories))]
    else:
        if "categorical_features" in params:
            sampler.set_params(categorical_features=None)
        steps.append(("sampler", sampler))
    steps.append(("capture", FunctionSampler(func=capture, validate=False)))
    steps.append(("classifier", build(cfg.classifier)))
    return Pipeline(steps), capture


def takes_eval_set(estimator) -> bool:
    """Whether a classifier early-stops on validation rows given to ``fit(eval_set=...)``."""
    fit = getattr(estimator, "fit", None)
    val_fraction = getattr(estimator, "val_fraction", 0) or 0
    return fit is not None and "eval_set" in inspect.signature(fit).parameters and val_fraction > 0


def fit_pipeline(
    pipe: Pipeline, X: np.ndarray, y: np.ndarray, seed: int
) -> tuple[dict, np.ndarray]:
    """Fit ``pipe`` on the real rows ``X, y``; return what the fit recorded and the mask of
    the rows that the transformer and sampler were fitted on.

    A classifier that early-stops (``takes_eval_set``) gets its validation rows from a
    stratified share of these *real* rows, held out before the transformer and sampler are
    fitted: they never train anything, and no synthetic row reaches them.
    """
    classifier = pipe.steps[-1][1]
    every = np.ones(len(y), dtype=bool)
    if not takes_eval_set(classifier):
        pipe.fit(X, y)
        return {}, every
    held = stratified_holdout(y, float(classifier.val_fraction), seed)
    if len(np.unique(y[held])) < 2:
        pipe.fit(X, y)
        return {"classifier.validation": "internal split (too few rows to hold out)"}, every
    X_fit, y_fit = pipe[:-1].fit_resample(X[~held], y[~held])
    classifier.fit(X_fit, y_fit, eval_set=(model_space(pipe, X[held]), y[held]))
    return {"classifier.validation": "real rows held out before resampling"}, ~held


def model_space(pipe: Pipeline, X: np.ndarray) -> np.ndarray:
    """Rows as the classifier sees them: the fitted transforms, skipping the samplers."""
    for _, step in pipe.steps[:-1]:
        if not hasattr(step, "fit_resample"):
            X = step.transform(X)
    return X


def tuned_threshold(
    dataset: Dataset, method: Method, cfg: DictConfig, train: np.ndarray, index: int
) -> float | None:
    """The minority threshold chosen on an inner validation split of the training fold."""
    settings = cfg.evaluation.threshold
    if dataset.n_classes != 2 or not settings.tune:
        return None
    y = dataset.y[train]
    split = StratifiedShuffleSplit(
        1, test_size=float(settings.val_fraction), random_state=int(cfg.seed) + index
    )
    inner, val = next(split.split(dataset.X[train], y))
    if np.bincount(y[val], minlength=2).min() < 1 or np.bincount(y[inner]).min() < 2:
        return None
    pipe, _ = fold_pipeline(dataset, method, cfg)
    fit_pipeline(pipe, dataset.X[train][inner], y[inner], int(cfg.seed) + index)
    pos = dataset.minority_class
    proba = align_proba(pipe.predict_proba(dataset.X[train][val]), pipe.classes_, 2)[:, pos]
    cost = OmegaConf.to_container(settings.cost) if settings.get("cost") is not None else None
    return best_threshold(
        (y[val] == pos).astype(int), proba, settings.objective, float(cfg.evaluation.beta), cost
    )


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


def fold_quality(view, seed: int) -> dict[str, float]:
    """Sample-quality measures for each class that received synthetic rows, averaged."""
    real, y_real, fake, y_fake = view
    per_class = []
    for label in np.unique(y_fake):
        rows = fake[y_fake == label][:_QUALITY_MAX_ROWS]
        if np.sum(y_real == label) >= 2 and len(rows) >= 2:
            per_class.append(sample_quality(real, y_real, rows, label, seed=seed))
    if not per_class:
        return {}
    return {k: float(np.nanmean([q[k] for q in per_class])) for k in per_class[0]}


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
    return out


def evaluate_method(
    dataset: Dataset,
    method: Method,
    splits,
    cfg: DictConfig,
    log_dir: Path | None = None,
    progress: FoldProgress | None = None,
) -> MethodResult:
    """Fit and score ``method`` on every fold."""
    result = MethodResult()
    start = time.perf_counter()
    folds, beta, seed = int(cfg.folds), float(cfg.evaluation.beta), int(cfg.seed)
    for index, (train, test) in enumerate(splits):
        repeat, fold = divmod(index, folds)
        threshold = tuned_threshold(dataset, method, cfg, train, index)
        pipe, capture = fold_pipeline(
            dataset, method, cfg, f"{method.name}_r{repeat}_f{fold}", log_dir
        )
        fit_record, fitted = fit_pipeline(pipe, dataset.X[train], dataset.y[train], seed + index)
        X_fit, y_fit = dataset.X[train][fitted], dataset.y[train][fitted]
        proba = align_proba(pipe.predict_proba(dataset.X[test]), pipe.classes_, dataset.n_classes)
        scores = score_probabilities(
            dataset.y[test], proba, dataset.minority_classes, beta, threshold
        )
        outcome = {**fold_outcome(pipe, capture, y_fit, dataset), **fit_record}
        result.records.append(
            {
                "method": method.name,
                "repeat": repeat,
                "fold": fold,
                **{k: float(v) for k, v in scores.items()},
                "n_train": int(len(train)),
                "n_test": int(len(test)),
            }
        )
        result.outcomes.append({"repeat": repeat, "fold": fold, **outcome})
        if repeat == 0:
            minority = dataset.minority_class
            result.curves[0].append(dataset.y[test] == minority)
            result.curves[1].append(proba[:, minority])
        view = synthetic_rows(pipe, capture, X_fit)
        if view is not None and cfg.evaluation.quality:
            result.quality.append(fold_quality(view, seed))
            if result.synthetic_view is None:
                result.synthetic_view = view
        if progress is not None:
            progress.fold_done(method.name, outcome.get("synthetic_rows"))
    result.seconds = time.perf_counter() - start
    return result


def run(cfg: DictConfig, output_dir: str | Path | None = None) -> dict:
    """Run the experiment described by ``cfg``; write outputs to ``output_dir`` if given.

    Returns the ``metrics.json`` payload: dataset summary, per-method mean/std of every
    metric, sample quality, and the per-fold records. A method that fails is recorded with
    its error while the others still run.
    """
    dataset = load_configured_dataset(cfg)
    folds, repeats, seed = int(cfg.folds), int(cfg.repeats), int(cfg.seed)
    check_folds(dataset, folds, repeats)
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    splits = list(splitter.split(dataset.X, dataset.y))
    log.info("%s: %s", dataset.name, dataset.summary())
    out = Path(output_dir) if output_dir is not None else None
    log_dir = out / "tensorboard" / "generators" if out is not None else None
    methods = experiment_methods(cfg)
    results, failures = {}, {}
    with FoldProgress(len(methods) * len(splits), dataset.name) as progress:
        for method in methods:
            try:
                results[method.name] = evaluate_method(
                    dataset, method, splits, cfg, log_dir, progress
                )
            except (ValueError, RuntimeError) as err:
                log.error("method %s failed on %s: %s", method.name, dataset.name, err)
                failures[method.name] = f"{type(err).__name__}: {err}"
                progress.skip(method.name, len(splits))
    payload = summarise(dataset, cfg, methods, results, failures)
    if out is not None:
        write_run_outputs(out, payload, results, dataset, cfg)
    return payload
