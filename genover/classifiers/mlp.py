"""An sklearn-compatible MLP classifier trained by Lightning with class-balanced losses."""

from __future__ import annotations

import functools
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from genover.classifiers.module import MLPNet
from genover.classifiers.sampling import SAMPLING, ClassSampling
from genover.losses import LOSSES, ClassBalancedLoss
from genover.models.datamodule import TabularDataModule
from genover.models.training import TrainSettings, train_module

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
        AP of a stratified split of the training data (``val_fraction=0`` trains all epochs).
    sampling: "instance", "class_balanced" or "curriculum" batches.
    decoupled: None, "crt" (retrain the head with class-balanced sampling for ``crt_epochs``
        on frozen features) or "tau_norm" (rescale head weights by ||w_c|| ** -tau).
    random_state, accelerator, precision, log_dir: seeding and Lightning settings.
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

    def _settings(self, max_epochs: int, stage: str, min_epochs: int = 0) -> TrainSettings:
        return TrainSettings(
            max_epochs=max_epochs,
            min_epochs=min_epochs,
            patience=self.patience,
            val_every=1,
            accelerator=self.accelerator,
            precision=self.precision,
            log_dir=self.log_dir,
            log_name=f"mlp_{stage}",
        )

    def fit(self, X, y):
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"MLPClassifier needs at least two classes; got 1 class: {self.classes_.tolist()}."
            )
        counts = np.bincount(y_idx, minlength=len(self.classes_))
        loss = self._make_loss(counts)
        if self.decoupled == "tau_norm" and loss.needs_cosine_head:
            raise ValueError("tau_norm rescales a linear head; cosine-margin losses have none.")
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        devices = [torch.cuda.current_device()] if torch.cuda.is_available() else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            self.module_ = MLPNet(
                X.shape[1],
                loss,
                self.hidden,
                self.dropout,
                self.batch_norm,
                self.lr,
                self.weight_decay,
            )
            self._train_stages(X, y_idx, seed)
        return self

    def _data(self, X, y_idx, seed, mode: str, epochs: int) -> TabularDataModule:
        sampling = functools.partial(ClassSampling, mode=mode, total_epochs=epochs)
        return TabularDataModule(
            X, y_idx, self.batch_size, self.val_fraction, seed, sampling=sampling
        )

    def _train_stages(self, X, y_idx, seed) -> None:
        data = self._data(X, y_idx, seed, self.sampling, self.max_epochs)
        drw = self.module_.loss.drw_fraction
        # Deferred re-weighting must get to run before early stopping may end training.
        min_epochs = min(self.max_epochs, int(drw * self.max_epochs) + 1) if drw else 0
        settings = self._settings(self.max_epochs, "stage1", min_epochs)
        self.train_result_ = train_module(self.module_, data, settings, seed)
        if self.decoupled == "crt":
            self.module_.reset_head()
            data = self._data(X, y_idx, seed, "class_balanced", self.crt_epochs)
            self.crt_result_ = train_module(
                self.module_, data, self._settings(self.crt_epochs, "crt"), seed
            )
        elif self.decoupled == "tau_norm":
            self.module_.tau_normalise(self.tau)

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
