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
_SCREEN_BLOCK = 2**20  # entries of one bfloat16 screening block (2 MiB, a core's L2)
_SCREEN_POINTS = 2048  # points per screening block
_SCREEN_SAMPLE = 2**13  # points whose exact neighbours bound the first screening blocks
# A bfloat16 product of rounded inputs, accumulated in float32, is off by at most
# (2u + u^2 + gamma_K) sum|a_i b_i| with u = 2^-8; 2.1u bounds that for K < 64 (see _margin).
_BF16_SLACK = 2.1 * 2.0**-8


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
    screen: bool | None = None,
) -> torch.Tensor:
    """Indices ``(len(queries), k)`` of each query's k nearest ``points``, nearest first.

    Exact Euclidean neighbours. ``exclude[i]`` is the position of query i among ``points``
    (a row is not its own neighbour). The blocks of the distance matrix in memory at once
    hold at most ``chunk_size`` entries; on the CPU, torch's threads scan blocks in
    parallel. ``screen`` (default: float32 on a CPU with native bfloat16 products, and a
    large table) first scores every pair in bfloat16 with a proven error bound and
    computes exact float32 distances only for the pairs that bound cannot rule out: the
    same neighbours as the plain float32 search at about half the cost per pair.
    """
    if k > len(points) - (exclude is not None):
        raise ValueError(f"{k} neighbours asked from {len(points)} rows.")
    width = k + (exclude is not None)  # a query among the points finds itself first
    if screen is None:
        screen = _screening_pays(queries, points)
    with _ieee_matmul(), _block_workers(queries.device) as workers:
        if screen and len(points) > _SCREEN_SAMPLE >= width:  # the sample holds width rows
            found = _screened_search(queries, points, width, chunk_size, workers)
        else:
            found = _exact_search(queries, points, width, chunk_size, workers)[1]
    return found if exclude is None else _drop_self(found, exclude)


def _screening_pays(queries: torch.Tensor, points: torch.Tensor) -> bool:
    """bfloat16 screening: float32 work on a CPU with native bfloat16 products, big tables."""
    return (
        queries.device.type == "cpu"
        and queries.dtype == torch.float32
        and len(points) >= 16 * _SCREEN_SAMPLE
        and torch.backends.mkldnn.is_available()
        and torch.ops.mkldnn._is_mkldnn_bf16_supported()
    )


def _exact_search(queries, points, width: int, chunk_size: int, workers: int):
    """Running top-``width`` (scores, indices) of every query by blocked float products."""
    centre = points.mean(dim=0)
    # ||p||^2 - 2 q.p orders points as ||q - p||^2 does: one product per block, augmented.
    lhs = torch.cat([-2 * (queries - centre), queries.new_ones(len(queries), 1)], dim=1)
    best = queries.new_full((len(queries), width), math.inf)
    best_idx = torch.zeros((len(queries), width), dtype=torch.long, device=queries.device)
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

    _in_workers(scan, len(queries), q_block, workers)
    return best, best_idx


def _in_workers(scan, n_rows: int, rows_per_call: int, workers: int) -> None:
    """``scan`` over consecutive slices of rows, spread over ``workers`` threads."""
    blocks = [slice(q, q + rows_per_call) for q in range(0, n_rows, rows_per_call)]
    if workers == 1:
        for rows in blocks:
            scan(rows)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(scan, blocks))


def _screened_search(queries, points, width: int, chunk_size: int, workers: int):
    """Top-``width`` indices: bfloat16 screening blocks, exact float32 distances for the rest.

    A query's bound is the largest exact squared distance among ``width`` known points (a
    strided sample first, then its running top-k). A pair reaches the exact stage when its
    bfloat16 score, less the bound and the score's worst rounding error, is not positive;
    every pair closer than the bound does, so the result is the exact search's.
    """
    centre = points.mean(dim=0)
    sample = torch.arange(0, len(points), len(points) // _SCREEN_SAMPLE, device=points.device)
    near = sample[_exact_search(queries, points[sample], width, chunk_size, workers)[1]]
    bound = _squared_distances(queries[:, None, :], points[near]).amax(dim=1)
    best = queries.new_full((len(queries), width), math.inf)
    best_idx = torch.zeros((len(queries), width), dtype=torch.long, device=queries.device)
    lhs = _screen_lhs(queries - centre, bound)
    chunk = max(min(chunk_size // workers, _SCREEN_BLOCK), 1)
    p_block = min(_SCREEN_POINTS, chunk)
    q_block = max(chunk // p_block, 1)

    limit = max(chunk // points.shape[1], 1)  # pairs whose rows are gathered at once

    def scan(rows: slice) -> None:  # every block of points for one worker's queries
        mine, lhs_mine = queries[rows], lhs[rows]
        top_mine, top_idx_mine, bound_mine = best[rows], best_idx[rows], bound[rows]

        def fold(found: list) -> None:  # exact distances, tighter bounds
            qi, pj = (torch.cat(x) for x in zip(*found, strict=True))
            for at in range(0, len(qi), limit):
                part = slice(at, at + limit)
                touched = _fold_pairs(mine, points, qi[part], pj[part], top_mine, top_idx_mine)
                tight = torch.minimum(bound_mine[touched], top_mine[touched, -1])
                lhs_mine[touched] = _screen_lhs(mine[touched] - centre, tight)
            found.clear()

        for start in range(0, len(points), p_block):
            rhs = _screen_rhs(points[start : start + p_block] - centre)
            found, pending = [], 0
            for q in range(0, len(mine), q_block):
                pairs = _screen(lhs_mine[q : q + q_block] @ rhs, q, start)
                if pairs is not None:
                    found.append(pairs)
                    pending += len(pairs[0])
                if pending >= limit:  # at most one block's pairs more: memory stays bounded
                    fold(found)
                    pending = 0
            if found:
                fold(found)

    share = -(-len(queries) // workers)
    _in_workers(scan, len(queries), share, workers)
    return best_idx


def _squared_distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Exact float ``||a - b||^2`` over the last dimension (broadcast), no expansion."""
    return (a - b).pow(2).sum(dim=-1)


def _screen_lhs(centred: torch.Tensor, bound: torch.Tensor) -> torch.Tensor:
    """Query side of the screening product: ``[-2q, 1 - e, -(b' + e|b'|), -2e||q||]``.

    With the point side ``[p, ||p||^2, 1, ||p||]`` (both centred), the product is
    ``||q - p||^2 - ||q||^2 - b' - e (2||q|| ||p|| + ||p||^2 + |b'|)``: non-positive for
    every point within the bound ``b`` (as ``b'``, a score), whatever the rounding.
    """
    norm2 = centred.pow(2).sum(dim=1)
    score = bound - norm2
    score = score + 1e-5 * (bound.abs() + norm2) + 1e-30  # float32 error of bound and norm
    cols = [
        -2 * centred,
        (1 - _BF16_SLACK) * centred.new_ones(len(centred), 1),
        -(score + _BF16_SLACK * score.abs())[:, None],
        -2 * _BF16_SLACK * norm2.sqrt()[:, None],
    ]
    return torch.cat(cols, dim=1).to(torch.bfloat16)


def _screen_rhs(centred: torch.Tensor) -> torch.Tensor:
    """Point side of the screening product (see :func:`_screen_lhs`), bfloat16, K x points."""
    norm2 = centred.pow(2).sum(dim=1, keepdim=True)
    cols = [centred, norm2, torch.ones_like(norm2), norm2.sqrt()]
    return torch.cat(cols, dim=1).to(torch.bfloat16).T.contiguous()


def _screen(scores: torch.Tensor, q0: int, start: int):
    """(query, point) pairs of a bfloat16 block scoring <= 0, or None; one pass when none.

    A bfloat16 is <= 0 exactly when its bits, read as int16, are (sign bit or zero).
    """
    n, width = scores.shape
    sub = _SUB if width % _SUB == 0 else width
    runs = scores.view(torch.int16).view(n * (width // sub), sub)
    hit = torch.nonzero(runs.amin(dim=1) <= 0).squeeze(1)
    if len(hit) == 0:
        return None
    at, col = torch.nonzero(runs.index_select(0, hit) <= 0, as_tuple=True)
    run = hit[at]
    per_row = width // sub
    return q0 + torch.div(run, per_row, rounding_mode="floor"), start + (run % per_row) * sub + col


def _fold_pairs(queries, points, qi, pj, best, best_idx) -> torch.Tensor:
    """Exact distances of candidate pairs, folded into their queries' top-k; the queries."""
    order = torch.argsort(qi, stable=True)
    qi, pj = qi[order], pj[order]
    values = _squared_distances(queries[qi], points[pj])
    rank = torch.arange(len(qi), device=qi.device) - torch.searchsorted(qi, qi)
    touched, owner = torch.unique_consecutive(qi, return_inverse=True)
    width = int(rank.max()) + 1
    padded = values.new_full((len(touched), width), math.inf)
    index = best_idx.new_zeros((len(touched), width))
    padded[owner, rank] = values
    index[owner, rank] = pj
    _fold(best, best_idx, touched, padded, index)
    return touched


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

    def __init__(self, sampling_strategy, random_state, device, dtype, chunk_size):
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
        super().__init__(sampling_strategy, random_state, device, dtype, chunk_size)
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
        super().__init__(sampling_strategy, random_state, device, dtype, chunk_size)
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
        super().__init__(sampling_strategy, random_state, device, dtype, chunk_size)
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
