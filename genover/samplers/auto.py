"""AutoSampler: per training set, no resampling or one of several samplers, chosen by inner
cross-validation with the classifier the rows will feed.

The promise is "never clearly worse than no resampling, without knowing the data": on each
training set (an outer training fold in genover's experiment; the outer test rows are never
seen) every candidate is scored by stratified inner cross-validation, and a candidate replaces
``none`` only if its gain is clear (see :class:`AutoSampler`).

Where it sits. ``AutoSampler`` declares ``encodes_input = True``: genover's experiment gives it
the training rows as the user gave them (imputed only, numerics then category codes) and
scales and one-hot encodes after it, as for the generators. Every candidate therefore sees
those rows too, and inside the inner cross-validation the run's transform (``transformer``, a
clone fitted on each candidate's resampled rows) sits between the candidate and the
classifier, exactly as the outer pipeline puts it after this sampler. A classical candidate
that interpolates or adds noise (SMOTE, ROSE) thus works on unscaled numerics and category
codes here, unlike ``sampler=smote`` alone, which sees scaled, one-hot columns. Its values in
the category-code columns (``categorical_features``) are snapped to the nearest code of its
input, so no classifier is handed a category that does not exist (a gradient-boosting model
with native categories rejects them); the cells moved are counted in ``outcome_``. Whatever
the rest costs shows up in its inner scores, which are measured through the same transform.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
import pandas as pd
from imblearn import FunctionSampler
from imblearn.base import BaseSampler
from sklearn import config_context
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from genover.data.codec import TableCodec, resolve_columns
from genover.data.frame import is_numeric_column
from genover.evaluation.metrics import align_proba, rare_class_ap
from genover.samplers.generative import check_dense_X_y

log = logging.getLogger(__name__)

#: The candidates of ``candidates=None``: genover's sampler configs of these names. Chosen on
#: the dev suite (issue 17): the DDPM scored below the CVAE at caps 10 and 20 in every lever
#: arm and costs about twice as much per fit, so it is not a default candidate.
DEFAULT_CANDIDATES = ("none", "rose", "cvae")
#: Errors that make a candidate fail on an inner fold (recorded, the others go on).
_CANDIDATE_ERRORS = (ValueError, RuntimeError, ArithmeticError)
_SEED_MAX = np.iinfo(np.int32).max


def sampler_from_config(name: str, seed: int | None = None):
    """The sampler of genover's ``conf/sampler/<name>.yaml``, built with ``seed`` for its
    ``${seed}``. Inside a running Hydra app the app's config path is used (it includes
    genover's configs, and any of the user's own sampler configs)."""
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import MissingConfigException
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    overrides = [f"+sampler={name}"]
    try:
        if GlobalHydra.instance().is_initialized():
            cfg = compose(config_name=None, overrides=overrides)
        else:
            with initialize_config_module(config_module="genover.conf", version_base="1.3"):
                cfg = compose(config_name=None, overrides=overrides)
    except MissingConfigException as err:
        raise ValueError(
            f"candidate {name!r} is not a sampler config (conf/sampler/{name}.yaml); use one "
            "of `genover`'s sampler names, e.g. rose or random_over, or pass a dict "
            "name -> sampler."
        ) from err
    node = OmegaConf.merge({"seed": seed}, cfg)
    return instantiate(OmegaConf.to_container(node.sampler, resolve=True), _convert_="all")


class AutoSampler(BaseSampler):
    """No resampling or the best of several samplers, chosen per training set by inner
    cross-validated minority average precision.

    Parameters
    ----------
    candidates: the samplers that compete with no resampling. None: genover's ``none``,
        ``rose`` and ``cvae`` sampler configs (:data:`DEFAULT_CANDIDATES`); a list
        of sampler config names (``conf/sampler/<name>.yaml``, e.g. ``["rose",
        "random_over"]``: one source of settings for Python and the CLI); or a dict name ->
        imbalanced-learn sampler. ``none`` (no resampling) is always the baseline, listed or
        not; an entry named ``none`` must be a pass-through.
    estimator: the classifier that scores the candidates (a clone per inner fit). None: a
        logistic regression. Pass the classifier your pipeline ends with: the choice is only
        as good as the match. genover's experiment replaces ``"downstream"`` by the run's
        own classifier.
    transformer: None, or a transformer put between each candidate and ``estimator`` in the
        inner cross-validation (a clone, fitted on the candidate's resampled rows), as your
        pipeline scales after this sampler. genover's experiment sets it to the run's.
    cv: inner stratified folds; fewer (with a warning) when the smallest class has fewer
        rows. A class with a single row is an error.
    min_gain: the rule. A candidate replaces ``none`` only if its mean inner AP beats
        ``none``'s by at least ``min_gain`` *and* it scores higher than ``none`` in a
        majority of the inner folds; among those, the best mean wins (ties: the earlier
        candidate). Otherwise ``none``: the input is returned unchanged.
    categorical_features: None, or the category columns (positions, a boolean mask, or
        names for a pandas frame). Every candidate's numeric cells there are snapped to the
        nearest code in the rows it was given, in the inner folds and in the refit, so an
        interpolating or noising candidate returns real categories; a candidate that takes
        ``categorical_features`` and has none is given these. Text, pandas-category and bool
        columns among them are handed to every candidate as codes 0, 1, ... (ROSE and SMOTE
        can then run on them) and returned as their own values. genover's experiment and
        ``genover-generate`` set it.
    random_state: seeds the inner folds and every candidate (the same seed for each).

    Every candidate is cloned and fitted on each inner training part only; the estimator
    is scored on the inner validation part, which holds real rows only. A candidate that
    cannot run on the input (a numbers-only sampler meeting text columns, a ``k_neighbors``
    larger than an inner training part's rarest class) is left out before the inner
    cross-validation, with a warning and its reason in ``left_out_``. A candidate that
    raises on an inner fold is recorded as failed and does not compete. The chosen one is
    then refitted on the whole input and its rows returned.

    After ``fit_resample``: ``choice_``, ``considered_`` (every candidate's name, ``none``
    first), ``left_out_`` (name -> why), ``inner_scores_`` (name -> AP per inner fold,
    ``none`` included), ``failed_`` (name -> error), ``chosen_`` (the fitted chosen sampler;
    a pass-through for ``none``) and ``outcome_``, flat fields for genover's ``folds.csv``:
    ``auto_candidates`` (the names considered), ``auto_choice``, ``auto_gain``,
    ``auto_score[<name>]`` (mean inner AP, None if failed), ``auto_left_out[<name>]``,
    ``auto_wins[<name>]``, ``auto_failed[<name>]``, ``auto_inner_folds``, ``auto_rule``,
    ``auto_estimator``, ``auto_seconds``, with ``categorical_features`` the category-code
    cells snapped (``auto_codes_snapped[<name>]`` over the inner folds, ``auto_codes_snapped``
    in the chosen sampler's refit), and the chosen sampler's own ``outcome_`` fields
    as ``chosen.<field>``.

    genover's experiment places it where a generator goes (``encodes_input``; see the module
    docstring). Example in plain imbalanced-learn::

        Pipeline([("auto", AutoSampler(estimator=LogisticRegression(),
                                       transformer=StandardScaler())),
                  ("scale", StandardScaler()), ("clf", LogisticRegression())])
    """

    _sampling_type = "bypass"
    #: genover's experiment gives it the imputed rows as given and scales after it; the run's
    #: transform is applied inside the inner cross-validation through ``transformer``.
    #: (Not named ``transform``: imbalanced-learn's Pipeline would take it for a transformer.)
    encodes_input = True

    _parameter_constraints: dict = {
        "candidates": [None, dict, list, tuple],
        "estimator": [None, StrOptions({"downstream"}), HasMethods(["fit", "predict_proba"])],
        "transformer": [None, HasMethods(["fit", "transform"])],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "min_gain": [Interval(Real, 0, None, closed="left")],
        "categorical_features": [None, "array-like"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        candidates=None,
        estimator=None,
        transformer=None,
        cv=3,
        min_gain=0.01,
        categorical_features=None,
        random_state=None,
    ):
        super().__init__()
        self.candidates = candidates
        self.estimator = estimator
        self.transformer = transformer
        self.cv = cv
        self.min_gain = min_gain
        self.categorical_features = categorical_features
        self.random_state = random_state

    def candidate_samplers(self) -> dict:
        """The competing samplers, name -> unfitted sampler (the ``none`` baseline is not
        among them), as ``candidates`` names them."""
        spec = DEFAULT_CANDIDATES if self.candidates is None else self.candidates
        if isinstance(spec, Mapping):
            named = dict(spec)
        else:
            if not all(isinstance(name, str) for name in spec) or len(set(spec)) < len(spec):
                raise ValueError(
                    f"candidates={spec!r}: a list holds distinct sampler config names; pass "
                    "a dict name -> sampler for sampler objects."
                )
            seed = self.random_state if isinstance(self.random_state, Integral) else None
            named = {name: sampler_from_config(name, seed) for name in spec}
        for name, sampler in named.items():
            _check_candidate(name, sampler)
        named.pop("none", None)
        return named

    def _check_X_y(self, X, y):
        return check_dense_X_y(self, X, y)

    def _fit_resample(self, X, y):
        start = time.perf_counter()
        if isinstance(self.estimator, str):
            raise ValueError(
                f"estimator={self.estimator!r} is resolved by genover's experiment (the run's "
                "classifier); pass an sklearn classifier, or None for a logistic regression."
            )
        candidates = self.candidate_samplers()
        rng = check_random_state(self.random_state)
        split_seed, seed = (int(s) for s in rng.randint(_SEED_MAX, size=2))
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        self._codes_at = self._code_columns(X)
        self.codes_snapped_ = {}
        codec = self._text_codec(X)
        if codec is not None:  # every candidate works on codes, as in genover's experiment
            X = pd.DataFrame(codec.encode(X), columns=X.columns)
        folds = self._inner_folds(y_idx)
        splits = list(StratifiedKFold(folds, shuffle=True, random_state=split_seed).split(X, y))
        self.considered_ = ["none", *candidates]
        self.left_out_ = {}
        for name, sampler in list(candidates.items()):
            why = self._unusable(sampler, X, y, splits)
            if why:
                self.left_out_[name] = why
                candidates.pop(name)
                log.warning("AutoSampler: candidate %s left out (cannot run here): %s", name, why)
        # imblearn skips the nested estimators' parameter checks; these are the user's
        with config_context(skip_parameter_validation=False):
            self.inner_scores_ = {"none": [self._inner_ap(None, X, y, t, v) for t, v in splits]}
            self.failed_ = {}
            for name, sampler in candidates.items():
                self._score_candidate(name, self._prepared(sampler, seed), X, y, splits)
            self.choice_, wins = self._choose()
            X_out, y_out = self._refit(candidates, seed, X, y)
        if codec is not None:
            X_out = codec.decode(np.asarray(X_out, dtype=np.float64))
        self.outcome_ = self._outcome(wins, folds, time.perf_counter() - start)
        log.info("auto: %s (gain %.4f over none)", self.choice_, self.outcome_["auto_gain"])
        return X_out, y_out

    def _inner_folds(self, y_idx: np.ndarray) -> int:
        smallest = int(np.bincount(y_idx).min())
        if smallest < 2:
            label = self.classes_.tolist()[int(np.argmin(np.bincount(y_idx)))]
            raise ValueError(
                f"AutoSampler: class {label!r} has {smallest} row; inner cross-validation "
                "needs at least 2 rows of every class. Add rows of that class, use fewer "
                "outer folds, or use no resampling (sampler=none)."
            )
        if smallest < self.cv:
            log.warning(
                "AutoSampler: the smallest class has %d rows, fewer than cv=%d; using %d "
                "inner folds.",
                smallest,
                self.cv,
                smallest,
            )
        return min(int(self.cv), smallest)

    def _code_columns(self, X) -> np.ndarray:
        """``categorical_features`` as column positions in ``X``: positions, a boolean mask,
        or (for a pandas frame) column names."""
        spec = self.categorical_features
        if spec is None or np.asarray(spec).size == 0:
            return np.empty(0, dtype=int)
        columns = list(X.columns) if isinstance(X, pd.DataFrame) else list(range(X.shape[1]))
        try:
            return np.asarray(resolve_columns(spec, columns), dtype=int)
        except ValueError as err:
            raise ValueError(
                f"categorical_features={spec!r}: give the category columns of X "
                f"({len(columns)} columns) as positions, a boolean mask of one entry per "
                f"column, or, for a pandas frame, column names ({err})"
            ) from None

    def _text_codec(self, X) -> TableCodec | None:
        """For a frame whose category columns hold text (or pandas categories, or bools): a
        codec turning them into codes 0, 1, ... and back; else None."""
        if not isinstance(X, pd.DataFrame) or not self._codes_at.size:
            return None
        text = [X.columns[j] for j in self._codes_at if not is_numeric_column(X.iloc[:, j])]
        if not text:
            return None
        log.info(
            "AutoSampler: its candidates see the category columns %s as codes (the output "
            "holds their own values).",
            text,
        )
        return TableCodec().fit(X, categorical_features=self._codes_at, integer_features=None)

    def _unusable(self, sampler, X, y, splits) -> str | None:
        """Why ``sampler`` cannot run on these rows (checked before the inner folds), or None:
        text columns for a numbers-only sampler, too few rows for its ``k_neighbors``."""
        params = sampler.get_params(deep=False)
        takes_text = getattr(sampler, "encodes_input", False) or "categorical_features" in params
        if isinstance(X, pd.DataFrame) and not takes_text:
            text = [str(c) for c in X.columns if not is_numeric_column(X[c])]
            if text:
                return (
                    f"{type(sampler).__name__} needs numbers and the columns {text} hold "
                    "text; name them in categorical_features so that it works on their codes"
                )
        k = params.get("k_neighbors")
        if isinstance(k, Integral):
            fewest = min(int(np.unique(y[t], return_counts=True)[1].min()) for t, _ in splits)
            if fewest < k + 1:
                return (
                    f"{type(sampler).__name__} with k_neighbors={k} needs {k + 1} rows of each "
                    f"class it over-samples in every inner training part; the fewest are "
                    f"{fewest}"
                )
        return None

    def _prepared(self, sampler, seed: int):
        """A clone of ``sampler`` seeded with ``seed``, told the category columns where it
        takes ``categorical_features`` and has none (a generator, SMOTE-NC)."""
        sampler = _seeded(sampler, seed)
        params = sampler.get_params(deep=False)
        if self._codes_at.size and params.get("categorical_features", False) is None:
            sampler.set_params(categorical_features=self.categorical_features)
        return sampler

    def _resample(self, sampler, X, y, name: str):
        """``sampler``'s rows for ``X, y``, its numeric category-code cells snapped to the
        nearest code of ``X`` in each column (counted under ``name`` in ``codes_snapped_``)."""
        X_out, y_out = sampler.fit_resample(X, y)
        if self._codes_at.size:
            X_out, moved = _snap_codes(X, X_out, self._codes_at)
            self.codes_snapped_[name] = self.codes_snapped_.get(name, 0) + moved
        return X_out, y_out

    def _score_candidate(self, name: str, sampler, X, y, splits) -> None:
        """Record ``sampler``'s AP on every inner fold, or why it failed."""
        try:
            self.inner_scores_[name] = [
                self._inner_ap(clone(sampler), X, y, train, val, name) for train, val in splits
            ]
        except _CANDIDATE_ERRORS as err:
            self.failed_[name] = f"{type(err).__name__}: {err}"
            log.warning("AutoSampler: candidate %s failed on an inner fold: %s", name, err)

    def _inner_ap(self, sampler, X, y, train: np.ndarray, val: np.ndarray, name=None) -> float:
        """Minority AP on the real rows ``val`` of the estimator fitted on ``train``,
        resampled by ``sampler`` (None: as they are) and passed through ``transformer``."""
        X_fit, y_fit = _safe_indexing(X, train), y[train]
        counts = np.bincount(np.searchsorted(self.classes_, y_fit), minlength=len(self.classes_))
        if sampler is not None:
            X_fit, y_fit = self._resample(sampler, X_fit, y_fit, name)
        X_val = _safe_indexing(X, val)
        if self.transformer is not None:  # fitted on the resampled rows, as in the pipeline
            transformer = clone(self.transformer).fit(X_fit, y_fit)
            X_fit, X_val = transformer.transform(X_fit), transformer.transform(X_val)
        model = clone(self._scorer()).fit(X_fit, y_fit)
        fitted = np.searchsorted(self.classes_, model.classes_)
        proba = align_proba(model.predict_proba(X_val), fitted, len(self.classes_))
        return rare_class_ap(np.searchsorted(self.classes_, y[val]), proba, counts)

    def _scorer(self):
        """The (unfitted) classifier that scores the candidates."""
        return LogisticRegression(max_iter=1000) if self.estimator is None else self.estimator

    def _choose(self) -> tuple[str, dict[str, int]]:
        """The rule of ``min_gain`` over ``inner_scores_``: the choice and each candidate's
        inner folds won against ``none``."""
        base = np.asarray(self.inner_scores_["none"])
        choice, best, wins = "none", base.mean(), {}
        for name, scores in self.inner_scores_.items():
            if name == "none":
                continue
            scores = np.asarray(scores)
            wins[name] = int(np.sum(scores > base))
            clear = scores.mean() - base.mean() >= self.min_gain and wins[name] > len(base) / 2
            if clear and scores.mean() > best:
                choice, best = name, scores.mean()
        return choice, wins

    def _refit(self, candidates: dict, seed: int, X, y):
        """Fit the chosen sampler on all rows; fall back to ``none`` (recorded) if it fails."""
        self.refit_failed_ = None
        if self.choice_ != "none":
            self.chosen_ = self._prepared(candidates[self.choice_], seed)
            try:
                return self._resample(self.chosen_, X, y, "<refit>")
            except _CANDIDATE_ERRORS as err:
                self.refit_failed_ = f"{self.choice_}: {type(err).__name__}: {err}"
                log.warning("AutoSampler: refitting %s failed (%s); using none.", self.choice_, err)
                self.choice_ = "none"
        self.chosen_ = FunctionSampler(validate=False)
        return self.chosen_.fit_resample(X, y)

    def _outcome(self, wins: dict, folds: int, seconds: float) -> dict:
        """What this fit decided, as flat fields (see the class docstring)."""
        means = {name: float(np.mean(s)) for name, s in self.inner_scores_.items()}
        out = {
            "auto_candidates": ", ".join(self.considered_),
            "auto_choice": self.choice_,
            "auto_gain": means[self.choice_] - means["none"],
            "auto_estimator": type(self._scorer()).__name__,
            "auto_inner_folds": int(folds),
            "auto_rule": (
                f"a sampler replaces none if its mean inner minority AP is >= {self.min_gain} "
                f"higher and it wins a majority of the {folds} inner folds; best mean wins"
            ),
        }
        for name in [*self.inner_scores_, *self.failed_]:
            out[f"auto_score[{name}]"] = means.get(name)
            if name in wins:
                out[f"auto_wins[{name}]"] = wins[name]
        for name, error in self.failed_.items():
            out[f"auto_failed[{name}]"] = error
        for name, why in self.left_out_.items():
            out[f"auto_left_out[{name}]"] = why
        if self._codes_at.size:
            for name in self.inner_scores_:
                if name != "none":
                    out[f"auto_codes_snapped[{name}]"] = self.codes_snapped_.get(name, 0)
            out["auto_codes_snapped"] = self.codes_snapped_.get("<refit>", 0)
        if self.refit_failed_ is not None:
            out["auto_refit_failed"] = self.refit_failed_
        out["auto_seconds"] = round(seconds, 3)
        for key, value in (getattr(self.chosen_, "outcome_", None) or {}).items():
            out[f"chosen.{key}"] = value
        return out


def _check_candidate(name: str, sampler) -> None:
    if not hasattr(sampler, "fit_resample"):
        raise ValueError(f"candidate {name!r} is not a sampler (no fit_resample): {sampler!r}.")
    if isinstance(sampler, AutoSampler):
        raise ValueError(f"candidate {name!r} is an AutoSampler; candidates choose no further.")
    passes = isinstance(sampler, FunctionSampler) and sampler.func is None
    if name == "none" and not passes:
        raise ValueError(
            "the candidate name 'none' is the no-resampling baseline; give this sampler "
            f"another name: {sampler!r}."
        )


def _snap_codes(X_in, X_out, columns: np.ndarray):
    """``X_out`` (an array or a pandas frame, as the sampler returned it) with each numeric
    column of ``columns`` set to the nearest value it takes in ``X_in`` (ties: the lower
    code; beyond the range: the end code), and the number of cells that moved. Text and
    pandas category columns are left as they are: a numeric sampler cannot invent values
    there, it fails on them or copies them. NaN stays NaN."""
    frame = isinstance(X_out, pd.DataFrame)
    X_out = X_out.copy() if frame else np.array(X_out, dtype=float, copy=True)
    moved = 0
    for col in columns:
        given = X_in.iloc[:, col] if isinstance(X_in, pd.DataFrame) else np.asarray(X_in)[:, col]
        made = X_out.iloc[:, col] if frame else X_out[:, col]
        if not (is_numeric_column(given) and is_numeric_column(made)):
            continue
        given = np.asarray(given, dtype=float)
        codes = np.unique(given[~np.isnan(given)])
        if not codes.size:
            continue
        values = np.asarray(made, dtype=float)
        clipped = np.clip(values, codes[0], codes[-1])
        upper_at = np.clip(np.searchsorted(codes, clipped), 0, len(codes) - 1)
        lower, upper = codes[np.maximum(upper_at - 1, 0)], codes[upper_at]
        snapped = np.where(clipped - lower <= upper - clipped, lower, upper)
        snapped = np.where(np.isnan(values), values, snapped)
        moved += int(np.sum(snapped != values) - np.sum(np.isnan(values)))
        if frame:
            X_out.isetitem(int(col), pd.Series(snapped, index=X_out.index).astype(made.dtype))
        else:
            X_out[:, col] = snapped
    return X_out, moved


def _seeded(sampler, seed: int):
    """A clone of ``sampler`` with ``random_state=seed`` where it has one."""
    sampler = clone(sampler)
    if "random_state" in sampler.get_params(deep=False):
        sampler.set_params(random_state=seed)
    return sampler
