"""``genover advise``: profile a dataset and recommend methods for its imbalance and domain.

``genover advise data=<spec> [domain=medical|fraud|manufacturing] [advise.run=true]`` prints

- the profile: rows per class and their ratio to the majority, the minority row count, and
  the shares of categorical columns and missing values;
- the guideline for the imbalance ratio (majority rows / minority rows), from :data:`BANDS`:

  ============== ==========================================
  below 2:1      near balance: stratified splits, no resampling
  2:1 to 5:1     class weights and stratified splits
  5:1 to 20:1    SMOTE and cost-sensitive learning
  20:1 to 100:1  ADASYN, focal loss and ensembles (100:1 itself included)
  above 100:1    anomaly detection and one-class learning
  ============== ==========================================

- the domain advice from :data:`DOMAINS` (medical: recall first, F2 and asymmetric costs for
  threshold tuning; fraud: under-sampling, ensembles and latency; manufacturing: interpretable,
  rule-based ensembles);
- each recommendation with its reason and a ready-to-run ``genover`` command line;
- warnings: a minority too small for SMOTE's ``k_neighbors`` at 5 folds, and few minority rows
  with mixed column types (the regime in which generators are most likely to help).

With ``advise.run=true`` the candidates and a ``sampler=none classifier=lr`` reference run a
short paired cross-validation (``advise.folds`` x ``advise.repeats``, the same folds for all)
through :func:`genover.experiment.run`, ranked by minority AP.

Everything up to the printing is pure: :func:`profile_dataset` -> :func:`advise` ->
:func:`format_advice`; :func:`rank_candidates` runs the experiments.
"""

from __future__ import annotations

import logging
import math
import shlex
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from omegaconf import DictConfig

from genover.data import Dataset

SMOTE_K = 5  # conf/sampler/smote.yaml's k_neighbors
CHECK_FOLDS = 5  # the default folds in conf/config.yaml
FEW_MINORITY_ROWS = 100  # at or below: "few" minority rows for the generator warning
MEDICAL_COST = "[[0,1],[20,0]]"  # a false negative costs 20 false positives
REFERENCE = ("sampler=none", "classifier=lr")
# Overrides that change the threshold or the report but not the fitted model (and so not AP).
_SCORING_PREFIXES = ("evaluation.",)


@dataclass(frozen=True)
class Profile:
    """What the advice depends on: class counts, column types and missing values."""

    name: str
    rows: int
    features: int
    class_names: tuple[str, ...]
    class_counts: tuple[int, ...]
    categorical_share: float
    missing_share: float

    @property
    def imbalance_ratio(self) -> float:
        return max(self.class_counts) / max(min(self.class_counts), 1)

    @property
    def ratios(self) -> dict[str, float]:
        """Each class's majority-to-class ratio (1 for the majority)."""
        top = max(self.class_counts)
        return {
            n: top / max(c, 1) for n, c in zip(self.class_names, self.class_counts, strict=True)
        }

    @property
    def minority_rows(self) -> int:
        return min(self.class_counts)

    @property
    def minority_name(self) -> str:
        return self.class_names[int(np.argmin(self.class_counts))]

    @property
    def mixed_types(self) -> bool:
        return 0.0 < self.categorical_share < 1.0


@dataclass(frozen=True)
class Band:
    """One row of the guideline table: ``low <= IR < high`` (the 20:1-100:1 row includes 100)."""

    label: str
    advice: str
    low: float
    high: float


@dataclass(frozen=True)
class Method:
    """A recommendation without the dataset: its title, reason and method overrides."""

    title: str
    reason: str
    overrides: tuple[str, ...]


@dataclass(frozen=True)
class Recommendation:
    """A recommendation for one dataset; ``overrides`` make a ready-to-run command."""

    title: str
    reason: str
    overrides: tuple[str, ...]

    @property
    def command(self) -> str:
        return "genover " + shlex.join(self.overrides)


@dataclass(frozen=True)
class Note:
    """A warning, with a command that addresses it where there is one."""

    kind: str
    message: str
    command: str | None = None


@dataclass(frozen=True)
class Advice:
    """The full answer of ``genover advise`` for one dataset and domain."""

    profile: Profile
    band: Band
    recommendations: tuple[Recommendation, ...]
    domain: str | None
    domain_advice: str | None
    domain_recommendations: tuple[Recommendation, ...]
    warnings: tuple[Note, ...]
    base_overrides: tuple[str, ...]

    def candidates(self) -> list[Recommendation]:
        """Recommendations that fit different models (threshold-only variants dropped)."""
        seen, out = set(), []
        for rec in (*self.recommendations, *self.domain_recommendations):
            key = model_overrides(rec.overrides)
            if key not in seen:
                seen.add(key)
                out.append(rec)
        return out


BANDS = (
    Band("below 2:1", "near balance: stratified splits, no resampling", 1.0, 2.0),
    Band("2:1 to 5:1", "class weights and stratified splits", 2.0, 5.0),
    Band("5:1 to 20:1", "SMOTE and cost-sensitive learning", 5.0, 20.0),
    Band("20:1 to 100:1", "ADASYN, focal loss and ensembles", 20.0, 100.0),
    Band("above 100:1", "anomaly detection and one-class learning", 100.0, math.inf),
)

_WEIGHTED_LR = ("sampler=none", "classifier=lr", "+classifier.class_weight=balanced")
_WEIGHTED_RF = ("sampler=none", "classifier=rf", "+classifier.class_weight=balanced")
_BRF = Method(
    "Balanced Random Forest",
    "every tree sees a balanced bootstrap, so no tree is swamped by the majority while the "
    "forest as a whole still sees every majority row.",
    ("sampler=none", "classifier=brf"),
)
_EASY = Method(
    "EasyEnsemble",
    "AdaBoost learners on independent balanced under-samples: the speed of under-sampling "
    "without throwing the majority information away.",
    ("sampler=none", "classifier=easy_ensemble"),
)

BAND_METHODS: dict[str, tuple[Method, ...]] = {
    "below 2:1": (
        Method(
            "no resampling",
            "the classes are nearly balanced: resampling changes little, and genover's "
            "stratified folds already keep the ratio in every split.",
            REFERENCE,
        ),
    ),
    "2:1 to 5:1": (
        Method(
            "class-weighted logistic regression",
            "at a mild ratio, weighting the loss by inverse class frequency removes the pull "
            "towards the majority without changing the data; genover's folds are stratified.",
            _WEIGHTED_LR,
        ),
        Method(
            "class-weighted random forest",
            "the same class weights in a non-linear model: every split counts minority rows more.",
            _WEIGHTED_RF,
        ),
    ),
    "5:1 to 20:1": (
        Method(
            "SMOTE",
            "with enough minority rows to have neighbours, SMOTE interpolates new ones between "
            "them and widens the minority region instead of duplicating rows.",
            ("sampler=smote", "classifier=lr"),
        ),
        Method(
            "cost-sensitive logistic regression",
            "the same aim without synthetic rows: a misclassified minority row costs IR times "
            "more in the loss.",
            _WEIGHTED_LR,
        ),
        Method(
            "cost-sensitive random forest",
            "class costs in a non-linear model, for boundaries a linear model cannot draw.",
            _WEIGHTED_RF,
        ),
    ),
    "20:1 to 100:1": (
        Method(
            "ADASYN",
            "ADASYN puts more synthetic rows where minority rows are surrounded by majority "
            "ones, the hard region that dominates the errors at this ratio.",
            ("sampler=adasyn", "classifier=lr"),
        ),
        Method(
            "focal loss (MLP)",
            "focal loss down-weights the many easy majority rows, so the gradient comes from the "
            "hard and rare ones.",
            ("sampler=none", "classifier=mlp", "loss=focal"),
        ),
        _BRF,
        _EASY,
    ),
    "above 100:1": (
        Method(
            "Isolation Forest (one-class)",
            "with this few minority rows, learn what normal looks like instead: the forest is "
            "fitted on majority rows, and rows it isolates quickly score as minority.",
            ("sampler=none", "classifier=isolation_forest"),
        ),
        Method(
            "one-class SVM",
            "a kernel boundary around the majority rows; rows outside it score as minority.",
            ("sampler=none", "classifier=one_class_svm"),
        ),
        Method(
            "Local Outlier Factor (novelty mode)",
            "rows in sparser neighbourhoods than their neighbours' score as minority; suits "
            "normal data made of local clusters.",
            ("sampler=none", "classifier=lof"),
        ),
    ),
}
# The one-class detectors are binary: multiclass data above 100:1 gets ensembles instead.
MULTICLASS_EXTREME = (_BRF, _EASY)

DOMAINS: dict[str, str] = {
    "medical": "recall first: F2 and asymmetric costs for threshold tuning",
    "fraud": "efficient methods (under-sampling and ensembles) and scoring latency",
    "manufacturing": "interpretable, rule-based ensembles",
}
_MEDICAL_THRESHOLD = (
    "evaluation.beta=2",
    "evaluation.threshold.objective=cost",
    f"evaluation.threshold.cost={MEDICAL_COST}",
)
_DOMAIN_METHODS: dict[str, tuple[Method, ...]] = {
    "fraud": (
        Method(
            "random under-sampling + logistic regression",
            "fraud tables are large and models are refitted often: under-sampling trains on a "
            "fraction of the rows and a linear model scores a transaction in microseconds "
            "(compare fit times in the run's timings.json).",
            ("sampler=random_under", "classifier=lr"),
        ),
        Method(
            "EasyEnsemble",
            "boosted learners on balanced under-samples recover what one under-sample throws "
            "away; scoring latency grows with classifier.n_estimators.",
            ("sampler=none", "classifier=easy_ensemble"),
        ),
    ),
    "manufacturing": (
        Method(
            "RUSBoost of decision stumps",
            "each boosting round learns a one-feature threshold rule on a random under-sample: "
            "the model is a weighted vote of if-then rules an engineer can read and check.",
            ("sampler=none", "classifier=rusboost"),
        ),
        Method(
            "shallow Balanced Random Forest",
            "depth-3 trees on balanced bootstraps: every leaf is a rule of at most three "
            "conditions, and feature importances point at the process variables behind defects.",
            ("sampler=none", "classifier=brf", "+classifier.max_depth=3"),
        ),
    ),
}


def profile_dataset(dataset: Dataset) -> Profile:
    """The :class:`Profile` of a loaded dataset (missing values count as NaN cells)."""
    X = dataset.X
    return Profile(
        name=dataset.name,
        rows=int(len(dataset.y)),
        features=int(X.shape[1]),
        class_names=tuple(str(c) for c in dataset.class_names),
        class_counts=tuple(int(c) for c in dataset.class_counts),
        categorical_share=float(dataset.categorical_mask.mean()) if X.shape[1] else 0.0,
        missing_share=float(np.isnan(X).mean()) if X.size else 0.0,
    )


def ratio_band(imbalance_ratio: float) -> Band:
    """The guideline row of an imbalance ratio (majority rows / minority rows)."""
    for band in BANDS:
        if imbalance_ratio < band.high or (band.high == 100.0 and imbalance_ratio == 100.0):
            return band
    return BANDS[-1]


def band_methods(profile: Profile, band: Band) -> tuple[Method, ...]:
    """The band's methods; multiclass data above 100:1 gets ensembles (detectors are binary)."""
    if band is BANDS[-1] and len(profile.class_names) > 2:
        return MULTICLASS_EXTREME
    return BAND_METHODS[band.label]


# Samplers that interpolate between a minority row and its minority neighbours.
INTERPOLATING = {
    f"sampler={name}"
    for name in ("smote", "adasyn", "borderline1", "borderline2", "smote_nc", "smote_tomek")
}


def runnable_methods(methods: tuple[Method, ...], profile: Profile) -> tuple[Method, ...]:
    """``methods`` without the interpolating samplers when a training fold keeps fewer than
    2 minority rows (they cannot run there: the ``smote_k`` warning says so)."""
    folds = min(CHECK_FOLDS, max(profile.minority_rows, 2))
    if smallest_training_fold(profile.minority_rows, folds) >= 2:
        return methods
    kept = tuple(m for m in methods if not INTERPOLATING & set(m.overrides))
    return kept or methods


def domain_methods(domain: str, primary: Method) -> tuple[Method, ...]:
    """The domain's methods; medical re-runs the band's first method with a cost threshold."""
    if domain == "medical":
        return (
            Method(
                f"{primary.title} with a cost-tuned threshold and F2",
                "a missed case costs far more than a false alarm: the threshold is tuned on an "
                f"inner split of each training fold to minimise the cost matrix {MEDICAL_COST} "
                "(a false negative costs 20 false positives; put your own costs in), and F2 "
                "weighs recall above precision (read recall_tuned and fbeta_tuned).",
                (*primary.overrides, *_MEDICAL_THRESHOLD),
            ),
        )
    return _DOMAIN_METHODS[domain]


def smallest_training_fold(count: int, folds: int) -> int:
    """Rows of a class left in the smallest training fold of a stratified k-fold."""
    return count - math.ceil(count / folds)


def data_overrides(cfg: DictConfig, profile: Profile) -> tuple[str, ...]:
    """The overrides that name the dataset (and make it runnable) in every printed command."""
    out = [f"data={cfg.data}"]
    if cfg.get("target") is not None:
        out.append(f"target={cfg.target}")
    if cfg.get("categorical"):
        out.append(f"categorical=[{','.join(str(c) for c in cfg.categorical)}]")
    impute = cfg.get("impute") or ("median" if profile.missing_share > 0 else None)
    if impute:
        out.append(f"impute={impute}")
    if int(cfg.get("seed", 0)) != 0:
        out.append(f"seed={int(cfg.seed)}")
    if profile.minority_rows < CHECK_FOLDS:
        out.append(f"folds={max(profile.minority_rows, 2)}")
    return tuple(out)


def profile_warnings(profile: Profile, base: tuple[str, ...]) -> tuple[Note, ...]:
    """Warnings about methods the data cannot support and the generator regime."""
    notes = []
    n, name = profile.minority_rows, profile.minority_name
    folds = min(CHECK_FOLDS, max(n, 2))
    left = smallest_training_fold(n, folds)
    if n < 2:
        notes.append(
            Note(
                "folds",
                f"class {name!r} has {n} row: cross-validation needs at least 2 rows of every "
                "class (folds=2), so none of the commands above can run yet. Add rows of that "
                "class, merge it into another class, or drop it from the data.",
            )
        )
    elif n < CHECK_FOLDS:
        notes.append(
            Note(
                "folds",
                f"class {name!r} has {n} rows, fewer than folds={CHECK_FOLDS}: the commands "
                f"use folds={folds}.",
            )
        )
    if 1 <= left < 2:
        notes.append(
            Note(
                "smote_k",
                f"class {name!r} has {n} rows: a training fold at folds={folds} keeps only "
                f"{left}, so SMOTE, ADASYN and the other interpolating samplers cannot run on "
                "it (they are recorded as failed); no resampling, random over-sampling and "
                "class weights still run.",
                "genover " + shlex.join((*base, "sampler=random_over", "classifier=lr")),
            )
        )
    elif left < SMOTE_K + 1 and n >= 2:
        notes.append(
            Note(
                "smote_k",
                f"class {name!r} has {n} rows: a training fold at folds={folds} keeps as few "
                f"as {left}, fewer than the {SMOTE_K + 1} rows SMOTE's k_neighbors={SMOTE_K} "
                "needs (ADASYN likewise); genover shrinks k to fit, so the synthetic rows "
                "interpolate between very few neighbours. Prefer random over-sampling or class "
                "weights.",
                "genover " + shlex.join((*base, "sampler=random_over", "classifier=lr")),
            )
        )
    if n <= FEW_MINORITY_ROWS and profile.mixed_types:
        notes.append(
            Note(
                "generators",
                f"few minority rows ({n}) and mixed column types "
                f"({profile.categorical_share:.0%} categorical): the regime in which generators "
                "are most likely to help, since SMOTE interpolates numbers only and SMOTE-NC "
                "copies the neighbours' commonest categories. Compare a conditional generator "
                "with SMOTE-NC on the same folds.",
                "genover "
                + shlex.join((*base, "sampler=cvae", "classifier=lr", "baselines=[none,smote_nc]")),
            )
        )
    if profile.missing_share > 0:
        notes.append(
            Note(
                "missing",
                f"{profile.missing_share:.1%} of the values are missing: the commands impute "
                "them inside each training fold (impute=...).",
            )
        )
    if len(profile.class_names) > 2 and profile.imbalance_ratio > 100:
        notes.append(
            Note(
                "multiclass",
                "the one-class detectors separate one majority from one minority; with "
                f"{len(profile.class_names)} classes the extreme-ratio advice uses ensembles.",
            )
        )
    return tuple(notes)


def _recommend(methods: Sequence[Method], base: tuple[str, ...]) -> tuple[Recommendation, ...]:
    return tuple(Recommendation(m.title, m.reason, (*base, *m.overrides)) for m in methods)


def advise(profile: Profile, base: tuple[str, ...], domain: str | None = None) -> Advice:
    """The advice for a profile; ``base`` holds the data overrides every command starts with."""
    if domain is not None and domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}; use one of {', '.join(DOMAINS)} or omit it.")
    band = ratio_band(profile.imbalance_ratio)
    methods = runnable_methods(band_methods(profile, band), profile)
    extra = domain_methods(domain, methods[0]) if domain else ()
    return Advice(
        profile=profile,
        band=band,
        recommendations=_recommend(methods, base),
        domain=domain,
        domain_advice=DOMAINS.get(domain) if domain else None,
        domain_recommendations=_recommend(extra, base),
        warnings=profile_warnings(profile, base),
        base_overrides=base,
    )


def model_overrides(overrides: Sequence[str]) -> tuple[str, ...]:
    """The overrides that change the fitted model (scoring-only settings removed)."""
    return tuple(o for o in overrides if not o.lstrip("+").startswith(_SCORING_PREFIXES))


def format_profile(profile: Profile) -> list[str]:
    lines = [
        f"dataset {profile.name}: {profile.rows} rows, {profile.features} features "
        f"({profile.categorical_share:.0%} categorical, {profile.missing_share:.1%} missing "
        f"values), {len(profile.class_names)} classes",
        f"  {'class':<24}{'rows':>8}{'ratio to majority':>20}",
    ]
    for (name, ratio), count in zip(profile.ratios.items(), profile.class_counts, strict=True):
        lines.append(f"  {name:<24}{count:>8}{ratio:>19.2f}:1")
    lines.append(
        f"imbalance ratio {profile.imbalance_ratio:.2f}:1; minority {profile.minority_name!r} "
        f"with {profile.minority_rows} rows"
    )
    return lines


def _format_recommendations(recs: Sequence[Recommendation]) -> list[str]:
    lines = []
    for i, rec in enumerate(recs, 1):
        lines += [f"  {i}. {rec.title}: {rec.reason}", f"     {rec.command}"]
    return lines


def format_advice(advice: Advice) -> str:
    """The printed report of :func:`advise`."""
    lines = format_profile(advice.profile)
    lines += ["", f"guideline for {advice.band.label}: {advice.band.advice}"]
    lines += _format_recommendations(advice.recommendations)
    if advice.domain:
        lines += ["", f"domain {advice.domain}: {advice.domain_advice}"]
        lines += _format_recommendations(advice.domain_recommendations)
    if advice.warnings:
        lines += ["", "warnings:"]
        for note in advice.warnings:
            lines.append(f"  - {note.message}")
            if note.command:
                lines.append(f"    {note.command}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Ranked:
    """One candidate's cross-validated minority AP and its paired difference to ``none``."""

    title: str
    command: str
    ap_mean: float
    ap_std: float
    delta_vs_none: float
    wins: int
    folds: int
    error: str | None = None


RUN_SETTINGS = (
    "baselines=[]",
    "evaluation.threshold.tune=false",
    "evaluation.quality=false",
    "evaluation.plots=false",
)


def _fold_aps(payload: dict) -> tuple[np.ndarray, dict]:
    method = next(iter(payload["methods"].values()))
    if method["status"] != "ok":
        return np.array([]), method
    records = sorted(payload["folds"], key=lambda r: (r["repeat"], r["fold"]))
    return np.array([r["ap"] for r in records]), method


def rank_candidates(
    advice: Advice,
    compose: Callable[[list[str]], DictConfig],
    folds: int = 3,
    repeats: int = 1,
    candidates: Sequence[Recommendation] | None = None,
) -> list[Ranked]:
    """Run the candidates and a ``sampler=none classifier=lr`` reference on the same folds
    (``compose(overrides) -> cfg``), ranked by mean minority AP, best first."""
    from genover.experiment import run

    reference = Recommendation("none (reference)", "", (*advice.base_overrides, *REFERENCE))
    chosen = list(candidates if candidates is not None else advice.candidates())
    chosen = [c for c in chosen if model_overrides(c.overrides) != reference.overrides]
    cv = [f"folds={folds}", f"repeats={repeats}", *RUN_SETTINGS]
    per_fold: dict[str, np.ndarray] = {}
    results = []
    for rec in [reference, *chosen]:
        cfg = compose([*model_overrides(rec.overrides), *cv])
        try:
            with warnings.catch_warnings():  # sklearn warns per fold without minority rows
                warnings.filterwarnings("ignore", message="No positive class found in y_true")
                aps, method = _fold_aps(run(cfg))
            error = None if len(aps) else method.get("error", "failed")
        except ValueError as err:
            aps, error = np.array([]), f"{type(err).__name__}: {err}"
        per_fold[rec.title] = aps
        results.append((rec, aps, error))
    base = per_fold[reference.title]
    return sorted(
        (_ranked(rec, aps, base, error) for rec, aps, error in results),
        key=lambda r: -r.ap_mean if not math.isnan(r.ap_mean) else math.inf,
    )


def _ranked(rec: Recommendation, aps: np.ndarray, base: np.ndarray, error) -> Ranked:
    if not len(aps):
        nan = float("nan")
        return Ranked(rec.title, rec.command, nan, nan, nan, 0, 0, error)
    paired = len(base) == len(aps)
    return Ranked(
        rec.title,
        rec.command,
        float(aps.mean()),
        float(aps.std()),
        float((aps - base).mean()) if paired else float("nan"),
        int(np.sum(aps > base)) if paired else 0,
        len(aps),
    )


def run_folds(advice: Advice, requested: int) -> int:
    """The folds of ``advise.run``: ``advise.folds``, but never more than the printed commands
    use (``folds=`` in their data overrides), so the check runs what the advice says."""
    printed = [int(o.split("=", 1)[1]) for o in advice.base_overrides if o.startswith("folds=")]
    return min([requested, *printed])


def format_ranking(ranked: Sequence[Ranked], folds: int, repeats: int) -> str:
    lines = [
        "",
        f"paired {folds}-fold x {repeats} cross-validation, ranked by minority AP:",
        f"  {'rank':<6}{'AP':>15}{'vs none':>10}{'folds won':>11}  candidate",
    ]
    for i, r in enumerate(ranked, 1):
        if r.error:
            lines.append(f"  {'-':<6}{'failed':>15}{'':>10}{'':>11}  {r.title}: {r.error}")
            continue
        lines.append(
            f"  {i:<6}{r.ap_mean:>8.3f} ± {r.ap_std:.3f}{r.delta_vs_none:>+10.3f}"
            f"{f'{r.wins}/{r.folds}':>11}  {r.title}"
        )
        lines.append(f"  {'':<42}{r.command}")
    return "\n".join(lines) + "\n"


def _load(cfg: DictConfig) -> Dataset:
    """The dataset, with missing values allowed so that they can be counted."""
    from genover.data import load_dataset

    return load_dataset(
        cfg.data,
        target=cfg.get("target"),
        categorical=cfg.get("categorical"),
        impute=cfg.get("impute") or "median",
        seed=int(cfg.seed),
    )


USAGE = (
    "usage: genover advise data=<spec> [target=<column>] [impute=median] "
    "[domain=medical|fraud|manufacturing] [advise.run=true advise.folds=3 advise.repeats=1]\n"
)


def usage() -> str:
    """The ``--help`` text: the command line and the guideline table."""
    rows = [f"  {b.label:<16}{b.advice}" for b in BANDS]
    domains = [f"  {name:<16}{text}" for name, text in DOMAINS.items()]
    return (
        USAGE
        + "\nimbalance ratio guideline:\n"
        + "\n".join(rows)
        + "\ndomains:\n"
        + ("\n".join(domains) + "\n")
    )


def advise_main(argv: Sequence[str]) -> int:
    """``genover advise <overrides>``: print the advice (and the ranking with advise.run=true);
    returns the exit code (2 for a bad input)."""
    if {"-h", "--help"} & set(argv):
        sys.stdout.write(usage())
        return 0
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module="genover.conf", version_base="1.3"):
            cfg = compose(config_name="advise", overrides=list(argv))
            profile = profile_dataset(_load(cfg))
            advice = advise(profile, data_overrides(cfg, profile), cfg.get("domain"))
            sys.stdout.write(format_advice(advice))
            if cfg.advise.run:
                folds, repeats = run_folds(advice, int(cfg.advise.folds)), int(cfg.advise.repeats)
                ranked = rank_candidates(
                    advice, lambda o: compose(config_name="config", overrides=o), folds, repeats
                )
                sys.stdout.write(format_ranking(ranked, folds, repeats))
    except (ValueError, HydraException) as err:
        sys.stderr.write(f"genover advise: {err}\n")
        return 2
    return 0
