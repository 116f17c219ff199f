"""An sklearn-compatible MLP classifier trained by Lightning with class-balanced losses."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from genover.classifiers.metasaug import MetaSAugNet
from genover.classifiers.module import MLPNet
from genover.classifiers.sampling import SAMPLING, ClassSampling
from genover.classifiers.scarf import SCARFNet, pretrain_encoder
from genover.losses import LOSSES, ClassBalancedLoss
from genover.models.components.mlp import last_width
from genover.training import (
    TabularDataModule,
    TrainSettings,
    seeded,
    stratified_holdout,
    train_module,
)

_PREDICT_CHUNK = 65_536


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """A multilayer perceptron with the sklearn API (``fit``, ``predict_proba``, ``classes_``).

    Parameters
    ----------
    hidden, dropout, batch_norm: the network.
    loss: a name from :data:`genover.losses.LOSSES` or a callable taking the class counts and
        returning a :class:`genover.losses.ClassBalancedLoss` (e.g. a Hydra ``_partial_``).
    lr, weight_decay, max_epochs, batch_size: AdamW training.
    patience, val_fraction: early stopping and the best checkpoint on the validation minority
        AP of a stratified ``val_fraction`` split of the training data (``val_fraction=0``
        trains all epochs). ``fit(X, y, eval_set=(X_val, y_val))`` uses those rows instead
        and trains on all of ``X``: genover's experiment holds real rows out *before*
        resampling and passes them here, so no synthetic row reaches validation. Outside
        it, after a sampler, pass ``eval_set`` yourself for the same guarantee.
    sampling: "instance", "class_balanced" or "curriculum" batches.
    decoupled: None, "crt" (retrain the head with class-balanced sampling for ``crt_epochs``
        on frozen features) or "tau_norm" (rescale head weights by ||w_c|| ** -tau).
    pretrain: None or "scarf": before the supervised stage, pre-train the feature extractor
        for ``pretrain_epochs`` with SCARF (:mod:`genover.classifiers.scarf`): InfoNCE with
        ``temperature`` between each row and a view with ``corruption_rate`` of its features
        redrawn from their marginals. It uses the training rows only, without labels (never
        the ``eval_set`` rows or the internal validation split).
    augment: None or "metasaug": train with MetaSAug (:mod:`genover.classifiers.metasaug`),
        ISDA augmentation (strength rising to ``isda_lambda``) in feature space with class
        covariances moved by a meta-gradient step (``meta_lr``) on class-balanced batches of
        real meta rows: the ``eval_set`` rows when given (the same real rows that select
        the checkpoint), else a stratified ``meta_fraction`` of the training rows (which
        stay in training, as in the paper). Needs a linear head (not ldam or lmcl).
    random_state, accelerator, precision, log_dir: seeding and Lightning settings.

    With a deferred re-weighting loss (``drw_fraction``), training runs in two stages: the
    first ``drw_fraction`` of the epochs without the class weights and without model
    selection, then the rest with the weights on, early stopping and the best checkpoint,
    so the restored model always comes from an epoch with DRW on. ``outcome_`` records
    each stage (epochs, steps, why it stopped, the best validation AP and its epoch), and
    SCARF's pre-training as ``pretrain_*`` fields, MetaSAug's meta rows as ``meta_*``.
    """

    _parameter_constraints: dict = {
        "hidden": ["array-like"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_norm": ["boolean"],
        "loss": [str, callable],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "val_fraction": [Interval(Real, 0, 0.5, closed="both")],
        "sampling": [StrOptions(set(SAMPLING))],
        "decoupled": [StrOptions({"crt", "tau_norm"}), None],
        "tau": [Interval(Real, 0, None, closed="left")],
        "crt_epochs": [Interval(Integral, 1, None, closed="left")],
        "pretrain": [StrOptions({"scarf"}), None],
        "pretrain_epochs": [Interval(Integral, 1, None, closed="left")],
        "corruption_rate": [Interval(Real, 0, 1, closed="right")],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "augment": [StrOptions({"metasaug"}), None],
        "isda_lambda": [Interval(Real, 0, None, closed="left")],
        "meta_lr": [Interval(Real, 0, None, closed="left")],
        "meta_fraction": [Interval(Real, 0, 0.5, closed="right")],
        "random_state": ["random_state"],
        "accelerator": [str],
        "precision": [str],
        "log_dir": [str, None],
    }

    def __init__(
        self,
        hidden=(128, 64),
        dropout=0.1,
        batch_norm=False,
        loss="ce",
        lr=1e-3,
        weight_decay=1e-4,
        max_epochs=100,
        batch_size=256,
        patience=20,
        val_fraction=0.15,
        sampling="instance",
        decoupled=None,
        tau=1.0,
        crt_epochs=30,
        pretrain=None,
        pretrain_epochs=20,
        corruption_rate=0.6,
        temperature=1.0,
        augment=None,
        isda_lambda=0.5,
        meta_lr=100.0,
        meta_fraction=0.1,
        random_state=None,
        accelerator="auto",
        precision="auto",
        log_dir=None,
    ):
        self.hidden = hidden
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.loss = loss
        self.lr = lr
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.patience = patience
        self.val_fraction = val_fraction
        self.sampling = sampling
        self.decoupled = decoupled
        self.tau = tau
        self.crt_epochs = crt_epochs
        self.pretrain = pretrain
        self.pretrain_epochs = pretrain_epochs
        self.corruption_rate = corruption_rate
        self.temperature = temperature
        self.augment = augment
        self.isda_lambda = isda_lambda
        self.meta_lr = meta_lr
        self.meta_fraction = meta_fraction
        self.random_state = random_state
        self.accelerator = accelerator
        self.precision = precision
        self.log_dir = log_dir

    def _make_loss(self, counts: np.ndarray) -> ClassBalancedLoss:
        if isinstance(self.loss, str):
            if self.loss not in LOSSES:
                raise ValueError(f"unknown loss {self.loss!r}; use one of {sorted(LOSSES)}.")
            return LOSSES[self.loss](counts.tolist())
        return self.loss(counts.tolist())

    def _settings(self, max_epochs: int, stage: str, select_best: bool = True) -> TrainSettings:
        return TrainSettings(
            max_epochs=max_epochs,
            max_steps=None,
            epoch_steps=None,
            select_best=select_best,
            patience=self.patience,
            val_every=1,
            accelerator=self.accelerator,
            precision=self.precision,
            log_dir=self.log_dir,
            log_name=f"mlp_{stage}",
        )

    def fit(self, X, y, eval_set=None):
        """Train on ``X, y``; early-stop on ``eval_set=(X_val, y_val)`` if given, else on a
        stratified ``val_fraction`` of ``X``."""
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"MLPClassifier needs at least two classes; got 1 class: {self.classes_.tolist()}."
            )
        val_mask = None
        if eval_set is not None:
            X, y_idx, val_mask = self._with_eval_set(X, y_idx, eval_set)
        counts = np.bincount(y_idx, minlength=len(self.classes_))
        loss = self._make_loss(counts)
        if self.decoupled == "tau_norm" and loss.needs_cosine_head:
            raise ValueError("tau_norm rescales a linear head; cosine-margin losses have none.")
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        if val_mask is None:  # the split TabularDataModule would draw, made explicit
            val_mask = stratified_holdout(y_idx, self.val_fraction, seed)
        self.outcome_ = {}
        with seeded(seed):
            self.module_ = self._network(X.shape[1], loss)
            if self.augment == "metasaug":
                self._set_meta_rows(X, y_idx, val_mask, eval_set is not None, seed)
            if self.pretrain == "scarf":
                self._pretrain(X[~val_mask], seed)
            self._train_stages(X, y_idx, seed, val_mask)
        return self

    def _network(self, in_dim: int, loss: ClassBalancedLoss) -> MLPNet:
        args = (in_dim, loss, self.hidden, self.dropout, self.batch_norm, self.lr)
        if self.augment == "metasaug":
            return MetaSAugNet(
                *args, self.weight_decay, isda_lambda=self.isda_lambda, meta_lr=self.meta_lr
            )
        return MLPNet(*args, self.weight_decay)

    def _pretrain(self, X_train: np.ndarray, seed: int) -> None:
        """SCARF on the training rows only: the validation rows never reach it."""
        width = last_width(X_train.shape[1], list(self.hidden))
        net = SCARFNet(
            self.module_.features,
            width,
            X_train,
            self.corruption_rate,
            self.temperature,
            self.lr,
            self.weight_decay,
        )
        settings = self._settings(self.pretrain_epochs, "scarf", select_best=False)
        self.outcome_.update(pretrain_encoder(net, X_train, self.batch_size, settings, seed))

    def _set_meta_rows(self, X, y_idx, val_mask, from_eval_set: bool, seed: int) -> None:
        """MetaSAug's meta rows: the eval_set rows, else a stratified ``meta_fraction`` of
        each class's training rows (at least one per class; they stay in training)."""
        if from_eval_set:
            meta = val_mask
        else:
            rng = np.random.default_rng(seed)
            meta = np.zeros(len(y_idx), dtype=bool)
            for c in range(len(self.classes_)):
                rows = np.flatnonzero((y_idx == c) & ~val_mask)
                take = min(len(rows), max(1, int(round(self.meta_fraction * len(rows)))))
                meta[rng.choice(rows, size=take, replace=False)] = True
        self.module_.set_meta_rows(X[meta], y_idx[meta])
        self.outcome_["meta_rows"] = int(meta.sum())
        self.outcome_["meta_source"] = "eval_set" if from_eval_set else "training_split"

    def _with_eval_set(self, X, y_idx, eval_set):
        """Training rows followed by the given validation rows, and the mask marking them."""
        X_val, y_val = eval_set
        X_val = validate_data(self, X_val, dtype=np.float32, reset=False)
        y_val = np.asarray(y_val)
        unknown = sorted(set(y_val.tolist()) - set(self.classes_.tolist()), key=str)
        if unknown:
            raise ValueError(
                f"eval_set holds classes {unknown} that the training labels do not; "
                "hold validation rows out of the same labelled data."
            )
        val_idx = np.searchsorted(self.classes_, y_val)
        mask = np.r_[np.zeros(len(X), bool), np.ones(len(X_val), bool)]
        return np.vstack([X, X_val]), np.r_[y_idx, val_idx], mask

    def _data(self, X, y_idx, seed, mode, epochs, offset=0, val_mask=None) -> TabularDataModule:
        schedule = ClassSampling.schedule(mode, total_epochs=epochs, offset=offset)
        return TabularDataModule(
            X, y_idx, self.batch_size, self.val_fraction, seed, sampling=schedule, val_mask=val_mask
        )

    def _train_stages(self, X, y_idx, seed, val_mask) -> None:
        drw = self.module_.loss.drw_fraction
        warmup = min(self.max_epochs - 1, int(drw * self.max_epochs)) if drw else 0
        if warmup > 0:  # DRW's first stage: weights off, nothing selected
            self.module_.set_epoch_offset(0, self.max_epochs)
            data = self._data(X, y_idx, seed, self.sampling, self.max_epochs, 0, val_mask)
            settings = self._settings(warmup, "drw_warmup", select_best=False)
            result = train_module(self.module_, data, settings, seed)
            self.outcome_.update(result.outcome("warmup_"))
        self.module_.set_epoch_offset(warmup, self.max_epochs)
        data = self._data(X, y_idx, seed, self.sampling, self.max_epochs, warmup, val_mask)
        settings = self._settings(self.max_epochs - warmup, "stage1")
        self.train_result_ = train_module(self.module_, data, settings, seed)
        self.outcome_.update(self.train_result_.outcome())
        if drw:
            self.outcome_["drw_start_epoch"] = warmup
        if self.decoupled == "crt":
            self.module_.reset_head()
            self.module_.set_epoch_offset(0, self.crt_epochs)
            data = self._data(X, y_idx, seed, "class_balanced", self.crt_epochs, 0, val_mask)
            self.crt_result_ = train_module(
                self.module_, data, self._settings(self.crt_epochs, "crt"), seed
            )
            self.outcome_.update(self.crt_result_.outcome("crt_"))
        elif self.decoupled == "tau_norm":
            self.module_.tau_normalise(self.tau)
        self.outcome_["validation_rows"] = int(data.val_mask.sum())

    @torch.no_grad()
    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "module_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        self.module_.eval()
        out = []
        for start in range(0, len(X), _PREDICT_CHUNK):
            chunk = torch.as_tensor(X[start : start + _PREDICT_CHUNK], device=self.module_.device)
            out.append(torch.softmax(self.module_(chunk).float(), dim=1).cpu().numpy())
        return np.vstack(out) if out else np.empty((0, len(self.classes_)))

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
