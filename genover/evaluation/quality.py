"""Quality of synthetic minority rows against the real training rows of the same fold.

All measures work on the model-ready (scaled, one-hot) feature space:

- precision / recall (Kynkaanniemi et al. 2019) and density / coverage (Naeem et al. 2020)
  from k-nearest-neighbour balls;
- the ROC-AUC of a classifier two-sample test (0.5 = indistinguishable);
- distance to the closest real record (privacy): the share of exact or near copies;
- label-noise risk: the share of synthetic minority rows whose nearest real neighbours are
  mostly majority rows.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.neighbors import NearestNeighbors

# Memory for one block of real x synthetic distances (MiB); every measure is linear in rows.
WORKING_MEMORY_MIB = 64.0


def _kth_radius(X: np.ndarray, k: int) -> np.ndarray:
    """Distance of each row of X to its k-th nearest other row of X."""
    k = min(k, len(X) - 1)
    dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)
    return dist[:, k]


def _distance_blocks(
    A: np.ndarray, B: np.ndarray, working_memory: float
) -> Iterator[tuple[slice, np.ndarray]]:
    """Euclidean distances from blocks of rows of A to every row of B, as (rows, block) pairs
    of about ``working_memory`` MiB each, so the full len(A) x len(B) matrix never exists."""
    b_sq = np.einsum("ij,ij->i", B, B)
    a_sq = np.einsum("ij,ij->i", A, A)
    n_rows = max(1, int(working_memory * 2**20 // (8 * len(B))))
    for start in range(0, len(A), n_rows):
        rows = slice(start, min(start + n_rows, len(A)))
        block = (-2 * A[rows]) @ B.T
        block += a_sq[rows, None]
        block += b_sq[None, :]
        np.maximum(block, 0, out=block)
        yield rows, np.sqrt(block, out=block)


def prdc(
    real: np.ndarray, fake: np.ndarray, k: int = 5, working_memory: float = WORKING_MEMORY_MIB
) -> dict[str, float]:
    """Precision, recall, density and coverage of ``fake`` against ``real``.

    The real x synthetic distances are visited in blocks of about ``working_memory`` MiB, so
    memory grows linearly in rows (a 100k-row class with 50 features fits in well under 2 GB).
    """
    if len(real) < 2 or len(fake) < 2:
        return {"precision": np.nan, "recall": np.nan, "density": np.nan, "coverage": np.nan}
    real, fake = np.asarray(real, dtype=np.float64), np.asarray(fake, dtype=np.float64)
    k = min(k, len(real) - 1, len(fake) - 1)
    real_r = _kth_radius(real, k)
    fake_r = _kth_radius(fake, k)
    balls_holding = np.zeros(len(fake), dtype=np.int64)  # real k-NN balls around each fake row
    recalled = np.empty(len(real), dtype=bool)  # real row inside some fake k-NN ball
    covered = np.empty(len(real), dtype=bool)  # real ball holding at least one fake row
    for rows, d_rf in _distance_blocks(real, fake, working_memory):
        inside_real = d_rf < real_r[rows, None]
        balls_holding += inside_real.sum(axis=0)
        recalled[rows] = (d_rf < fake_r[None, :]).any(axis=1)
        covered[rows] = d_rf.min(axis=1) < real_r[rows]
    return {
        "precision": float((balls_holding > 0).mean()),
        "recall": float(recalled.mean()),
        "density": float(balls_holding.mean() / k),
        "coverage": float(covered.mean()),
    }


def two_sample_auc(real: np.ndarray, fake: np.ndarray, seed: int = 0) -> float:
    """Cross-validated ROC-AUC of a classifier telling real from synthetic rows (the larger
    set is subsampled to the size of the smaller, so 0.5 means indistinguishable)."""
    rng = np.random.default_rng(seed)
    n = min(len(real), len(fake))
    real = real[rng.permutation(len(real))[:n]]
    fake = fake[rng.permutation(len(fake))[:n]]
    X = np.vstack([real, fake])
    y = np.r_[np.zeros(len(real)), np.ones(len(fake))]
    folds = int(min(5, len(real), len(fake)))
    if folds < 2:
        return float("nan")
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    scores = cross_val_predict(
        LogisticRegression(max_iter=1000), X, y, cv=cv, method="predict_proba"
    )[:, 1]
    return float(roc_auc_score(y, scores))


def copy_rates(real: np.ndarray, fake: np.ndarray) -> dict[str, float]:
    """Distance to the closest real record: exact copies, and near copies (closer than
    the 5th percentile of real rows' distances to their nearest real neighbour)."""
    _, nearest = NearestNeighbors(n_neighbors=1).fit(real).kneighbors(fake)
    # The neighbour search may use |a|^2 - 2ab + |b|^2, which leaves ~1e-6 on an exact copy
    # in many dimensions; the distance to the found row is recomputed exactly.
    dcr = np.linalg.norm(fake - real[nearest[:, 0]], axis=1)
    threshold = np.percentile(_kth_radius(real, 1), 5) if len(real) > 1 else 0.0
    return {
        "dcr_median": float(np.median(dcr)),
        "exact_copy_rate": float(np.mean(dcr < 1e-8)),
        "near_copy_rate": float(np.mean(dcr <= threshold)),
    }


def closeness(
    real: np.ndarray, y_real: np.ndarray, fake: np.ndarray, y_fake: np.ndarray
) -> dict[str, float]:
    """How close the synthetic rows stay to the real training rows (linear memory):

    - ``closest_record_ratio``: per class that received rows, the median distance from a
      synthetic row to its nearest real row of that class, over the median distance from
      each of those real rows to its nearest other one; averaged over the classes (1 means
      as far as real rows lie from each other, 0 means copies);
    - ``exact_copy_share``: the share of synthetic rows equal to some real row;
    - ``other_class_share``: the share of synthetic rows whose nearest real row belongs to
      another class.
    """
    real, fake = np.asarray(real, dtype=np.float64), np.asarray(fake, dtype=np.float64)
    y_real, y_fake = np.asarray(y_real), np.asarray(y_fake)
    if not len(fake):
        return {}
    nearest = NearestNeighbors(n_neighbors=1).fit(real).kneighbors(fake)[1][:, 0]
    exact = np.linalg.norm(fake - real[nearest], axis=1) < 1e-8  # exact, not |a|²-2ab+|b|²
    ratios = []
    for label in np.unique(y_fake):
        own = real[y_real == label]
        if len(own) < 2:
            continue
        rows = fake[y_fake == label]
        to_real = NearestNeighbors(n_neighbors=1).fit(own).kneighbors(rows)[0][:, 0]
        spacing = np.median(_kth_radius(own, 1))
        ratios.append(np.median(to_real) / spacing if spacing > 0 else np.nan)
    return {
        # nan where real rows of a class coincide (all-categorical data): no spacing to compare
        "closest_record_ratio": (
            float(np.nanmean(ratios)) if np.isfinite(ratios).any() else float("nan")
        ),
        "exact_copy_share": float(exact.mean()),
        "other_class_share": float(np.mean(y_real[nearest] != y_fake)),
    }


def real_copy_share(train: np.ndarray, held_out: np.ndarray) -> float:
    """The share of the ``held_out`` rows equal to some row of ``train`` (nan if none are
    held out): how often real rows repeat across a split, the bar a generator's
    ``exact_copy_share`` is read against (on all-categorical tables real rows repeat too).
    Missing values compare equal to each other."""
    if not len(held_out):
        return float("nan")
    seen = {row.tobytes() for row in canonical_rows(train)}
    return float(np.mean([row.tobytes() in seen for row in canonical_rows(held_out)]))


def canonical_rows(rows: np.ndarray) -> np.ndarray:
    """Rows as contiguous float64 with -0.0 as 0.0 and every NaN alike, so that equal rows
    have equal bytes (rows compare by ``tobytes``)."""
    out = np.ascontiguousarray(rows, dtype=np.float64) + 0.0
    out[np.isnan(out)] = np.nan
    return out


def other_class_share(
    neighbours: NearestNeighbors, y_real: np.ndarray, rows: np.ndarray, label
) -> np.ndarray:
    """Per row: the share of its nearest real rows (``neighbours``, fitted on the real rows
    labelled ``y_real``) whose class is not ``label``."""
    _, idx = neighbours.kneighbors(rows)
    return (np.asarray(y_real)[idx] != label).mean(axis=1)


def majority_neighbour_rate(
    X_real: np.ndarray, y_real: np.ndarray, fake: np.ndarray, label, k: int = 5
) -> float:
    """Share of synthetic rows of class ``label`` whose k nearest real rows are mostly
    of other classes (rows a classifier would see as label noise)."""
    neighbours = NearestNeighbors(n_neighbors=min(k, len(X_real))).fit(X_real)
    return float(np.mean(other_class_share(neighbours, y_real, fake, label) > 0.5))


def sample_quality(
    X_real: np.ndarray, y_real: np.ndarray, X_fake: np.ndarray, label, k: int = 5, seed: int = 0
) -> dict[str, float]:
    """Every measure for the synthetic rows ``X_fake`` of class ``label``."""
    real = X_real[y_real == label]
    return {
        **prdc(real, X_fake, k),
        "two_sample_auc": two_sample_auc(real, X_fake, seed),
        **copy_rates(real, X_fake),
        "majority_neighbour_rate": majority_neighbour_rate(X_real, y_real, X_fake, label, k),
    }


def fold_quality(
    real: np.ndarray,
    y_real: np.ndarray,
    fake: np.ndarray,
    y_fake: np.ndarray,
    seed: int = 0,
    max_rows: int = 2000,
) -> dict[str, float]:
    """Every measure for each class that received synthetic rows (at most ``max_rows`` of
    them), averaged over those classes; {} when no class has enough rows to score."""
    per_class = []
    for label in np.unique(y_fake):
        rows = fake[y_fake == label][:max_rows]
        if np.sum(y_real == label) >= 2 and len(rows) >= 2:
            per_class.append(sample_quality(real, y_real, rows, label, seed=seed))
    if not per_class:
        return {}
    return {k: float(np.nanmean([q[k] for q in per_class])) for k in per_class[0]}
