"""``experiment=ceiling``: does generating rows improve the model a user would deploy?

In each outer training fold, an inner stratified cross-validation on that fold's rows only
scores every pipeline of a menu, classifier x ``imbalance`` x sampler x ``synthetic_weight``,
by its mean inner minority AP (no threshold is tuned). Two arms choose from it on the same
folds and rows:

- ``without``: the pipelines with no resampling (sampler ``none``), class weighting included;
- ``with``: every pipeline, the samplers (the run's ``baselines``) at each synthetic weight.

Each arm's choice is refitted on the whole training fold and scores the untouched test fold.
Per inner split, one sampler fit feeds every classifier and weighting (:func:`fit_fold`), and
its predictions are cached per (dataset, cap, fold, inner split, sampler) in the job's
``inner_cache/``, so a rerun reuses them. With ``ceiling.hindsight`` every pipeline is also
scored on the outer folds (``ceiling_menu.csv``): the best fixed pipeline of each classifier
in hindsight, a reference the choices cannot reach. No successive halving: every pipeline
sees every inner split.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import has_fit_parameter

from genover.atomic import atomic_write, atomic_write_text
from genover.data import Dataset
from genover.evaluation.metrics import align_proba, score_probabilities
from genover.evaluation.rundir import summarise, write_run_outputs
from genover.experiment.config import Method, build, check_folds
from genover.experiment.crossval import MethodResult, plan_job
from genover.experiment.fitting import takes_eval_set
from genover.experiment.outcome import fold_outcome
from genover.experiment.reuse import dataset_digest
from genover.experiment.shared_fit import fit_fold

log = logging.getLogger(__name__)

NO_SAMPLER = "none"
ARMS = ("without", "with")


@dataclasses.dataclass(frozen=True)
class Entry:
    """One pipeline of the menu: a classifier (a name of the run's classifiers) with its class
    weighting, a sampler (a method name) and the weight of the rows it appends."""

    classifier: str
    imbalance: str
    sampler: str
    weight: float

    @property
    def key(self) -> str:
        """The pipeline's name in records and caches."""
        return f"{self.classifier}[imbalance={self.imbalance}] + {self.sampler} (w={self.weight:g})"

    def fields(self) -> dict:
        """The entry as ``ceiling.*`` record fields."""
        return {
            "ceiling.classifier": self.classifier,
            "ceiling.imbalance": self.imbalance,
            "ceiling.sampler": self.sampler,
            "ceiling.synthetic_weight": self.weight,
        }


def build_menu(
    classifiers: dict[str, dict], methods: list[Method], settings: DictConfig
) -> list[Entry]:
    """Every pipeline of the menu, no resampling first: ``settings.imbalance`` for classifiers
    with that option (else none), ``settings.synthetic_weights`` for samplers other than
    ``none`` and classifiers whose ``fit`` takes ``sample_weight`` (else 1)."""
    names = [m.name for m in methods]
    if NO_SAMPLER not in names:
        raise ValueError(
            f"experiment=ceiling: the samplers {names} lack {NO_SAMPLER!r}, the arm without "
            "generation; use sampler=none and name the others in baselines=[...]."
        )
    imbalances = [str(v) for v in settings.imbalance]
    weights = [float(w) for w in settings.synthetic_weights]
    if not weights or min(weights) < 0:
        raise ValueError(
            f"ceiling.synthetic_weights={weights}: give non-negative weights, e.g. [1.0,0.5]."
        )
    for name, node in classifiers.items():
        if takes_eval_set(build(node)):
            raise ValueError(
                f"experiment=ceiling: classifier {name!r} early-stops on held-out rows, which "
                "one sampler fit shared by the whole menu cannot give each pipeline; turn its "
                f"early stopping off (e.g. classifiers.{name}.val_fraction=0, or "
                "classifier.val_fraction=0 for the run's classifier) or leave it out."
            )
    ordered = [NO_SAMPLER, *[n for n in names if n != NO_SAMPLER]]
    menu = []
    for sampler in ordered:
        for name, node in classifiers.items():
            arms = imbalances if "imbalance" in node else ["none"]
            weighs = sampler != NO_SAMPLER and has_fit_parameter(build(node), "sample_weight")
            for imbalance in arms:
                for weight in weights if weighs else [1.0]:
                    menu.append(Entry(name, imbalance, sampler, weight))
    return list(dict.fromkeys(menu))


def entry_classifier(entry: Entry, classifiers: dict[str, dict]) -> dict:
    """The classifier config of ``entry``, with its class weighting."""
    node = dict(classifiers[entry.classifier])
    if "imbalance" in node:
        node["imbalance"] = entry.imbalance
    return node


def fit_entries(
    dataset: Dataset,
    method: Method,
    cfg: DictConfig,
    entries: list[Entry],
    classifiers: dict[str, dict],
    train: np.ndarray,
    seed: int,
) -> dict[str, tuple]:
    """One fit of ``method``'s sampler on the rows ``train`` of ``dataset``, feeding every
    entry's classifier and weighting: ``{entry key: (fitted pipeline, capture)}`` and the
    rows the sampler was fitted on."""
    nodes = {e.key: entry_classifier(e, classifiers) for e in entries}
    weights = {e.key: e.weight for e in entries}
    fitted, _, mask = fit_fold(
        dataset, method, cfg, dataset.X[train], dataset.y[train], seed, nodes, None, None, weights
    )
    return fitted, train[mask]


def probabilities(pipe, dataset: Dataset, rows: np.ndarray) -> np.ndarray:
    """Class probabilities of ``rows`` (one column per class code)."""
    return align_proba(pipe.predict_proba(dataset.X[rows]), pipe.classes_, dataset.n_classes)


def minority_ap(dataset: Dataset, rows: np.ndarray, proba: np.ndarray) -> float:
    """Minority AP of ``proba`` on ``rows`` (the experiment's headline metric)."""
    return float(score_probabilities(dataset.y[rows], proba, dataset.minority_classes)["ap"])


class InnerCache:
    """Inner-split predictions per (dataset, cap, fold, inner split, sampler), one ``.npz``
    per key in ``folder`` (None: kept in memory only); each holds one array per pipeline,
    named by a hash of the pipeline and its settings, so a changed menu recomputes."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.memory: dict[str, dict[str, np.ndarray]] = {}

    def get(self, key: str, names: list[str], compute: Callable[[], dict]) -> dict:
        """The arrays ``names`` under ``key``; ``compute()`` (all of them) when any is missing."""
        stored = self.memory.get(key)
        if stored is None and self.folder is not None and (self.folder / f"{key}.npz").exists():
            with np.load(self.folder / f"{key}.npz") as data:
                stored = {name: data[name] for name in data.files}
        if stored is None or not set(names) <= set(stored):
            stored = {**(stored or {}), **compute()}
            self._save(key, stored)
        self.memory[key] = stored
        return {name: stored[name] for name in names}

    def _save(self, key: str, arrays: dict) -> None:
        if self.folder is not None:
            path = self.folder / f"{key}.npz"
            atomic_write(path, lambda tmp: np.savez(tmp, **arrays))  # tmp ends in .npz


def digest(*parts) -> str:
    """A short stable hash of JSON-able ``parts``."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclasses.dataclass
class Choice:
    """One arm's choice on one outer fold."""

    entry: Entry
    inner_ap: float


def inner_scores(
    dataset: Dataset,
    cfg: DictConfig,
    menu: list[Entry],
    methods: list[Method],
    classifiers: dict[str, dict],
    train: np.ndarray,
    index: int,
    cache: InnerCache,
) -> tuple[dict[str, float], list[str]]:
    """Mean inner minority AP of every menu entry over the inner splits of the training
    rows ``train`` (the test fold is never read), and the samplers that failed on a split
    (their entries are left out of the choice)."""
    settings, seed = cfg.ceiling, int(cfg.seed) + index
    splitter = StratifiedKFold(int(settings.inner_folds), shuffle=True, random_state=seed)
    scores: dict[str, list[float]] = {e.key: [] for e in menu}
    failed: list[str] = []
    for split, (fit_at, val_at) in enumerate(splitter.split(train, dataset.y[train])):
        fit_rows, val_rows = train[fit_at], train[val_at]
        for method in methods:
            entries = [e for e in menu if e.sampler == method.name]
            if not entries or method.name in failed:
                continue
            names = {e.key: digest(e.key, classifiers[e.classifier]) for e in entries}
            key = _cache_key(dataset, cfg, index, split, method, fit_rows)
            try:
                proba = cache.get(
                    key,
                    list(names.values()),
                    partial(
                        _inner_proba,
                        dataset,
                        method,
                        cfg,
                        entries,
                        classifiers,
                        fit_rows,
                        val_rows,
                        seed,
                        names,
                    ),
                )
            except (ValueError, RuntimeError) as err:
                log.warning(
                    "fold %d, inner split %d: %s failed: %s", index, split, method.name, err
                )
                failed.append(method.name)
                continue
            for entry in entries:
                scores[entry.key].append(minority_ap(dataset, val_rows, proba[names[entry.key]]))
    means = {e.key: float(np.mean(scores[e.key])) for e in menu if e.sampler not in failed}
    return means, failed


def _inner_proba(dataset, method, cfg, entries, classifiers, fit_rows, val_rows, seed, names):
    fitted, _ = fit_entries(dataset, method, cfg, entries, classifiers, fit_rows, seed)
    return {names[key]: probabilities(pipe, dataset, val_rows) for key, (pipe, _) in fitted.items()}


def _cache_key(dataset, cfg, index: int, split: int, method: Method, fit_rows) -> str:
    """(dataset, cap, fold, inner split, sampler), with a hash of what else decides the fit."""
    cap = cfg.get("minority_cap")
    settings = (
        method.sampler,
        OmegaConf.to_container(cfg.transform, resolve=True),
        # auto's estimator=downstream picks its candidate with the run's classifier
        OmegaConf.to_container(cfg.classifier, resolve=True),
    )
    data = dataset_digest(dataset)  # values, labels and column schema
    rows = digest(np.asarray(fit_rows).tolist(), int(cfg.seed), cfg.get("impute"), data)
    name = f"{dataset.name}_cap{cap if cap is not None else 'all'}_f{index}_s{split}"
    return f"{name}_{method.name}_{digest(settings, rows)}".replace("/", "_").replace(":", "_")


def choose(means: dict[str, float], menu: list[Entry]) -> dict[str, Choice]:
    """Each arm's pipeline with the best mean inner AP (ties: the earlier in the menu, so
    no resampling wins a tie)."""
    out = {}
    for arm in ARMS:
        allowed = [e for e in menu if e.key in means and (arm == "with" or e.sampler == "none")]
        if not allowed:
            raise ValueError(
                f"experiment=ceiling: no pipeline of the {arm!r} arm could be fitted on any "
                "inner split of this fold (see the log for each failure)."
            )
        best = max(allowed, key=lambda e: means[e.key])  # max keeps the first of equals
        out[arm] = Choice(best, means[best.key])
    return out


def outer_fold(
    dataset: Dataset,
    cfg: DictConfig,
    menu: list[Entry],
    methods: list[Method],
    classifiers: dict[str, dict],
    split: tuple[np.ndarray, np.ndarray],
    index: int,
    cache: InnerCache,
) -> tuple[dict[str, tuple[dict, dict, np.ndarray]], list[dict]]:
    """Choose on inner splits of the training fold, refit on all of it, score the test
    fold: per arm (scores, outcome, minority probabilities), and the hindsight rows."""
    train, test = split
    means, failed = inner_scores(dataset, cfg, menu, methods, classifiers, train, index, cache)
    chosen = choose(means, menu)
    wanted = menu if cfg.ceiling.hindsight else [c.entry for c in chosen.values()]
    wanted = [e for e in wanted if e.key in means]
    seed = int(cfg.seed) + index
    fits, menu_rows = {}, []
    for method in methods:
        entries = [e for e in wanted if e.sampler == method.name]
        needed = {c.entry.sampler for c in chosen.values()}
        if not entries:
            continue
        try:
            fitted, rows = fit_entries(dataset, method, cfg, entries, classifiers, train, seed)
        except (ValueError, RuntimeError) as err:
            if method.name in needed:
                raise
            log.warning("fold %d: %s failed on the training fold: %s", index, method.name, err)
            continue
        for entry in entries:
            pipe, capture = fitted[entry.key]
            proba = probabilities(pipe, dataset, test)
            fits[entry.key] = (pipe, capture, rows, proba)
            ap = minority_ap(dataset, test, proba)
            menu_rows.append({**entry.fields(), "ap": ap, "inner_ap": means[entry.key]})
    arms = {}
    for arm, choice in chosen.items():
        pipe, capture, rows, proba = fits[choice.entry.key]
        scores = score_probabilities(
            dataset.y[test], proba, dataset.minority_classes, float(cfg.evaluation.beta)
        )
        outcome = {
            **fold_outcome(pipe, capture, dataset.y[rows], dataset),
            **choice.entry.fields(),
            "ceiling.inner_ap": choice.inner_ap,
            "ceiling.menu_size": len(means),
            "ceiling.failed_samplers": ",".join(failed),
        }
        arms[arm] = (scores, outcome, proba[:, dataset.minority_class])
    return arms, menu_rows


def check_inner_folds(dataset: Dataset, cfg: DictConfig, splits) -> None:
    """Reject ``ceiling.inner_folds`` that a training fold's class counts cannot support."""
    train = min(splits, key=lambda s: np.bincount(dataset.y[s[0]]).min())[0]
    inner = dataclasses.replace(dataset, X=dataset.X[train], y=dataset.y[train])
    try:
        check_folds(inner, int(cfg.ceiling.inner_folds), 1)
    except ValueError as err:
        raise ValueError(f"ceiling.inner_folds={cfg.ceiling.inner_folds}: {err}") from err


def run_ceiling(cfg: DictConfig, output_dir: str | Path | None = None) -> dict:
    """Run ``experiment=ceiling`` on the configured dataset (see the module docstring);
    returns the ``metrics.json`` payload, methods ``without`` and ``with``."""
    dataset, splits, choices, methods, classifiers = plan_job(cfg)
    check_inner_folds(dataset, cfg, splits)
    menu = build_menu(classifiers, methods, cfg.ceiling)
    out = Path(output_dir) if output_dir is not None else None
    cache = InnerCache(out / "inner_cache" if out is not None else None)
    results = {arm: MethodResult() for arm in ARMS}
    hindsight, chosen = [], []
    log.info("%s: ceiling menu of %d pipelines", dataset.name, len(menu))
    for index, split in enumerate(splits):
        repeat, fold = divmod(index, int(cfg.folds))
        arms, menu_rows = outer_fold(dataset, cfg, menu, methods, classifiers, split, index, cache)
        ids = {"repeat": repeat, "fold": fold}
        hindsight += [{"dataset": dataset.name, **_cap(cfg), **ids, **r} for r in menu_rows]
        for arm, (scores, outcome, minority_proba) in arms.items():
            _record(results[arm], arm, dataset, split, ids, scores, outcome, minority_proba)
            chosen.append({"arm": arm, **ids, **{k: v for k, v in outcome.items() if "." in k}})
    arms = [Method(arm, {"ceiling_arm": arm}) for arm in ARMS]
    payload = summarise(dataset, cfg, arms, results, {}, choices)
    payload["ceiling"] = {
        "design": "per outer training fold, inner CV on its rows chooses one pipeline per arm "
        "by minority AP; refitted on the training fold, scored on the untouched test fold",
        "inner_folds": int(cfg.ceiling.inner_folds),
        "menu": [e.key for e in menu],
        "successive_halving": False,
        "hindsight": bool(cfg.ceiling.hindsight),
        "chosen": chosen,
    }
    if out is not None:
        frame = pd.DataFrame(hindsight)
        atomic_write_text(out / "ceiling_menu.csv", frame.to_csv(index=False))
        write_run_outputs(out, payload, results, dataset, cfg)
    return payload


def _cap(cfg: DictConfig) -> dict:
    cap = cfg.get("minority_cap")
    return {"cap": "all" if cap is None else str(int(cap))}


def _record(result, arm, dataset, split, ids, scores, outcome, minority_proba) -> None:
    """Add one outer fold's scores and outcome to ``result`` (as ``evaluate_method`` does)."""
    train, test = split
    result.records.append(
        {
            "method": arm,
            **ids,
            **{k: float(v) for k, v in scores.items()},
            "n_train": int(len(train)),
            "n_test": int(len(test)),
            "minority_train": int(np.sum(dataset.y[train] == dataset.minority_class)),
        }
    )
    result.outcomes.append({**ids, **outcome})
    if ids["repeat"] == 0:
        result.curves[0].append(dataset.y[test] == dataset.minority_class)
        result.curves[1].append(minority_proba)
