"""The guideline ``genover advise`` follows: ratio bands, their methods, domain advice.

:func:`advise` turns a :class:`~genover.advise.profile.Profile` into an :class:`Advice`: the
band of its imbalance ratio (:data:`BANDS`), that band's methods (:data:`BAND_METHODS`), the
domain's methods (:data:`DOMAINS`) and the profile's warnings, each method as a ready-to-run
:class:`Recommendation`.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from genover.advise.profile import (
    CHECK_FOLDS,
    Note,
    Profile,
    profile_warnings,
    smallest_training_fold,
)

MEDICAL_COST = "[[0,1],[20,0]]"  # a false negative costs 20 false positives
REFERENCE = ("sampler=none", "classifier=lr")
# Overrides that change the threshold or the report but not the fitted model (and so not AP).
_SCORING_PREFIXES = ("evaluation.",)


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

_WEIGHTED_LR = ("sampler=none", "classifier=lr", "classifier.imbalance=balanced")
_WEIGHTED_RF = ("sampler=none", "classifier=rf", "classifier.imbalance=balanced")
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
