"""The oversamplers of the ``smote-variants`` package (Kovács 2019) behind imbalanced-learn's API.

``SmoteVariants(name="ProWSyn")`` runs ``smote_variants.ProWSyn(...).sample(X, y)``, the
library's own code, and speaks ``fit_resample``/``sampling_strategy``/``random_state`` so it
works in an imblearn ``Pipeline`` and in genover's experiments (``sampler=sv
sampler.name=polynom_fit_SMOTE_star``). Kovács's comparison of 85 oversamplers on 104 KEEL
datasets ranks ``polynom_fit_SMOTE_star`` and ``ProWSyn`` first.

``smote-variants`` 1.0.1 declares TensorFlow, Keras and MKL as dependencies although its
oversamplers do not need them; genover installs it with ``--no-deps`` plus the light
packages it imports (the ``sv`` extra: metric-learn, minisom, seaborn). See docs/generators.md.
"""

from __future__ import annotations

import logging

import numpy as np
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.utils import check_random_state

log = logging.getLogger(__name__)
_INSTALL = (
    "install it without TensorFlow: pip install --no-deps smote-variants && "
    "pip install 'genover[sv]' (or run `make install`)"
)


def _library():
    try:
        import smote_variants
    except ImportError as err:
        raise ImportError(f"sampler=sv needs the smote-variants package: {_INSTALL}.") from err
    logging.getLogger("smote_variants").setLevel(logging.WARNING)
    return smote_variants


def oversampler_names() -> list[str]:
    """Names of every oversampler that ``smote-variants`` provides."""
    sv = _library()
    return sorted(cls.__name__ for cls in sv.get_all_oversamplers())


class SmoteVariants(BaseOverSampler):
    """One oversampler of ``smote-variants``, chosen by ``name``, for binary data.

    Parameters
    ----------
    name: the oversampler's class name in ``smote_variants`` (e.g. ``ProWSyn``,
        ``polynom_fit_SMOTE_star``); an unknown name is an error that lists close matches.
    sampling_strategy: as in imbalanced-learn; it is passed on as the library's
        ``proportion`` (the share of the majority-minority gap to fill).
    random_state: seeds the library's sampler.
    params: further keyword arguments of that oversampler (e.g. ``{"n_neighbors": 3}``).

    After ``fit_resample``, ``outcome_`` records the requested and the generated rows: some
    oversamplers (``polynom_fit_SMOTE_star``) do not produce exactly the requested count.
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "name": [str],
        "random_state": ["random_state"],
        "params": [dict, None],
    }

    def __init__(self, *, name="ProWSyn", sampling_strategy="auto", random_state=None, params=None):
        super().__init__(sampling_strategy=sampling_strategy)
        self.name = name
        self.random_state = random_state
        self.params = params

    def _oversampler_class(self):
        sv = _library()
        known = {cls.__name__: cls for cls in sv.get_all_oversamplers()}
        if self.name not in known:
            import difflib

            close = difflib.get_close_matches(self.name, list(known), n=5, cutoff=0.5)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise ValueError(
                f"smote-variants has no oversampler named {self.name!r}.{hint} "
                "genover.samplers.smote_variants.oversampler_names() lists all "
                f"{len(known)}."
            )
        return known[self.name]

    def _fit_resample(self, X, y):
        cls = self._oversampler_class()
        reserved = sorted({"proportion", "random_state"} & set(self.params or {}))
        if reserved:
            raise ValueError(
                f"params {reserved} are set by genover: use sampling_strategy and random_state "
                "instead."
            )
        targets = {c: n for c, n in self.sampling_strategy_.items() if n > 0}
        classes, counts = np.unique(y, return_counts=True)
        if len(classes) != 2:
            raise ValueError(
                f"sampler=sv ({self.name}) handles two classes; y has {len(classes)}. Use a "
                "genover sampler (e.g. sampler=smote or sampler=cvae) for multiclass data."
            )
        requested = int(sum(targets.values()))
        self.outcome_ = {"requested_rows": requested, "oversampler": self.name}
        if requested == 0:
            self.outcome_["synthetic_rows"] = 0
            return X, y
        gap = int(counts.max() - counts.min())
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        # The library floors gap * proportion; half a row more makes the floor the request.
        proportion = (requested + 0.5) / gap if requested < gap else 1.0
        sampler = cls(proportion=proportion, random_state=seed, **(self.params or {}))
        X_new, y_new = sampler.sample(np.asarray(X, dtype=float), np.asarray(y))
        n = len(y)
        if not (np.array_equal(y_new[:n], y) and np.allclose(X_new[:n], X)):
            raise RuntimeError(
                f"smote-variants' {self.name} did not return the input rows first; genover "
                "cannot tell its synthetic rows apart."
            )
        self.outcome_["synthetic_rows"] = int(len(y_new) - n)
        return X_new, y_new
