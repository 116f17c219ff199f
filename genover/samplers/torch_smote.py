"""SMOTE, Borderline-SMOTE and ADASYN in torch, on any device (``device="auto"``: CUDA if any).

Same neighbourhoods, same rules and the same number of rows per class as imbalanced-learn's
samplers (:mod:`genover.samplers.classical` keeps those as the reference); the random draws
differ. Exact k-nearest neighbours come from blocked matrix products and ``topk``: one block
of the distance matrix holds at most ``chunk_size`` entries, so memory stays bounded on
tables with millions of rows. Neighbourhoods are capped to tiny classes with a warning, as in
:mod:`genover.samplers.classical`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import pandas as pd
import torch
from imblearn.over_sampling.base import BaseOverSampler
from scipy import sparse
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

log = logging.getLogger(__name__)
_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_SUB = 256  # points per run ranked together when merging a distance block


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` is CUDA when available, else the CPU; anything else is passed to torch."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def nearest_neighbours(
    queries: torch.Tensor,
    points: torch.Tensor,
    k: int,
    chunk_size: int = 2**22,
    exclude: torch.Tensor | None = None,
) -> torch.Tensor:
    """Indices ``(len(queries), k)`` of each query's k nearest ``points``, nearest first.

    Exact Euclidean neighbours. ``exclude[i]`` is the position of query i among ``points``
    (a row is not its own neighbour). The blocks of the distance matrix in memory at once
    hold at most ``chunk_size`` entries; on the CPU, torch's threads scan blocks in
    parallel. Only the parts of a block holding a point closer than a query's current k-th
    neighbour reach ``topk``, so the cost is the blocks' matrix products.
    """
    if k > len(points) - (exclude is not None):
        raise ValueError(f"{k} neighbours asked from {len(points)} rows.")
    width = k + (exclude is not None)  # a query among the points finds itself first
    centre = points.mean(dim=0)
    # ||p||^2 - 2 q.p orders points as ||q - p||^2 does: one product per block, augmented.
    lhs = torch.cat([-2 * (queries - centre), queries.new_ones(len(queries), 1)], dim=1)
    best = queries.new_full((len(queries), width), math.inf)
    best_idx = torch.zeros((len(queries), width), dtype=torch.long, device=queries.device)
    with _ieee_matmul(), _block_workers(queries.device) as workers:
        chunk = max(chunk_size // workers, 1)  # the workers' blocks share chunk_size
        spans = workers * -(-len(queries) // (workers * max(math.isqrt(chunk), 1)))
        q_block = -(-len(queries) // spans)  # an equal share of query blocks per worker
        p_block = max(chunk // q_block, 1)
        sub = min(_SUB, p_block)
        p_block -= p_block % sub

        def scan(rows: slice) -> None:  # every block of points for one block of queries
            for start in range(0, len(points), p_block):
                block = points[start : start + p_block] - centre
                rhs = torch.cat([block, block.pow(2).sum(dim=1, keepdim=True)], dim=1).T
                _merge(lhs[rows] @ rhs, best[rows], best_idx[rows], start, sub)

        blocks = [slice(q, q + q_block) for q in range(0, len(queries), q_block)]
        if workers == 1:
            for rows in blocks:
                scan(rows)
        else:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(scan, blocks))
    return best_idx if exclude is None else _drop_self(best_idx, exclude)


def _drop_self(found: torch.Tensor, exclude: torch.Tensor) -> torch.Tensor:
    """Each row without its own index (or, where exact duplicates pushed it out, the last)."""
    keep = found != exclude[:, None]
    keep[keep.all(dim=1), -1] = False
    return found[keep].view(len(found), -1)


@contextlib.contextmanager
def _block_workers(device: torch.device):
    """Workers for the query blocks: on the CPU, torch's threads become threads over blocks.

    Each block then runs single-threaded ops, so no operation waits at a thread barrier,
    which stalls whenever another process holds a core (a sweep of several jobs).
    """
    threads = torch.get_num_threads() if device.type == "cpu" else 1
    if threads > 1:
        torch.set_num_threads(1)
    try:
        yield threads
    finally:
        if threads > 1:
            torch.set_num_threads(threads)


@contextlib.contextmanager
def _ieee_matmul():
    """Full float32 products even where TF32 is switched on (it would reorder neighbours)."""
    previous = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("highest")
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(previous)


def _merge(scores, best, best_idx, start: int, sub: int) -> None:
    """Fold one block of scores into the running top-k (``best``, ``best_idx``), in place.

    The block is cut into runs of ``sub`` points. Only runs whose minimum beats a query's
    current k-th score are searched, and only their entries below it are merged, so after
    the first blocks little more than one pass over the block is spent. A block that many
    runs would enter (the first one) is ranked whole instead.
    """
    n, k = best.shape
    pad = -scores.shape[1] % sub
    padded = torch.nn.functional.pad(scores, (0, pad), value=math.inf) if pad else scores
    n_runs = padded.shape[1] // sub
    runs = padded.view(n * n_runs, sub)
    kth = best[:, -1]
    hit = torch.nonzero((runs.amin(dim=1).view(n, n_runs) < kth[:, None]).view(-1)).squeeze(1)
    if len(hit) == 0:
        return
    if len(hit) * 8 > n * n_runs:
        values, pos = scores.topk(min(k, scores.shape[1]), dim=1, largest=False)
        _fold(best, best_idx, torch.arange(n, device=best.device), values, pos + start)
        return
    row = torch.div(hit, n_runs, rounding_mode="floor")
    found = runs.index_select(0, hit)
    at, col = torch.nonzero(found < kth[row][:, None], as_tuple=True)
    owner = row[at]
    rank = torch.arange(len(at), device=at.device) - torch.searchsorted(owner, owner)
    touched, owner_pos = torch.unique_consecutive(owner, return_inverse=True)
    width = int(rank.max()) + 1
    values = scores.new_full((len(touched), width), math.inf)
    index = best_idx.new_zeros((len(touched), width))
    values[owner_pos, rank] = found[at, col]
    index[owner_pos, rank] = start + (hit[at] % n_runs) * sub + col
    _fold(best, best_idx, touched, values, index)


def _fold(best, best_idx, rows, values, index) -> None:
    """Merge candidate ``values`` (and point ``index``) into the top-k of ``rows``."""
    merged = torch.cat([best[rows], values], dim=1)
    merged_idx = torch.cat([best_idx[rows], index], dim=1)
    top, at = merged.topk(best.shape[1], dim=1, largest=False)
    best[rows] = top
    best_idx[rows] = merged_idx.gather(1, at)


@dataclass
class _Fit:
    """What one fit works on: every row and its class code on the device, and the RNG."""

    x: torch.Tensor
    y: torch.Tensor
    generator: torch.Generator


class TorchOverSampler(BaseOverSampler):
    """Shared plumbing: input checks, device and RNG, k capping and chunked interpolation.

    Subclasses implement :meth:`_plan`, which returns, for one class, the base rows, the
    rows they interpolate towards and the step of each new row.
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "device": [str, torch.device],
        "dtype": [StrOptions(set(_DTYPES))],
        "chunk_size": [Interval(Integral, 1, None, closed="left")],
    }
    _k_param = "k_neighbors"

    def __init__(self, *, sampling_strategy, random_state, device, dtype, chunk_size):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.device = device
        self.dtype = dtype
        self.chunk_size = chunk_size

    def fit_resample(self, X, y, **params):
        """imblearn's ``fit_resample``, after rejecting categorical and text columns by name
        (these samplers interpolate numbers)."""
        if isinstance(X, pd.DataFrame):
            numeric = [
                pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t)
                for t in X.dtypes
            ]
            named = [str(c) for c, ok in zip(X.columns, numeric, strict=True) if not ok]
            if named:
                raise ValueError(
                    f"{type(self).__name__} interpolates numbers, and columns {named} are "
                    "categorical or text. One-hot encode them first, or use SMOTENC or a "
                    "generator (CVAESampler) for mixed data."
                )
        return super().fit_resample(X, y, **params)

    def _check_range(self, X) -> None:
        """Squared distances of rows this large would overflow ``dtype``: say so."""
        values = X.data if sparse.issparse(X) else X
        largest = float(np.abs(values).max()) if values.size else 0.0
        limit = math.sqrt(torch.finfo(_DTYPES[self.dtype]).max / (4 * max(1, X.shape[1])))
        if largest > limit:
            advice = "rescale the features (e.g. StandardScaler)"
            if self.dtype == "float32":
                advice = f"pass dtype='float64' or {advice}"
            raise ValueError(
                f"{type(self).__name__}: X holds values as large as {largest:.3g}, whose squared "
                f"distances overflow dtype={self.dtype!r} (rows up to about {limit:.3g} work "
                f"with {X.shape[1]} features); {advice}."
            )

    def _fit_resample(self, X, y):
        start = time.perf_counter()
        self._check_range(X)
        self.device_ = resolve_device(self.device)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        targets = {c: int(n) for c, n in self.sampling_strategy_.items() if n > 0}
        self.k_neighbors_ = self._capped_k(y, targets)
        self.classes_ = np.unique(y)
        codes = np.searchsorted(self.classes_, y)  # faster than unique's inverse on big y
        dense = X.toarray() if sparse.issparse(X) else X
        fit = _Fit(
            # np.require copies a read-only input (torch warns on sharing one)
            x=torch.as_tensor(
                np.require(dense, requirements="W"), dtype=_DTYPES[self.dtype], device=self.device_
            ),
            y=torch.as_tensor(np.require(codes, requirements="W"), device=self.device_),
            generator=torch.Generator(device=self.device_).manual_seed(seed),
        )
        plans = {
            label: self._plan(fit, int(np.searchsorted(self.classes_, label)), n)
            for label, n in targets.items()
        }
        del fit
        self.n_generated_ = {label: len(plan[2]) for label, plan in plans.items()}
        new_y = [np.full(n, label, dtype=y.dtype) for label, n in self.n_generated_.items()]
        y_out = np.concatenate([y, *new_y])
        if sparse.issparse(X):
            new_x = np.empty((len(y_out) - len(y), X.shape[1]), dtype=X.dtype)
            self._interpolate(new_x, plans.values())
            X_out = sparse.vstack([X, sparse.csr_matrix(new_x)], format=X.format)
        else:  # new rows are written straight into the output: no second copy of the table
            X_out = np.empty((len(y_out), X.shape[1]), dtype=X.dtype)
            X_out[: len(X)] = X
            self._interpolate(X_out[len(X) :], plans.values())
        self.fit_seconds_ = time.perf_counter() - start
        self.outcome_ = self._outcome()
        return X_out, y_out

    def _plan(self, fit: _Fit, code: int, n_samples: int):
        """(base rows, rows to move towards, steps, base index, towards index) for a class."""
        raise NotImplementedError

    def _outcome(self) -> dict:
        out = {
            "requested_rows": int(sum(self.sampling_strategy_.values())),
            "generated_rows": int(sum(self.n_generated_.values())),
            self._k_param: int(self.k_neighbors_),
            f"{self._k_param}_shrunk": bool(self.k_neighbors_ < getattr(self, self._k_param)),
            "device": str(self.device_),
            "fit_seconds": round(self.fit_seconds_, 3),
        }
        return out

    def _capped_k(self, y: np.ndarray, targets: dict) -> int:
        """The neighbourhood size, shrunk to the smallest class to resample (warning)."""
        counts = {c: int(np.sum(y == c)) for c in targets}
        k = int(getattr(self, self._k_param))
        cap = min(counts.values(), default=k + 1) - 1
        if cap < 1:
            smallest = min(counts, key=counts.get)
            raise ValueError(
                f"{type(self).__name__} cannot interpolate class {smallest!r}: it has a single "
                "row in this training set. Add rows, use fewer folds, or use "
                "sampler=random_over for such classes."
            )
        if k > cap:
            log.warning(
                "%s: the smallest class to resample has %d rows, fewer than %d neighbours + 1; "
                "using %d neighbours for this fit.",
                type(self).__name__,
                cap + 1,
                k,
                cap,
            )
        return min(k, cap)

    @staticmethod
    def _class_rows(fit: _Fit, code: int) -> torch.Tensor:
        return torch.nonzero(fit.y == code).squeeze(1)

    def _neighbours(self, queries, points, k, exclude):
        return nearest_neighbours(queries, points, k, self.chunk_size, exclude)

    @staticmethod
    def _uniform_draws(fit: _Fit, n_rows: int, n_cols: int, n_samples: int):
        """Rows, neighbour columns and steps drawn as SMOTE draws them (uniformly)."""
        g, device = fit.generator, fit.x.device
        rows = torch.randint(0, n_rows, (n_samples,), generator=g, device=device)
        cols = torch.randint(0, n_cols, (n_samples,), generator=g, device=device)
        steps = torch.rand(n_samples, generator=g, device=device, dtype=fit.x.dtype)
        return rows, cols, steps

    def _interpolate(self, out: np.ndarray, plans) -> None:
        """Write the new rows ``base + step * (towards - base)`` into ``out``, in chunks."""
        rows = max(self.chunk_size // max(out.shape[1], 1), 1)
        at = 0
        for base, towards, steps, base_idx, towards_idx in plans:
            for s in range(0, len(steps), rows):
                b = base[base_idx[s : s + rows]]
                t = towards[towards_idx[s : s + rows]]
                new = torch.lerp(b, t, steps[s : s + rows, None])
                out[at : at + len(new)] = new.cpu().numpy()
                at += len(new)


class TorchSMOTE(TorchOverSampler):
    """SMOTE (Chawla et al. 2002) in torch; imbalanced-learn's neighbourhoods and counts.

    Parameters
    ----------
    sampling_strategy, random_state: as in imbalanced-learn.
    k_neighbors: neighbours within the class to interpolate towards.
    device: ``"auto"`` (CUDA if available, else CPU) or any torch device.
    dtype: ``"float32"`` (default) or ``"float64"`` for the computation; outputs keep the
        input's dtype and live on the host as numpy.
    chunk_size: most entries of one distance block (float32: ``4 * chunk_size`` bytes, 16 MiB
        by default); generation works in chunks of the same size.
    """

    _parameter_constraints: dict = {
        **TorchOverSampler._parameter_constraints,
        "k_neighbors": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        random_state=None,
        k_neighbors=5,
        device="auto",
        dtype="float32",
        chunk_size=2**22,
    ):
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            device=device,
            dtype=dtype,
            chunk_size=chunk_size,
        )
        self.k_neighbors = k_neighbors

    def _plan(self, fit, code, n_samples):
        x_class = fit.x[self._class_rows(fit, code)]
        index = torch.arange(len(x_class), device=self.device_)
        nn = self._neighbours(x_class, x_class, self.k_neighbors_, index)
        rows, cols, steps = self._uniform_draws(fit, len(x_class), nn.shape[1], n_samples)
        return x_class, x_class, steps, rows, nn[rows, cols]


class TorchBorderlineSMOTE(TorchOverSampler):
    """Borderline-SMOTE 1 and 2 (Han et al. 2005) in torch, as imbalanced-learn does them.

    Rows of the class whose ``m_neighbors`` nearest rows (of the whole table) are at least
    half but not all of other classes are "in danger"; only they are interpolated.
    ``kind="borderline-1"`` interpolates towards the ``k_neighbors`` nearest rows of the same
    class; ``"borderline-2"`` towards the nearest rows of any class, with a step below 0.5
    towards rows of other classes. ``in_danger_indices_`` maps each class to its danger rows.
    Other parameters as in :class:`TorchSMOTE`.
    """

    _parameter_constraints: dict = {
        **TorchSMOTE._parameter_constraints,
        "m_neighbors": [Interval(Integral, 1, None, closed="left")],
        "kind": [StrOptions({"borderline-1", "borderline-2"})],
    }

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        random_state=None,
        k_neighbors=5,
        m_neighbors=10,
        kind="borderline-1",
        device="auto",
        dtype="float32",
        chunk_size=2**22,
    ):
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            device=device,
            dtype=dtype,
            chunk_size=chunk_size,
        )
        self.k_neighbors = k_neighbors
        self.m_neighbors = m_neighbors
        self.kind = kind

    def _fit_resample(self, X, y):
        self.m_neighbors_ = min(self.m_neighbors, len(y) - 1)
        if self.m_neighbors_ < self.m_neighbors:
            log.warning(
                "%s: %d rows cannot give %d neighbours; using m_neighbors=%d.",
                type(self).__name__,
                len(y),
                self.m_neighbors,
                self.m_neighbors_,
            )
        self.in_danger_indices_ = {}
        return super()._fit_resample(X, y)

    def _plan(self, fit, code, n_samples):
        members = self._class_rows(fit, code)
        m, k = self.m_neighbors_, self.k_neighbors_
        two = self.kind == "borderline-2"
        # Borderline-2's k nearest rows of any class are the first k of the m-neighbourhood.
        nn_all = self._neighbours(fit.x[members], fit.x, max(m, k) if two else m, members)
        n_other = (fit.y[nn_all[:, :m]] != code).sum(dim=1)
        danger = torch.nonzero((2 * n_other >= m) & (n_other < m)).squeeze(1)
        label = self.classes_[code]
        self.in_danger_indices_[label] = members[danger].cpu().numpy()
        if len(danger) == 0:
            log.info(
                "%s: no row of class %r is in danger; none generated.", type(self).__name__, label
            )
            empty = torch.zeros(0, dtype=torch.long, device=self.device_)
            return fit.x, fit.x, fit.x.new_zeros(0), empty, empty
        x_danger = fit.x[members[danger]]
        if two:
            towards, nn = fit.x, nn_all[danger, :k]
        else:
            towards = fit.x[members]
            nn = self._neighbours(x_danger, towards, k, danger)
        rows, cols, steps = self._uniform_draws(fit, len(danger), k, n_samples)
        picked = nn[rows, cols]
        if two:
            other = fit.y[picked] != code
            half = 0.5 * torch.rand(n_samples, generator=fit.generator, device=self.device_)
            steps = torch.where(other, steps * half.to(steps.dtype), steps)
        return x_danger, towards, steps, rows, picked

    def _outcome(self):
        out = super()._outcome()
        out["m_neighbors"] = int(self.m_neighbors_)
        out["danger_rows"] = int(sum(len(v) for v in self.in_danger_indices_.values()))
        return out


class TorchADASYN(TorchOverSampler):
    """ADASYN (He et al. 2008) in torch, with imbalanced-learn's per-row counts.

    Each row of the class gets ``rint(w_i * n)`` new rows, where ``w_i`` is the share of
    other classes among its ``n_neighbors`` nearest rows, normalised over the class; so the
    total can differ from the request by rounding, as in imbalanced-learn. When no row has a
    neighbour of another class the weights are undefined (imbalanced-learn raises): rows
    are then drawn uniformly, which is SMOTE with the exact requested count, and a warning
    says so. ``n_samples_per_row_`` maps each class to its per-row counts (None after that
    fallback); ``uniform_weights_`` lists the classes that fell back.
    Other parameters as in :class:`TorchSMOTE`.
    """

    _parameter_constraints: dict = {
        **TorchOverSampler._parameter_constraints,
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
    }
    _k_param = "n_neighbors"

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        random_state=None,
        n_neighbors=5,
        device="auto",
        dtype="float32",
        chunk_size=2**22,
    ):
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            device=device,
            dtype=dtype,
            chunk_size=chunk_size,
        )
        self.n_neighbors = n_neighbors

    def _fit_resample(self, X, y):
        self.n_samples_per_row_, self.uniform_weights_ = {}, []
        return super()._fit_resample(X, y)

    def _plan(self, fit, code, n_samples):
        members = self._class_rows(fit, code)
        k, label = self.k_neighbors_, self.classes_[code]
        x_class = fit.x[members]
        nn_all = self._neighbours(x_class, fit.x, k, members)
        n_other = (fit.y[nn_all] != code).sum(dim=1).cpu().numpy()
        nn = self._neighbours(x_class, x_class, k, torch.arange(len(members), device=self.device_))
        if not n_other.any():
            log.warning(
                "%s: no row of class %r has a neighbour of another class; using uniform "
                "weights (SMOTE).",
                type(self).__name__,
                label,
            )
            self.uniform_weights_.append(label)
            self.n_samples_per_row_[label] = None
            rows, cols, steps = self._uniform_draws(fit, len(members), k, n_samples)
            return x_class, x_class, steps, rows, nn[rows, cols]
        ratio = n_other / k  # imbalanced-learn's float64 arithmetic, for identical rounding
        ratio /= np.sum(ratio)
        per_row = np.rint(ratio * n_samples).astype(int)
        if not per_row.sum():
            raise ValueError("No samples will be generated with the provided ratio settings.")
        self.n_samples_per_row_[label] = per_row
        counts = torch.as_tensor(per_row, device=self.device_)
        rows = torch.repeat_interleave(torch.arange(len(members), device=self.device_), counts)
        _, cols, steps = self._uniform_draws(fit, 1, k, len(rows))
        return x_class, x_class, steps, rows, nn[rows, cols]

    def _outcome(self):
        out = super()._outcome()
        out["uniform_weights"] = bool(self.uniform_weights_)
        return out
