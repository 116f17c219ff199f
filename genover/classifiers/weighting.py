"""genover's ``imbalance`` option (``none`` | ``balanced``): a classifier's own class weighting.

One option for every classifier that has one: the gradient boosters map it to their library's
option (``genover.classifiers.boosting``), and scikit-learn's logistic regression, random
forest and histogram gradient boosting get it here, as subclasses of the sklearn class with
one more parameter, ``imbalance``. ``"balanced"`` fits with the estimator's own
``class_weight="balanced"`` (balanced sample weights where a version has no ``class_weight``);
sample weights given to ``fit`` (e.g. ``synthetic_weight``) multiply with it.
"""

from __future__ import annotations

import inspect

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier as _HGB
from sklearn.ensemble import RandomForestClassifier as _RandomForest
from sklearn.linear_model import LogisticRegression as _LogisticRegression
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_sample_weight

IMBALANCE = ("none", "balanced")


def check_imbalance(value: str) -> None:
    """Reject an ``imbalance`` value other than none or balanced, naming the fix."""
    if value not in IMBALANCE:
        raise ValueError(
            f"imbalance={value!r}: use imbalance=none (the rows as they are) or "
            "imbalance=balanced (the classifier's own class weighting)."
        )


def balanced_weights(y, sample_weight=None) -> np.ndarray:
    """sklearn's balanced sample weights (n / (classes * count of the row's class)), times
    ``sample_weight`` where given: the two weightings multiply."""
    weights = compute_sample_weight("balanced", np.asarray(y))
    return weights if sample_weight is None else weights * np.asarray(sample_weight, dtype=float)


class ClassWeighting:
    """The ``imbalance`` option of a scikit-learn classifier subclass (see the module)."""

    imbalance: str

    def fit(self, X, y, sample_weight=None, **params):
        """Fit with the class weighting that ``imbalance`` names (recorded in ``outcome_``)."""
        check_imbalance(self.imbalance)
        self.outcome_ = {"imbalance": self.imbalance}
        fit = super().fit  # type: ignore[misc]
        if self.imbalance == "none":
            return fit(X, y, sample_weight=sample_weight, **params)
        if not hasattr(self, "class_weight"):
            return fit(X, y, sample_weight=balanced_weights(y, sample_weight), **params)
        if self.class_weight is not None:
            raise ValueError(
                f"imbalance=balanced and class_weight={self.class_weight!r} both weight the "
                "classes; keep one (imbalance=none to use class_weight)."
            )
        self.class_weight = "balanced"  # the library's own option, for this fit only
        try:
            return fit(X, y, sample_weight=sample_weight, **params)
        finally:
            self.class_weight = None


def with_imbalance(base: type) -> type:
    """``base`` (a scikit-learn classifier) with the keyword parameter ``imbalance="none"``
    after its own, so that ``get_params``, ``clone`` and Hydra's ``_target_`` all see it."""
    signature = inspect.signature(base.__init__)
    extra = inspect.Parameter("imbalance", inspect.Parameter.KEYWORD_ONLY, default="none")

    def __init__(self, *args, imbalance: str = "none", **params):
        base.__init__(self, *args, **params)
        self.imbalance = imbalance

    __init__.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), extra]
    )
    doc = f"scikit-learn's ``{base.__name__}`` with genover's ``imbalance`` option."
    constraints = {
        **getattr(base, "_parameter_constraints", {}),
        "imbalance": [StrOptions({"none", "balanced"})],
    }
    namespace = {
        "__init__": __init__,
        "__doc__": doc,
        "__module__": __name__,
        "_parameter_constraints": constraints,
    }
    return type(base.__name__, (ClassWeighting, base), namespace)


LogisticRegression = with_imbalance(_LogisticRegression)
RandomForestClassifier = with_imbalance(_RandomForest)
HistGradientBoostingClassifier = with_imbalance(_HGB)
