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
import inspect
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
from genover.samplers.curation import LearningDynamicsFilter
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
_VAL_BATCH = 4096  # as TabularDataModule.val_dataloader: the start is scored like each epoch


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

    After ``fit_resample``, ``outcome_`` holds what the fit decided and did: rows generated
    per class, the amount and every grid score, the filter's acceptance rate and whether it
    fell back, epochs, optimiser steps, why training stopped, the best validation score,
    and fit and sampling seconds. The experiment records it per fold.
    """

    #: It scales and encodes its input itself: genover's experiment gives it the rows as the
    #: user gave them (imputed only) and scales after it, so nothing is encoded twice.
    encodes_input = True

    #: What each ``finetune`` key means when the dict leaves it out.
    FINETUNE_DEFAULTS = {"steps": 200, "lr": 1e-4, "push": 1.0, "margin": 1.0}

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

    @classmethod
    def model_defaults(cls) -> dict:
        """Every ``model`` setting and its default (what ``model=None`` means)."""
        return _signature_defaults(cls.module_class)

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
        if self.finetune is None:
            return None
        known = self.FINETUNE_DEFAULTS
        unknown = sorted(set(self.finetune) - set(known))
        if unknown:
            raise ValueError(f"unknown finetune settings {unknown}; known: {sorted(known)}.")
        if not hasattr(getattr(self, "module_class", None), "finetune_loss"):
            raise ValueError(
                f"finetune is DDPM-only: {type(self).__name__}'s generator has no "
                "finetune_loss. Set finetune=None (sampler.finetune=null)."
            )
        options = {**known, **self.finetune}
        if int(options["steps"]) < 1 or float(options["lr"]) <= 0 or float(options["push"]) < 0:
            raise ValueError(f"finetune needs steps >= 1, lr > 0 and push >= 0; got {options}.")
        return options

    def _finetune(self, data: TabularDataModule, classes: list[int], settings, seed: int):
        """Fine-tune ``module_`` on the training rows ``data`` of ``classes`` (SOS); keep the
        result only if it beats the start on the classes' own validation loss."""
        from genover.models.finetune import MinorityFineTune

        options = self._finetune_settings()
        self.finetune_result_ = None
        if options is None:
            return
        own = torch.isin(data.y_all, torch.as_tensor(classes))
        train = ~data.val_mask
        stage = MinorityFineTune(
            self.module_,
            data.x_all[train],
            data.y_all[train],
            classes,
            lr=float(options["lr"]),
            push=float(options["push"]),
            margin=float(options["margin"]),
        )
        rows = TabularDataModule(
            data.x_all[own],
            data.y_all[own],
            self.batch_size,
            0.0,
            seed,
            self.class_balance,
            val_mask=data.val_mask[own].numpy(),
        )
        start_state = {k: v.detach().clone() for k, v in self.module_.state_dict().items()}
        start = _own_val_loss(stage, rows) if rows.has_validation else None
        fine = dataclasses.replace(
            settings,
            max_steps=int(options["steps"]),
            max_epochs=None,
            min_epochs=0,
            min_steps=None,
            log_name=f"{settings.log_name}_finetune",
        )
        self.finetune_result_ = train_module(stage, rows, fine, seed)
        best = self.finetune_result_.best_score
        self.finetune_kept_ = start is None or (best is not None and best < start)
        self.finetune_scores_ = (start, best)
        if not self.finetune_kept_:
            self.module_.load_state_dict(start_state)
        self.module_.eval()

    def _finetune_outcome(self) -> dict:
        if getattr(self, "finetune_result_", None) is None:
            return {"finetune": False}
        result, (start, best) = self.finetune_result_, self.finetune_scores_
        return {
            "finetune": True,
            "finetune_steps": result.steps,
            "finetune_stop_reason": result.stop_reason,
            "finetune_best_val": best,
            "finetune_start_val": start,
            "finetune_kept": bool(self.finetune_kept_),
        }

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
        _reject_non_finite(codes, codec)
        _warn_tiny_classes(self.classes_, y_idx, self.sampling_strategy_)
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
        out.update(self._finetune_outcome())
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

        def draw(m: int) -> tuple[np.ndarray, np.ndarray]:
            chunks, anchors = [], []
            for start in range(0, m, _CHUNK):
                rows, at = self.module_.sample_with_anchors(
                    min(_CHUNK, m - start), index, generator
                )
                chunks.append(rows.float().cpu().numpy())
                anchors.append(at.cpu().numpy())
            return np.vstack(chunks), np.concatenate(anchors)

        return draw(n)[0] if self.filter_ is None else self.filter_.select(draw, n, index)

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


def _signature_defaults(module_class) -> dict:
    """The keyword defaults of a module's constructor that ``model`` may set."""
    skip = {"self", "layout", "num_classes", "lr"}
    return {
        k: p.default
        for k, p in inspect.signature(module_class.__init__).parameters.items()
        if k not in skip and p.default is not inspect.Parameter.empty
    }


def measured_defaults(**defaults):
    """Class decorator: a generator sampler's own constructor defaults (the measured ones its
    ``conf/sampler`` file also holds), so that ``CVAESampler()`` in Python and
    ``sampler=cvae`` on the command line build the same method. ``get_params``, ``clone``
    and the signature all show them."""

    def wrap(cls):
        base_init = cls.__init__
        signature = inspect.signature(base_init)
        unknown = set(defaults) - set(signature.parameters)
        if unknown:
            raise TypeError(f"{cls.__name__}: no parameters {sorted(unknown)} to default.")

        def __init__(self, **params):
            base_init(self, **{**defaults, **params})

        __init__.__signature__ = signature.replace(
            parameters=[
                p.replace(default=defaults[p.name]) if p.name in defaults else p
                for p in signature.parameters.values()
            ]
        )
        __init__.__doc__ = base_init.__doc__
        cls.__init__ = __init__
        return cls

    return wrap


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


@torch.no_grad()
def _own_val_loss(stage, rows: TabularDataModule) -> float:
    """The fine-tuning stage's ``val/loss`` of its current weights, batch for batch as its
    validation computes it (a size-weighted mean over the same batches and seeds)."""
    stage.eval()
    device = stage.generator.device
    stage.to(device)
    x, y = rows.x_all[rows.val_mask].to(device), rows.y_all[rows.val_mask].to(device)
    total = 0.0
    for i, at in enumerate(range(0, len(x), _VAL_BATCH)):
        xb, yb = x[at : at + _VAL_BATCH], y[at : at + _VAL_BATCH]
        total += float(stage.own_loss(xb, yb, i)) * len(xb)
    return total / len(x)


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
