"""imbalanced-learn's SMOTE family, made safe for tiny minority classes.

Each class is the imbalanced-learn sampler itself (same parameters, same results) with one
change: when a class to resample has too few rows for the configured neighbourhood (a
KEEL training fold can hold 3 minority rows while ``k_neighbors=5``), the neighbourhood is
shrunk to fit and a warning is logged, instead of raising mid-sweep. A class with a single
row cannot be interpolated and gets a clear ``ValueError``.
"""

from __future__ import annotations

import logging

import numpy as np
from imblearn import over_sampling

log = logging.getLogger(__name__)


class _NeighbourhoodFitsClass:
    """Mixin: cap the neighbour estimators named in ``_neighbour_attrs`` to the class size."""

    _neighbour_attrs: tuple[str, ...] = ("nn_k_",)

    def _fit_resample(self, X, y):
        targets = [c for c, n in self.sampling_strategy_.items() if n > 0]
        counts = {c: int(np.sum(y == c)) for c in targets}
        self._neighbour_cap = min(counts.values(), default=2) - 1
        if self._neighbour_cap < 1:
            smallest = min(counts, key=counts.get)
            raise ValueError(
                f"{type(self).__name__} cannot interpolate class {smallest!r}: it has a single "
                "row in this training set. Add rows, use fewer folds, or use "
                "sampler=random_over for such classes."
            )
        return super()._fit_resample(X, y)

    def _validate_estimator(self):
        super()._validate_estimator()
        cap = getattr(self, "_neighbour_cap", None)
        for attr in self._neighbour_attrs:
            nn = getattr(self, attr, None)
            if cap is None or nn is None or nn.n_neighbors - 1 <= cap:
                continue
            log.warning(
                "%s: the smallest class to resample has %d rows, fewer than %d neighbours + 1; "
                "using %d neighbours for this fit.",
                type(self).__name__,
                cap + 1,
                nn.n_neighbors - 1,
                cap,
            )
            nn.set_params(n_neighbors=cap + 1)


class SMOTE(_NeighbourhoodFitsClass, over_sampling.SMOTE):
    """SMOTE (Chawla et al. 2002) from imbalanced-learn, neighbourhood capped to class size."""


class SMOTENC(_NeighbourhoodFitsClass, over_sampling.SMOTENC):
    """SMOTE-NC for mixed numeric and categorical columns, neighbourhood capped."""


class ADASYN(_NeighbourhoodFitsClass, over_sampling.ADASYN):
    """ADASYN (He et al. 2008) from imbalanced-learn, neighbourhood capped to class size.

    ADASYN weights each minority row by the share of majority rows among its neighbours.
    When no minority row has a majority neighbour those weights are undefined (imblearn
    raises); the weights are then uniform, which is SMOTE, and a warning says so.
    """

    _neighbour_attrs = ("nn_",)

    def _fit_resample(self, X, y):
        try:
            return super()._fit_resample(X, y)
        except RuntimeError as err:
            if "neigbours belong to the majority" not in str(err):
                raise
        log.warning("ADASYN: no minority row has a majority neighbour; using uniform weights.")
        targets = {c: int(np.sum(y == c)) + n for c, n in self.sampling_strategy_.items()}
        fallback = SMOTE(
            sampling_strategy=targets, k_neighbors=self.n_neighbors, random_state=self.random_state
        )
        return fallback.fit_resample(X, y)


class BorderlineSMOTE(_NeighbourhoodFitsClass, over_sampling.BorderlineSMOTE):
    """Borderline-SMOTE 1 and 2 (``kind``) from imbalanced-learn, neighbourhood capped."""
