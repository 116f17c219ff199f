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
import torch
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from genover.data.codec import TableCodec
from genover.models import TabularLayout
from genover.models.diagnostics import SampleDiagnostics
from genover.models.encoding import ModelEncoder
from genover.samplers.amount import amount_outcome, select_amount
from genover.samplers.checks import (
    append_rows,
    check_dense_X_y,
    reject_non_finite,
    warn_tiny_classes,
)
from genover.samplers.copies import CopyRejection
from genover.samplers.curation import LearningDynamicsFilter
from genover.samplers.defaults import signature_defaults
from genover.samplers.drawing import draw_model_rows, draw_table
from genover.samplers.filtering import ConfidenceFilter, NeighbourFilter
from genover.samplers.finetuning import FINETUNE_DEFAULTS, finetune_minority, finetune_settings
from genover.training import (
    TabularDataModule,
    TrainSettings,
    seeded,
    stratified_holdout,
    train_module,
)

log = logging.getLogger(__name__)


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
    curate: if > 0, curation by learning dynamics (CLLM / Data-IQ,
        :class:`genover.samplers.curation.LearningDynamicsFilter`): synthetic rows of class c
        whose confidence as c, averaged over a gradient-boosting classifier's checkpoints,
        falls below this quantile of the real rows of c (out of fold), or whose aleatoric
        uncertainty exceeds their 1 - curate quantile, are discarded and redrawn. Exclusive
        with the other two filters.
    amount_grid: None generates exactly what ``sampling_strategy`` asks for. A list of
        fractions (0 allowed) makes the strategy an upper bound: a further stratified
        ``val_fraction`` of each class (the *selection* rows) is held out from the generator,
        which neither trains nor early-stops on them; the fraction whose synthetic rows give
        a logistic-regression proxy, trained on the generator's training rows plus those
        rows, the best minority AP on the selection rows is used (``amount_``). Tie rule:
        every fraction within ``0.005`` AP of the best counts as tied, and the smallest tied
        fraction wins (``amount_tied_`` says whether there was a tie).
    amount_model: the model that scores the amount grid: None is the logistic-regression
        proxy; an sklearn classifier is cloned and used instead, fitted on the generator's
        encoded rows (quantile or standard scaled numerics, one-hot categories). genover's
        experiment replaces ``"run_classifier_encoded"`` by a clone of the run's classifier:
        the model the rows will feed, but fitted in the generator's encoded space, not behind
        the run's own transform (hence the name).
    finetune: None (off), or a dict of minority fine-tuning settings (the idea of SOS, Kim
        et al. 2022; generators with a ``finetune_loss``, the DDPM): after training on every
        class, the generator is trained ``steps`` more optimiser steps at learning rate
        ``lr`` on the over-sampled classes' training rows, with ``push`` x a hinge (margin
        ``margin``) pushing each class away from other classes' real rows. Early stopping on
        the class's own validation loss keeps the best weights, and the fine-tuned weights
        are kept only if they beat the start on it (``finetune_kept``). Missing keys take
        the defaults ``FINETUNE_DEFAULTS``.
    reject_copies: if True, drawn rows equal to a training row (after decoding: categories,
        rounded integers) are redrawn, at most 10 rounds
        (:class:`genover.samplers.copies.CopyRejection`); ``copies_redrawn`` and
        ``copies_left`` record it.

    After ``fit_resample``, ``outcome_`` holds what the fit decided and did: rows generated
    per class, the amount and every grid score, the filter's acceptance rate and whether it
    fell back, epochs, optimiser steps, why training stopped, the best validation score,
    and fit and sampling seconds. The experiment records it per fold.
    """

    #: It scales and encodes its input itself: genover's experiment gives it the rows as the
    #: user gave them (imputed only) and scales after it, so nothing is encoded twice.
    encodes_input = True

    #: What each ``finetune`` key means when the dict leaves it out.
    FINETUNE_DEFAULTS = FINETUNE_DEFAULTS

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
        "curate": [Interval(Real, 0, 1, closed="left")],
        "amount_grid": ["array-like", None],
        "amount_model": [
            None,
            StrOptions({"run_classifier_encoded", "downstream"}),
            HasMethods(["fit", "predict_proba"]),
        ],
        "finetune": [dict, None],
        "reject_copies": ["boolean"],
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
        curate=0.0,
        amount_grid=None,
        amount_model=None,
        finetune=None,
        reject_copies=False,
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
        self.curate = curate
        self.amount_grid = amount_grid
        self.amount_model = amount_model
        self.finetune = finetune
        self.reject_copies = reject_copies

    @classmethod
    def model_defaults(cls) -> dict:
        """Every ``model`` setting and its default (what ``model=None`` means)."""
        return signature_defaults(cls.module_class)

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
        on = [k for k in ("filter_neighbors", "filter_confidence", "curate") if getattr(self, k)]
        if len(on) > 1:
            raise ValueError(
                f"{' and '.join(on)} are {len(on)} filters; keep one and set the others to 0."
            )
        if self.amount_model == "downstream":
            raise ValueError(
                "amount_model='downstream' is now 'run_classifier_encoded': the run's "
                "classifier, fitted on the generator's encoded rows (not behind the run's "
                "transform). Set sampler.amount_model=run_classifier_encoded."
            )
        if isinstance(self.amount_model, str):
            raise ValueError(
                f"amount_model={self.amount_model!r}: pass an sklearn classifier or None; "
                "'run_classifier_encoded' is resolved by genover's experiment "
                "(sampler.amount_model=run_classifier_encoded)."
            )
        if self.amount_grid is not None and self.val_fraction == 0:
            raise ValueError("amount_grid needs validation rows: set val_fraction > 0.")
        self._finetune_settings()

    def _finetune_settings(self) -> dict | None:
        """``finetune`` with its defaults filled in (None: off); bad keys are rejected."""
        module_class = getattr(self, "module_class", None)
        return finetune_settings(self.finetune, module_class, type(self).__name__)

    def _finetune(self, data: TabularDataModule, classes: list[int], settings, seed: int):
        """Fine-tune ``module_`` on the training rows ``data`` of ``classes`` (SOS); keep the
        result only if it beats the start on the classes' own validation loss."""
        options = self._finetune_settings()
        self.finetune_run_ = None
        if options is not None:
            self.finetune_run_ = finetune_minority(
                self.module_,
                data,
                classes,
                options,
                settings,
                seed,
                self.batch_size,
                self.class_balance,
            )

    def _fit_resample(self, X, y):
        self._check_settings()
        start = time.perf_counter()
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        selecting = self.amount_grid is not None
        # The selection rows score the amount only: nothing else is fitted on them.
        held = stratified_holdout(y_idx, self.val_fraction if selecting else 0.0, seed + 1)
        self.selection_rows_ = np.flatnonzero(held)
        codec = TableCodec().fit(X, self.categorical_features, self.integer_features, rows=~held)
        codes = codec.encode(X)
        reject_non_finite(codes, codec)
        warn_tiny_classes(self.classes_, y_idx, self.sampling_strategy_)
        n_categories = [len(codec.categories[j]) for j in codec.categorical]
        encoder = ModelEncoder(self.numeric_transform).fit(
            codes[~held], codec.categorical, n_categories, codec.integer
        )
        settings = self._settings()
        x = encoder.transform(codes)
        data = TabularDataModule(
            x[~held], y_idx[~held], self.batch_size, self.val_fraction, seed, self.class_balance
        )
        sampled = [
            int(np.flatnonzero(self.classes_ == label)[0])
            for label, n in self.sampling_strategy_.items()
            if n > 0
        ]
        with seeded(seed):
            self.module_ = self._train_module(
                data, encoder.layout, len(self.classes_), settings, seed
            )
            self._finetune(data, sampled, settings, seed)
            # e.g. the CVAE's aggregate-posterior draws, the DDPM's SDEdit draws
            self.module_.fit_anchors(data.x_all, data.y_all, classes=sampled)
        self.codec_, self.encoder_, self._draw_seed = codec, encoder, seed + 1
        self._sample_generator = None
        self.filter_ = self._make_filter(seed)
        self.copy_check_ = (
            CopyRejection(encoder.inverse_transform, codes[~held]) if self.reject_copies else None
        )
        if self.filter_ is not None:
            self.filter_.fit(data.x_all.numpy(), data.y_all.numpy())
        self.amount_scores_, self.amount_tied_ = {}, False
        self.amount_ = 1.0
        if selecting:
            self.amount_ = self._select_amount(data, x[held], y_idx[held])
        if self.filter_ is not None:
            self.filter_.reset_counts()
        if self.copy_check_ is not None:
            self.copy_check_.reset_counts()
        drawn = time.perf_counter()
        new_X, new_y = self._draw_all()
        self.sample_seconds_ = time.perf_counter() - drawn
        self.fit_seconds_ = time.perf_counter() - start
        self.outcome_ = self._outcome(new_y)
        return append_rows(X, new_X), np.concatenate([y, new_y.astype(y.dtype)])

    def _make_filter(self, seed: int):
        if self.curate:
            return LearningDynamicsFilter(float(self.curate), random_state=seed + 2)
        if self.filter_confidence:
            return ConfidenceFilter(float(self.filter_confidence), random_state=seed + 2)
        if self.filter_neighbors:
            return NeighbourFilter(self.filter_neighbors)
        return None

    def _outcome(self, new_y: np.ndarray) -> dict:
        """What this fit decided and did, as flat fields (see the class docstring)."""
        out: dict = {"requested_rows": int(sum(self.sampling_strategy_.values()))}
        out["synthetic_rows"] = int(len(new_y))
        for label in self.sampling_strategy_:
            out[f"synthetic_rows[{label}]"] = int(np.sum(new_y == label))
        out.update(
            amount_outcome(
                self.amount_,
                self.amount_grid,
                self.amount_scores_,
                self.amount_tied_,
                len(self.selection_rows_),
            )
        )
        if self.filter_ is not None:
            out.update(self.filter_.outcome())
        if self.copy_check_ is not None:
            out.update(self.copy_check_.outcome())
        out.update(self.train_result_.outcome())
        run = getattr(self, "finetune_run_", None)
        out.update(run.outcome() if run is not None else {"finetune": False})
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
        generator = torch.Generator(device=self.module_.device).manual_seed(self._draw_seed)
        requested = {
            int(np.flatnonzero(self.classes_ == label)[0]): n
            for label, n in self.sampling_strategy_.items()
        }
        amount, self.amount_scores_, self.amount_tied_ = select_amount(
            self.amount_grid,
            requested,
            lambda n, index: self._draw_model_rows(n, index, generator),
            (data.x_all.numpy(), data.y_all.numpy()),
            (sel_x, sel_y),
            self.amount_model,
        )
        return amount

    def _draw_all(self):
        generator = torch.Generator(device=self.module_.device).manual_seed(self._draw_seed)
        counts = {
            label: int(round(self.amount_ * n)) for label, n in self.sampling_strategy_.items()
        }
        return draw_table(
            self.codec_, counts, lambda n, label: self._draw_codes(n, label, generator)
        )

    def _draw_model_rows(self, n: int, index: int, generator: torch.Generator) -> np.ndarray:
        """``n`` model-space rows of class index ``index`` (filtered if a filter is on)."""
        return draw_model_rows(self.module_, self.filter_, n, index, generator, self.copy_check_)

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
        if isinstance(n, bool) or not float(n).is_integer() or n < 0:
            raise ValueError(f"sample(n={n!r}): n is a number of rows; use a whole number >= 0.")
        if int(n) == 0:  # no draw: the random stream is left where it was
            return self.codec_.decode(np.empty((0, len(self.codec_.columns))))
        if self._sample_generator is None:  # one stream per fit: fresh rows on every call
            device = self.module_.device
            self._sample_generator = torch.Generator(device=device).manual_seed(self._draw_seed + 1)
        return self.codec_.decode(self._draw_codes(int(n), label, self._sample_generator))
