"""The generative over-sampler base: a Lightning generator behind imbalanced-learn's API.

``fit_resample`` (imbalanced-learn's template method) validates the input and the
``sampling_strategy``, then :meth:`GenerativeOverSampler._fit_resample`:

1. fits the row encodings (categories, integer columns, numeric scaling, one-hot);
2. trains the subclass's module on every class of the data, conditioned on the label;
3. draws exactly the number of rows per class that ``sampling_strategy_`` asks for;
4. maps them back to the input's feature space and types;
5. appends them to the data.

Adding a generator takes one module, one config and one test file:

- the module: a :class:`genover.models.TabularGenerator` subclass, built as
  ``Module(layout=..., num_classes=..., lr=..., **model)``, whose ``training_step`` returns
  a loss, whose ``validation_step`` logs ``val/loss`` (or the metric its ``monitor`` names),
  and whose ``sample(n, y, generator)`` returns ``n`` encoded rows of class ``y``; and beside
  it ``class MySampler(GenerativeOverSampler): module_class = MyModule``;
- the config: ``conf/sampler/<name>.yaml`` with ``_target_`` naming the sampler and its
  ``model`` and ``trainer`` settings (any sampler config there is also a baseline option);
- the test: ``tests/samplers/test_custom_generator.py`` does exactly this with a generator
  defined in the test's own module and a config written beside it.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import check_target_type
from scipy import sparse
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import validate_data

from genover.data.codec import TableCodec
from genover.data.frame import non_finite_counts
from genover.evaluation.metrics import align_proba, rare_class_ap
from genover.models import TabularLayout
from genover.models.diagnostics import SampleDiagnostics
from genover.models.encoding import ModelEncoder
from genover.samplers.filtering import ConfidenceFilter, NeighbourFilter
from genover.training import (
    TabularDataModule,
    TrainSettings,
    seeded,
    stratified_holdout,
    train_module,
)

log = logging.getLogger(__name__)
_CHUNK = 16_384
_FEW_ROWS = 5
_AMOUNT_TIE = 0.005


class GenerativeOverSampler(BaseOverSampler):
    """Base class of the generator-backed over-samplers.

    Parameters
    ----------
    sampling_strategy: as in imbalanced-learn ("auto", a float for binary data, a dict of
        target counts, a list of classes, or "minority"/"not majority"/"all").
    random_state: seeds the weights, batches and draws; the same seed gives the same rows
        on CPU.
    categorical_features: None/"auto" (detect text, bool and pandas categorical columns),
        indices, column names, or a boolean mask.
    integer_features: "auto" (numeric columns whose values are all whole), None, indices or
        a mask; generated values of these columns are rounded.
    numeric_transform: "quantile" (to a normal) or "standard" scaling of numeric columns.
    model: keyword arguments of the subclass's LightningModule (its hyper-parameters).
    batch_size, lr: optimisation settings.
    trainer: overrides of :class:`genover.models.TrainSettings` (max_epochs, patience,
        val_every, accelerator, precision, progress_bar, log_dir, log_name).
    val_fraction: share of each class held out for early stopping and the best checkpoint.
    class_balance: 0 trains on natural class frequencies; 1 draws every class equally often
        in training batches (rows of class c weigh n_c ** -class_balance).
    filter_neighbors: if > 0, synthetic rows whose ``filter_neighbors`` nearest real rows
        are mostly of other classes are discarded and redrawn (0 keeps every draw).
    filter_confidence: if > 0, the cross-fitted confidence filter
        (:class:`genover.samplers.filtering.ConfidenceFilter`): synthetic rows of class c
        scored as c below this quantile of the real rows of c (out-of-fold scores of a
        nearest-neighbour model) are discarded and redrawn. Exclusive with filter_neighbors.
    amount_grid: None generates exactly what ``sampling_strategy`` asks for. A list of
        fractions (0 allowed) makes the strategy an upper bound: a further stratified
        ``val_fraction`` of each class (the *selection* rows) is held out from the generator,
        which neither trains nor early-stops on them; the fraction whose synthetic rows give
        a logistic-regression proxy, trained on the generator's training rows plus those
        rows, the best minority AP on the selection rows is used (``amount_``). Tie rule:
        every fraction within ``0.005`` AP of the best counts as tied, and the smallest tied
        fraction wins (``amount_tied_`` says whether there was a tie).
    amount_model: the model that scores the amount grid: None is the logistic-regression
        proxy; an sklearn classifier is cloned and used instead (in the generator's encoded
        space). genover's experiment replaces ``"downstream"`` by the run's own classifier,
        so the amount is chosen by the validation AP of the model it will feed.

    After ``fit_resample``, ``outcome_`` holds what the fit decided and did: rows generated
    per class, the amount and every grid score, the filter's acceptance rate and whether it
    fell back, epochs, optimiser steps, why training stopped, the best validation score,
    and fit and sampling seconds. The experiment records it per fold.
    """

    #: It scales and encodes its input itself: genover's experiment gives it the rows as the
    #: user gave them (imputed only) and scales after it, so nothing is encoded twice.
    encodes_input = True

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "random_state": ["random_state"],
        "categorical_features": [None, "array-like", StrOptions({"auto"})],
        "integer_features": [None, "array-like", StrOptions({"auto"})],
        "numeric_transform": [StrOptions({"quantile", "standard"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "model": [dict, None],
        "trainer": [dict, None],
        "val_fraction": [Interval(Real, 0, 0.5, closed="both")],
        "class_balance": [Interval(Real, 0, 1, closed="both")],
        "filter_neighbors": [Interval(Integral, 0, None, closed="left")],
        "filter_confidence": [Interval(Real, 0, 1, closed="left")],
        "amount_grid": ["array-like", None],
        "amount_model": [None, StrOptions({"downstream"}), HasMethods(["fit", "predict_proba"])],
    }

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        random_state=None,
        categorical_features=None,
        integer_features="auto",
        numeric_transform="quantile",
        model=None,
        batch_size=256,
        lr=1e-3,
        trainer=None,
        val_fraction=0.15,
        class_balance=0.5,
        filter_neighbors=0,
        filter_confidence=0.0,
        amount_grid=None,
        amount_model=None,
    ):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.categorical_features = categorical_features
        self.integer_features = integer_features
        self.numeric_transform = numeric_transform
        self.model = model
        self.batch_size = batch_size
        self.lr = lr
        self.trainer = trainer
        self.val_fraction = val_fraction
        self.class_balance = class_balance
        self.filter_neighbors = filter_neighbors
        self.filter_confidence = filter_confidence
        self.amount_grid = amount_grid
        self.amount_model = amount_model

    def _train_module(
        self,
        data: TabularDataModule,
        layout: TabularLayout,
        num_classes: int,
        settings: TrainSettings,
        seed: int,
    ):
        """Build the generator module from ``model`` and train it (subclasses may extend)."""
        options = dict(self.model or {})
        reserved = sorted({"layout", "num_classes", "lr"} & set(options))
        if reserved:
            raise ValueError(
                f"model settings {reserved} are set by the sampler; pass lr=... to "
                f"{type(self).__name__} itself and leave layout/num_classes to it."
            )
        module = self._build(
            self.module_class, layout=layout, num_classes=num_classes, lr=self.lr, **options
        )
        self.train_result_ = self._fit(module, data, settings, seed)
        return module

    @staticmethod
    def _fit(module, data: TabularDataModule, settings: TrainSettings, seed: int):
        """Train a generator with its sample diagnostics logged (``val/mmd``)."""
        return train_module(module, data, settings, seed, [SampleDiagnostics(seed=seed)])

    def _build(self, cls, **kwargs):
        try:
            return cls(**kwargs)
        except TypeError as err:
            raise ValueError(
                f"bad model settings for {type(self).__name__}: {err}. See {cls.__name__}'s "
                "parameters for the accepted keys."
            ) from err

    # -- imbalanced-learn template ----------------------------------------------------------
    def _check_X_y(self, X, y):
        return check_dense_X_y(self, X, y)

    def _check_settings(self) -> None:
        """Settings that cannot work together, rejected before any training."""
        if self.filter_neighbors and self.filter_confidence:
            raise ValueError(
                "filter_neighbors and filter_confidence are two filters; set one of them to 0."
            )
        if isinstance(self.amount_model, str):
            raise ValueError(
                f"amount_model={self.amount_model!r}: pass an sklearn classifier or None; "
                "'downstream' is resolved by genover's experiment (sampler.amount_model="
                "downstream)."
            )
        if self.amount_grid is not None and self.val_fraction == 0:
            raise ValueError("amount_grid needs validation rows: set val_fraction > 0.")

    def _fit_resample(self, X, y):
        self._check_settings()
        start = time.perf_counter()
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        codec = TableCodec().fit(X, self.categorical_features, self.integer_features)
        codes = codec.encode(X)
        _reject_non_finite(codes, codec)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        _warn_tiny_classes(self.classes_, y_idx, self.sampling_strategy_)
        n_categories = [len(codec.categories[j]) for j in codec.categorical]
        encoder = ModelEncoder(self.numeric_transform).fit(
            codes, codec.categorical, n_categories, codec.integer
        )
        settings = self._settings()
        x = encoder.transform(codes)
        selecting = self.amount_grid is not None
        held = stratified_holdout(y_idx, self.val_fraction if selecting else 0.0, seed + 1)
        self.selection_rows_ = np.flatnonzero(held)
        data = TabularDataModule(
            x[~held], y_idx[~held], self.batch_size, self.val_fraction, seed, self.class_balance
        )
        with seeded(seed):
            self.module_ = self._train_module(
                data, encoder.layout, len(self.classes_), settings, seed
            )
            fit_anchors = getattr(self.module_, "fit_anchors", None)
            if fit_anchors is not None:  # e.g. the CVAE's aggregate-posterior draws
                fit_anchors(data.x_all, data.y_all)
        self.codec_, self.encoder_, self._draw_seed = codec, encoder, seed + 1
        self._sample_generator = None
        self.filter_ = self._make_filter()
        if self.filter_ is not None:
            self.filter_.fit(data.x_all.numpy(), data.y_all.numpy())
        self.amount_scores_, self.amount_tied_ = {}, False
        self.amount_ = 1.0
        if selecting:
            self.amount_ = self._select_amount(data, x[held], y_idx[held])
        if self.filter_ is not None:
            self.filter_.reset_counts()
        drawn = time.perf_counter()
        new_X, new_y = self._draw_all()
        self.sample_seconds_ = time.perf_counter() - drawn
        self.fit_seconds_ = time.perf_counter() - start
        self.outcome_ = self._outcome(new_y)
        return _append(X, new_X), np.concatenate([y, new_y.astype(y.dtype)])

    def _make_filter(self):
        if self.filter_confidence:
            return ConfidenceFilter(float(self.filter_confidence))
        if self.filter_neighbors:
            return NeighbourFilter(self.filter_neighbors)
        return None

    def _outcome(self, new_y: np.ndarray) -> dict:
        """What this fit decided and did, as flat fields (see the class docstring)."""
        out: dict = {"requested_rows": int(sum(self.sampling_strategy_.values()))}
        out["synthetic_rows"] = int(len(new_y))
        for label in self.sampling_strategy_:
            out[f"synthetic_rows[{label}]"] = int(np.sum(new_y == label))
        out["amount"] = float(self.amount_)
        if self.amount_grid is not None:
            out["amount_selected"] = bool(self.amount_scores_)
            out["amount_tied"] = bool(self.amount_tied_)
            out["amount_rule"] = f"smallest fraction within {_AMOUNT_TIE} AP of the best"
            out["selection_rows"] = int(len(self.selection_rows_))
            for fraction, score in self.amount_scores_.items():
                out[f"amount_score[{fraction:g}]"] = score
        if self.filter_ is not None:
            out.update(self.filter_.outcome())
        out.update(self.train_result_.outcome())
        out.update(self._extra_outcome())
        out["fit_seconds"] = round(self.fit_seconds_, 3)
        out["sample_seconds"] = round(self.sample_seconds_, 3)
        return out

    def _extra_outcome(self) -> dict:
        """Subclasses add the decisions of their own training (e.g. a kept stage)."""
        return {}

    def _settings(self) -> TrainSettings:
        overrides = dict(self.trainer or {})
        known = {f.name for f in dataclasses.fields(TrainSettings)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown trainer settings {unknown}; known: {sorted(known)}.")
        return TrainSettings(**overrides)

    def _select_amount(self, data: TabularDataModule, sel_x: np.ndarray, sel_y: np.ndarray):
        """The grid fraction with the best proxy minority AP on the selection rows."""
        if len(np.unique(sel_y)) < 2:
            log.warning(
                "amount selection needs held-out rows of two classes (4+ rows each); "
                "using the full amount."
            )
            return 1.0
        generator = torch.Generator(device=self.module_.device).manual_seed(self._draw_seed)
        full = {
            int(np.flatnonzero(self.classes_ == label)[0]): n
            for label, n in self.sampling_strategy_.items()
        }
        pool = {c: self._draw_model_rows(n, c, generator) for c, n in full.items() if n > 0}
        train = (data.x_all.numpy(), data.y_all.numpy())
        model = self.amount_model
        scores = {}
        for fraction in sorted(float(a) for a in self.amount_grid):
            extra = [(rows[: int(round(fraction * len(rows)))], c) for c, rows in pool.items()]
            scores[fraction] = proxy_minority_ap(train, extra, (sel_x, sel_y), model)
        best = max(scores.values())
        tied = [a for a, v in scores.items() if v >= best - _AMOUNT_TIE]
        self.amount_scores_, self.amount_tied_ = scores, len(tied) > 1
        return min(tied)

    def _draw_all(self):
        generator = torch.Generator(device=self.module_.device).manual_seed(self._draw_seed)
        parts, labels = [], []
        for label, n in self.sampling_strategy_.items():
            n = int(round(self.amount_ * n))
            if n > 0:
                parts.append(self._draw_codes(n, label, generator))
                labels.append(np.full(n, label, dtype=object))
        if not parts:
            empty = np.empty((0, len(self.codec_.columns)))
            return self.codec_.decode(empty), np.array([], dtype=object)
        return self.codec_.decode(np.vstack(parts)), np.concatenate(labels)

    def _draw_model_rows(self, n: int, index: int, generator: torch.Generator) -> np.ndarray:
        """``n`` model-space rows of class index ``index`` (neighbour-filtered if enabled)."""

        def draw(m: int) -> np.ndarray:
            chunks = []
            for start in range(0, m, _CHUNK):
                rows = self.module_.sample(min(_CHUNK, m - start), index, generator)
                chunks.append(rows.float().cpu().numpy())
            return np.vstack(chunks)

        return draw(n) if self.filter_ is None else self.filter_.select(draw, n, index)

    def _draw_codes(self, n: int, label, generator: torch.Generator) -> np.ndarray:
        index = int(np.flatnonzero(self.classes_ == label)[0])
        return self.encoder_.inverse_transform(self._draw_model_rows(n, index, generator))

    def sample(self, n: int, label):
        """``n`` new rows of class ``label`` from the fitted generator, in the input's types.

        Each call continues one random stream seeded at fit time: two calls return different
        rows, and a refit with the same ``random_state`` repeats the same sequence of calls.
        """
        if not hasattr(self, "module_"):
            raise ValueError(f"{type(self).__name__} is not fitted; call fit_resample first.")
        if label not in set(self.classes_.tolist()):
            raise ValueError(f"unknown class {label!r}; fitted classes: {self.classes_.tolist()}.")
        if self._sample_generator is None:  # one stream per fit: fresh rows on every call
            device = self.module_.device
            self._sample_generator = torch.Generator(device=device).manual_seed(self._draw_seed + 1)
        return self.codec_.decode(self._draw_codes(int(n), label, self._sample_generator))


def proxy_minority_ap(
    train: tuple[np.ndarray, np.ndarray],
    extra: list[tuple[np.ndarray, int]],
    held_out: tuple[np.ndarray, np.ndarray],
    model=None,
) -> float:
    """Mean one-vs-rest AP over the rarer classes of ``held_out`` of a classifier (a clone of
    ``model``; default a logistic regression) trained on the ``train`` rows plus the
    ``extra`` synthetic rows of each class."""
    x, y = train
    rows = [x] + [r for r, _ in extra]
    labels = [y] + [np.full(len(r), c) for r, c in extra]
    clf = LogisticRegression(max_iter=1000) if model is None else clone(model)
    clf.fit(np.vstack(rows), np.concatenate(labels))
    val_x, val_y = held_out
    n_classes = int(max(clf.classes_.max(), val_y.max())) + 1
    proba = align_proba(clf.predict_proba(val_x), clf.classes_, n_classes)
    return rare_class_ap(val_y, proba)


def check_dense_X_y(sampler, X, y):
    """imbalanced-learn's ``_check_X_y`` for samplers that take a dense array or a pandas
    frame as given (a frame keeps its column types): ``(X, y, binarize_y)``."""
    y, binarize_y = check_target_type(y, indicate_one_vs_all=True)
    if sparse.issparse(X):
        raise TypeError(
            f"{type(sampler).__name__} needs dense input; convert with X.toarray() first."
        )
    if not isinstance(X, pd.DataFrame):
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (rows x features); got shape {X.shape}.")
    validate_data(sampler, X=X, y=y, reset=True, skip_check_array=True)
    if len(y) != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {len(y)} labels.")
    return X, y, binarize_y


def _reject_non_finite(codes: np.ndarray, codec: TableCodec) -> None:
    bad = non_finite_counts(codes) > 0
    if bad.any():
        names = [str(codec.columns[j]) for j in np.flatnonzero(bad)][:5]
        raise ValueError(
            f"X holds NaN or infinite values in columns {names}; impute them first (for "
            "example sklearn's SimpleImputer before the sampler, or genover's impute=median)."
        )


def _warn_tiny_classes(classes, y_idx: np.ndarray, strategy: dict) -> None:
    counts = np.bincount(y_idx, minlength=len(classes))
    for label, n in strategy.items():
        have = counts[int(np.flatnonzero(classes == label)[0])]
        if n > 0 and have < _FEW_ROWS:
            log.warning(
                "class %r has %d row(s): its generated rows come from the class embedding "
                "learnt on so few examples and will sit close to them.",
                label,
                have,
            )


def _append(X, new_X):
    if isinstance(X, pd.DataFrame):
        return pd.concat([X, new_X], ignore_index=True)
    return np.vstack([X, np.asarray(new_X, dtype=X.dtype)])
