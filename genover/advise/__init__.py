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
:func:`format_advice`; :func:`rank_candidates` runs the experiments. The modules:
:mod:`~genover.advise.profile` (the profile, data overrides and warnings),
:mod:`~genover.advise.guidelines` (bands, methods, domains and :func:`advise`),
:mod:`~genover.advise.ranking` (``advise.run=true``), :mod:`~genover.advise.text` (the printed
text) and :mod:`~genover.advise.command` (``genover advise``).
"""

from genover.advise.command import (
    advise_main,
)
from genover.advise.guidelines import (
    BAND_METHODS,
    BANDS,
    DOMAINS,
    INTERPOLATING,
    MEDICAL_COST,
    MULTICLASS_EXTREME,
    REFERENCE,
    Advice,
    Band,
    Method,
    Recommendation,
    advise,
    band_methods,
    domain_methods,
    model_overrides,
    ratio_band,
    runnable_methods,
)
from genover.advise.profile import (
    CHECK_FOLDS,
    FEW_MINORITY_ROWS,
    SMOTE_K,
    Note,
    Profile,
    data_overrides,
    profile_dataset,
    profile_warnings,
    smallest_training_fold,
)
from genover.advise.ranking import (
    RUN_SETTINGS,
    Ranked,
    rank_candidates,
    run_folds,
)
from genover.advise.text import (
    USAGE,
    format_advice,
    format_profile,
    format_ranking,
    usage,
)

__all__ = [
    "Advice",
    "BANDS",
    "BAND_METHODS",
    "Band",
    "CHECK_FOLDS",
    "DOMAINS",
    "FEW_MINORITY_ROWS",
    "INTERPOLATING",
    "MEDICAL_COST",
    "MULTICLASS_EXTREME",
    "Method",
    "Note",
    "Profile",
    "REFERENCE",
    "RUN_SETTINGS",
    "Ranked",
    "Recommendation",
    "SMOTE_K",
    "USAGE",
    "advise",
    "advise_main",
    "band_methods",
    "data_overrides",
    "domain_methods",
    "format_advice",
    "format_profile",
    "format_ranking",
    "model_overrides",
    "profile_dataset",
    "profile_warnings",
    "rank_candidates",
    "ratio_band",
    "run_folds",
    "runnable_methods",
    "smallest_training_fold",
    "usage",
]
