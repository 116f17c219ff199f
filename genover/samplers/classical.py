"""imbalanced-learn's SMOTE family, made safe for tiny minority classes.

Each class is the imbalanced-learn sampler itself (same parameters, same results) with one
change: when a class to resample has too few rows for the configured neighbourhood (a
KEEL training fold can hold 3 minority rows while ``k_neighbors=5``), the neighbourhood is
shrunk to fit and a warning is logged, instead of raising mid-sweep. A class with a single
row cannot be interpolated and gets a clear ``ValueError``. After ``fit_resample``,
``outcome_`` records the neighbourhood used and whether it was shrunk (and, for ADASYN,
whether it fell back to uniform weights), so each fold's choice shows in ``folds.csv``.
"""

from __future__ import annotations

import logging

import numpy as np
from imblearn import over_sampling

log = logging.getLogger(__name__)


class _NeighbourhoodFitsClass:
    """Mixin: cap the neighbour estimators named in ``_neighbour_attrs`` to the class size."""

    _neighbour_attrs: tuple[str, ...] = ("nn_k_",)
    _k_param = "k_neighbors"

    def _fit_resample(self, X, y):
        self._set_neighbour_cap(y)
        resampled = super()._fit_resample(X, y)
        self.outcome_ = self._outcome()
        return resampled

    def _outcome(self) -> dict:
        used = getattr(self, self._neighbour_attrs[0]).n_neighbors - 1
        return {self._k_param: int(used), f"{self._k_param}_shrunk": self._shrunk}

    def _set_neighbour_cap(self, y) -> None:
        """Record the most neighbours the smallest class to resample allows (its rows - 1)."""
        targets = [c for c, n in self.sampling_strategy_.items() if n > 0]
        counts = {c: int(np.sum(y == c)) for c in targets}
        self._neighbour_cap = min(counts.values(), default=2) - 1
        self._shrunk = False
        if self._neighbour_cap < 1:
            smallest = np.asarray(min(counts, key=counts.get)).item()  # 9, not np.int64(9)
            raise ValueError(
                f"{type(self).__name__} cannot interpolate class {smallest!r}: it has a single "
                "row in this training set. Add rows, use fewer folds, or use "
                "sampler=random_over for such classes."
            )

    def _validate_estimator(self):
        super()._validate_estimator()
        cap = getattr(self, "_neighbour_cap", None)
        for attr in self._neighbour_attrs:
            nn = getattr(self, attr, None)
            if cap is None or nn is None or nn.n_neighbors - 1 <= cap:
                continue
            requested = nn.n_neighbors - 1
            nn.set_params(n_neighbors=cap + 1)
            if self._shrunk:  # ADASYN builds its estimator twice in one fit: warn once
                continue
            self._shrunk = True
            log.warning(
                "%s: the smallest class to resample has %d rows, fewer than %d neighbours + 1; "
                "using %d neighbours for this fit.",
                type(self).__name__,
                cap + 1,
                requested,
                cap,
            )


class SMOTE(_NeighbourhoodFitsClass, over_sampling.SMOTE):
    """SMOTE (Chawla et al. 2002) from imbalanced-learn, neighbourhood capped to class size."""


class SMOTENC(_NeighbourhoodFitsClass, over_sampling.SMOTENC):
    """SMOTE-NC for mixed numeric and categorical columns, neighbourhood capped.

    ``categorical_features`` may also be a numpy array of indices or a boolean mask, which
    imbalanced-learn compares with ``"auto"`` and rejects when it holds two or more entries.
    """

    def _validate_column_types(self, X):
        features = self.categorical_features
        if isinstance(features, np.ndarray):  # imblearn tests `features == "auto"`
            self.categorical_features = features.tolist()
        try:
            super()._validate_column_types(X)
        finally:
            self.categorical_features = features
        n_categorical = self.categorical_features_.size
        if n_categorical in (0, self.n_features_):
            kind = "numeric" if n_categorical == 0 else "categorical"
            fix = "sampler=smote" if n_categorical == 0 else "sampler=random_over or sampler=cvae"
            raise ValueError(
                f"SMOTE-NC needs both numeric and categorical columns, and every column here is "
                f"{kind}; use {fix}."
            )


class ADASYN(_NeighbourhoodFitsClass, over_sampling.ADASYN):
    """ADASYN (He et al. 2008) from imbalanced-learn, neighbourhood capped to class size.

    ADASYN weights each row of a class to resample by the share of other-class rows among its
    neighbours. When no row of such a class has an other-class neighbour those weights are
    undefined (imblearn raises); the weights are then uniform, which is SMOTE with the same
    targets, and a warning says so.
    """

    _neighbour_attrs = ("nn_",)
    _k_param = "n_neighbors"

    def _fit_resample(self, X, y):
        self._set_neighbour_cap(y)
        self._validate_estimator()
        isolated = self._classes_without_other_neighbours(X, y)
        self.outcome_ = {**self._outcome(), "uniform_weights": bool(isolated)}
        if not isolated:  # imblearn's own ADASYN, with the neighbourhood cap already set
            return over_sampling.ADASYN._fit_resample(self, X, y)
        log.warning(
            "ADASYN: no row of class(es) %s has a neighbour of another class among its %d "
            "nearest; using uniform weights (SMOTE with the same targets).",
            ", ".join(map(str, isolated)),
            self.nn_.n_neighbors - 1,
        )
        targets = {c: int(np.sum(y == c)) + n for c, n in self.sampling_strategy_.items()}
        fallback = SMOTE(
            sampling_strategy=targets, k_neighbors=self.n_neighbors, random_state=self.random_state
        )
        return fallback.fit_resample(X, y)

    def _classes_without_other_neighbours(self, X, y) -> list:
        """Classes to resample whose ADASYN weights (``ratio_nn`` in imblearn) are all zero:
        neighbours found as imblearn finds them, with the capped neighbourhood ``nn_``."""
        self.nn_.fit(X)
        isolated = []
        for label, n_new in self.sampling_strategy_.items():
            if n_new == 0:
                continue
            rows = X[np.flatnonzero(y == label)]
            nns = self.nn_.kneighbors(rows, return_distance=False)[:, 1:]
            if not np.any(y[nns] != label):
                isolated.append(label)
        return isolated


class BorderlineSMOTE(_NeighbourhoodFitsClass, over_sampling.BorderlineSMOTE):
    """Borderline-SMOTE 1 and 2 (``kind``) from imbalanced-learn, neighbourhood capped."""
