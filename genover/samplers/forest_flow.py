"""ForestFlow (Jolicoeur-Martineau et al., AISTATS 2024) behind imbalanced-learn's API.

The ``ForestDiffusion`` package learns the flow-matching (or diffusion) velocity at ``n_t``
noise levels with gradient-boosted trees. Here one such model is fitted per over-sampled
class, on that class's training rows only (the package's ``label_y`` mode also fits one
model per label, on every class). Categorical columns go through genover's codec: one-hot
blocks the trees move as numbers, read back as the most likely category the class has.
"""

from __future__ import annotations

import contextlib
import logging
import time
from numbers import Integral, Real

import numpy as np
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from genover.data.codec import TableCodec
from genover.models.encoding import ModelEncoder
from genover.samplers.checks import append_rows, check_dense_X_y, reject_non_finite

log = logging.getLogger(__name__)


class ForestFlowSampler(BaseOverSampler):
    """Over-sampling with ForestFlow / ForestDiffusion: per-class gradient-boosted flows.

    Parameters
    ----------
    sampling_strategy, random_state: as in imbalanced-learn; the same seed gives the same rows.
    categorical_features, integer_features: as for genover's generators (categories are
        generated as categories of the class; integer columns are rounded).
    n_t: noise levels, one XGBoost model per level (the package's ``n_t``; its default 50).
    duplicate_K: noise draws per real row in the training set (``duplicate_K``; its default
        100). The defaults here (10 levels, 20 draws, 20 trees) keep a fit on a KEEL training
        fold within about 10 s on one thread; the package's own took minutes.
    diffusion_type: "flow" (flow matching, ForestFlow) or "vp" (diffusion, ForestDiffusion).
    n_estimators, max_depth, eta: the size and learning rate of each level's XGBoost model
        (the package's defaults: 100 trees, depth 7, eta 0.3).
    n_threads: XGBoost threads per model. Left to XGBoost (every core), a fit on two busy
        cores slowed a hundredfold in measurement; give each job its share.
    """

    _sampling_type = "over-sampling"
    #: It encodes its input itself (categories as codes), as genover's generators do.
    encodes_input = True

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "random_state": ["random_state"],
        "categorical_features": [None, "array-like", StrOptions({"auto"})],
        "integer_features": [None, "array-like", StrOptions({"auto"})],
        "n_t": [Interval(Integral, 2, None, closed="left")],
        "duplicate_K": [Interval(Integral, 1, None, closed="left")],
        "diffusion_type": [StrOptions({"flow", "vp"})],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "max_depth": [Interval(Integral, 1, None, closed="left")],
        "eta": [Interval(Real, 0, None, closed="neither")],
        "n_threads": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        random_state=None,
        categorical_features=None,
        integer_features="auto",
        n_t=10,
        duplicate_K=20,
        diffusion_type="flow",
        n_estimators=20,
        max_depth=7,
        eta=0.3,
        n_threads=1,
    ):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.categorical_features = categorical_features
        self.integer_features = integer_features
        self.n_t = n_t
        self.duplicate_K = duplicate_K
        self.diffusion_type = diffusion_type
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.eta = eta
        self.n_threads = n_threads

    def _check_X_y(self, X, y):
        return check_dense_X_y(self, X, y)

    def _fit_resample(self, X, y):
        start = time.perf_counter()
        rng = check_random_state(self.random_state)
        codec = TableCodec().fit(X, self.categorical_features, self.integer_features)
        codes = codec.encode(X)
        reject_non_finite(codes, codec)
        n_categories = [len(codec.categories[j]) for j in codec.categorical]
        encoder = ModelEncoder("standard").fit(
            codes, codec.categorical, n_categories, codec.integer
        )
        x = encoder.transform(codes)
        parts, labels = [], []
        for label, n in self.sampling_strategy_.items():
            if n > 0:
                seed = int(rng.randint(np.iinfo(np.int32).max))
                rows = self._class_rows(x[y == label], int(n), encoder.layout.cat_sizes, seed)
                parts.append(encoder.inverse_transform(rows))
                labels.append(np.full(int(n), label, dtype=y.dtype))
        new_X = codec.decode(np.vstack(parts) if parts else np.empty((0, codes.shape[1])))
        new_y = np.concatenate(labels) if labels else y[:0]
        self.fit_seconds_ = time.perf_counter() - start
        self.outcome_ = self._outcome(new_y)
        return append_rows(X, new_X), np.concatenate([y, new_y])

    def _class_rows(self, x: np.ndarray, n: int, cat_sizes, seed: int) -> np.ndarray:
        """``n`` encoded rows from a ForestFlow fitted on one class's encoded rows ``x``."""
        from ForestDiffusion.diffusion_with_trees_class import ForestDiffusionModel

        # The package breaks on a single column (its per-level predictions come back 1-D):
        # that column is learned twice and the first copy kept.
        single = x.shape[1] == 1
        with _numpy_global_seed(seed):  # the package draws its noise from numpy's global state
            model = ForestDiffusionModel(
                np.hstack([x, x]).astype(np.float64) if single else x.astype(np.float64),
                n_t=self.n_t,
                duplicate_K=self.duplicate_K,
                diffusion_type=self.diffusion_type,
                n_estimators=self.n_estimators,
                max_depth=self.max_depth,
                eta=self.eta,
                n_jobs=1,  # (level) fits one after another, each on n_threads threads
                seed=seed,
                nthread=self.n_threads,
            )
            rows = np.asarray(model.generate(batch_size=n), dtype=np.float64)
        if single:
            rows = rows[:, :1]
        return _only_seen_categories(rows, x, cat_sizes)

    def _outcome(self, new_y: np.ndarray) -> dict:
        out: dict = {"requested_rows": int(sum(self.sampling_strategy_.values()))}
        for label in self.sampling_strategy_:
            out[f"synthetic_rows[{label}]"] = int(np.sum(new_y == label))
        out["generator"] = "forest_flow"  # what reports read to count it among the generators
        out["models"] = "per_class"
        out["fit_seconds"] = round(self.fit_seconds_, 3)
        return out


def _only_seen_categories(rows: np.ndarray, x: np.ndarray, cat_sizes) -> np.ndarray:
    """``rows`` with the one-hot columns of categories the class's rows ``x`` never hold set
    to -1, so that the argmax decoding picks one of the class's own categories."""
    start = x.shape[1] - sum(cat_sizes)
    unseen = np.zeros(x.shape[1], dtype=bool)
    unseen[start:] = x[:, start:].max(axis=0) <= 0
    rows = rows.copy()
    rows[:, unseen] = -1.0
    return rows


@contextlib.contextmanager
def _numpy_global_seed(seed: int):
    """Seed numpy's global random state for the block, then restore the caller's."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)
