"""XGBoost, LightGBM and CatBoost behind one sklearn API, with each library's own imbalance
weighting and categorical handling.

- ``imbalance="balanced"`` maps to the library's native option: XGBoost's
  ``scale_pos_weight`` (negatives / positives; multiclass: balanced sample weights, since
  XGBoost has no per-class weight), LightGBM's ``class_weight="balanced"`` and CatBoost's
  ``auto_class_weights="Balanced"``. ``"none"`` trains on the rows as they are.
- ``categorical_features`` (column indices or a boolean mask of integer category codes) uses
  the library's native categorical splits: XGBoost's ``enable_categorical``, LightGBM's
  ``categorical_feature`` and CatBoost's ``cat_features``. genover's experiment sets it when the
  fold's sampler keeps categories as codes (``genover.experiment.pipeline``).
- ``n_jobs=None`` follows genover's ``threads`` setting (the job's torch intra-op threads).
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from genover.classifiers.weighting import IMBALANCE, balanced_weights


def job_threads(n_jobs: int | None) -> int:
    """``n_jobs``, or the torch intra-op threads that genover's ``threads`` set for the job."""
    if n_jobs is not None:
        return int(n_jobs)
    import torch

    return max(1, torch.get_num_threads())


def _library_seed(random_state) -> int:
    """The integer seed a boosting library takes: ``random_state`` itself (None: 0), or a
    draw from it when it is a ``RandomState``."""
    if random_state is None or isinstance(random_state, Integral):
        return int(random_state or 0)
    return int(np.random.RandomState(random_state).randint(np.iinfo(np.int32).max))


class GradientBoostingBase(ClassifierMixin, BaseEstimator):
    """Shared parameter handling, validation and label encoding of the three boosters."""

    _parameter_constraints: dict = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "max_depth": [Interval(Integral, 1, None, closed="left"), None],
        "imbalance": [StrOptions(set(IMBALANCE))],
        "categorical_features": ["array-like", None],
        "n_jobs": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "params": [dict, None],
    }

    def __init__(
        self,
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        max_depth: int | None = 6,
        imbalance: str = "none",
        categorical_features=None,
        n_jobs: int | None = None,
        random_state=None,
        params: dict | None = None,
    ):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.imbalance = imbalance
        self.categorical_features = categorical_features
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.params = params

    def _categorical_idx(self, n_features: int) -> np.ndarray:
        if self.categorical_features is None:
            return np.array([], dtype=int)
        cats = np.asarray(self.categorical_features)
        if cats.dtype == bool:
            if cats.size != n_features:
                raise ValueError(
                    f"categorical_features is a mask of {cats.size} columns but X has "
                    f"{n_features}; pass one entry per column, or column indices."
                )
            return np.flatnonzero(cats)
        idx = cats.astype(int).ravel()
        if idx.size and (idx.min() < 0 or idx.max() >= n_features):
            raise ValueError(
                f"categorical_features {idx.tolist()} are not columns of X "
                f"({n_features} columns); pass indices in 0..{n_features - 1}."
            )
        return idx

    def fit(self, X, y, sample_weight=None):
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=np.float64, ensure_all_finite="allow-nan")
        check_classification_targets(y)
        self.classes_, y_codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs rows of at least 2 classes; y has only "
                f"one class ({self.classes_[0]!r})."
            )
        if sample_weight is not None:
            # one weight per row, non-negative and not all zero
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        self.categorical_idx_ = self._categorical_idx(X.shape[1])
        self.categories_ = {
            int(j): np.unique(X[~np.isnan(X[:, j]), j]) for j in self.categorical_idx_
        }
        self.model_ = self._make_model(len(self.classes_), y_codes)
        weights = self._sample_weight(y_codes, sample_weight)
        self._fit_model(self._frame(X), y_codes, weights)
        self.outcome_ = {
            "imbalance": self.imbalance,
            "categorical": "native" if self.categorical_idx_.size else "none",
        }
        return self

    def _sample_weight(self, y_codes: np.ndarray, sample_weight) -> np.ndarray | None:
        return None if sample_weight is None else np.asarray(sample_weight, dtype=float)

    def _frame(self, X: np.ndarray):
        """X as the library takes it; category codes as integer (or category) columns."""
        if not self.categorical_idx_.size:
            return X
        frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
        for j in self.categorical_idx_:
            frame[f"f{j}"] = self._category_column(X[:, j], self.categories_[int(j)])
        return frame

    def _category_column(self, values: np.ndarray, categories: np.ndarray) -> pd.Series:
        """Codes as a pandas category column over the training categories (unseen: missing)."""
        column = pd.Categorical(np.rint(values), categories=np.rint(categories))
        return pd.Series(column.rename_categories(np.rint(categories).astype(np.int64)))

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan", reset=False)
        return np.asarray(self.model_.predict_proba(self._frame(X)), dtype=float)

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)  # checks the fit before classes_ is read
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class XGBoostClassifier(GradientBoostingBase):
    """XGBoost (``xgboost.XGBClassifier``, histogram trees) with genover's imbalance option."""

    def _make_model(self, n_classes: int, y_codes: np.ndarray):
        from xgboost import XGBClassifier

        settings = dict(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            max_depth=self.max_depth,
            tree_method="hist",
            n_jobs=job_threads(self.n_jobs),
            random_state=_library_seed(self.random_state),
            enable_categorical=bool(self.categorical_idx_.size),
            verbosity=0,
        )
        if n_classes == 2 and self.imbalance == "balanced":
            positives = max(1, int(np.sum(y_codes == 1)))
            settings["scale_pos_weight"] = float(np.sum(y_codes == 0)) / positives
        self.scale_pos_weight_ = settings.get("scale_pos_weight", 1.0)
        return XGBClassifier(**{**settings, **(self.params or {})})

    def _sample_weight(self, y_codes, sample_weight):
        weights = super()._sample_weight(y_codes, sample_weight)
        if len(self.classes_) > 2 and self.imbalance == "balanced":
            weights = balanced_weights(y_codes, weights)
        return weights

    def _fit_model(self, X, y_codes, weights) -> None:
        self.model_.fit(X, y_codes, sample_weight=weights)


class LightGBMClassifier(GradientBoostingBase):
    """LightGBM (``lightgbm.LGBMClassifier``) with genover's imbalance option."""

    def _make_model(self, n_classes: int, y_codes: np.ndarray):
        from lightgbm import LGBMClassifier

        settings = dict(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            max_depth=-1 if self.max_depth is None else self.max_depth,
            num_leaves=31 if self.max_depth is None else min(31, 2**self.max_depth),
            class_weight="balanced" if self.imbalance == "balanced" else None,
            n_jobs=job_threads(self.n_jobs),
            random_state=_library_seed(self.random_state),
            min_child_samples=5,
            verbose=-1,
        )
        return LGBMClassifier(**{**settings, **(self.params or {})})

    def _fit_model(self, X, y_codes, weights) -> None:
        categorical = [f"f{j}" for j in self.categorical_idx_] or "auto"
        self.model_.fit(X, y_codes, sample_weight=weights, categorical_feature=categorical)


class CatBoostClassifier(GradientBoostingBase):
    """CatBoost (``catboost.CatBoostClassifier``) with genover's imbalance option."""

    def _make_model(self, n_classes: int, y_codes: np.ndarray):
        from catboost import CatBoostClassifier as CatBoost

        settings = dict(
            iterations=self.n_estimators,
            learning_rate=self.learning_rate,
            depth=self.max_depth or 6,
            loss_function="Logloss" if n_classes == 2 else "MultiClass",
            auto_class_weights="Balanced" if self.imbalance == "balanced" else None,
            thread_count=job_threads(self.n_jobs),
            random_seed=_library_seed(self.random_state),
            verbose=False,
            allow_writing_files=False,
        )
        return CatBoost(**{**settings, **(self.params or {})})

    def _category_column(self, values, categories) -> pd.Series:
        # CatBoost takes categories as integers or strings, never floats or NaN.
        codes = np.where(np.isnan(values), -1, np.rint(values)).astype(np.int64)
        return pd.Series(codes)

    def _fit_model(self, X, y_codes, weights) -> None:
        cat = [f"f{j}" for j in self.categorical_idx_] or None
        self.model_.fit(X, y_codes, sample_weight=weights, cat_features=cat)
