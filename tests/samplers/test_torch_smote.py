"""The torch SMOTE family against imbalanced-learn: neighbourhoods, counts, geometry, contract."""

from __future__ import annotations

import logging
from collections import Counter

import numpy as np
import pytest
import torch
from imblearn import over_sampling as imb
from imblearn.over_sampling import _adasyn
from imblearn.pipeline import make_pipeline
from imblearn.utils.estimator_checks import parametrize_with_checks
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import NearestNeighbors

from genover.samplers import TorchADASYN, TorchBorderlineSMOTE, TorchSMOTE, torch_smote
from genover.samplers.torch_smote import nearest_neighbours


def overlapping(n_major=400, n_minor=60, dim=4, seed=0, n_classes=2):
    """Continuous (tie-free) rows; minority classes shifted so that they meet the majority."""
    rng = np.random.default_rng(seed)
    counts = [n_major] + [n_minor // (c + 1) for c in range(n_classes - 1)]
    X = np.vstack([rng.normal(1.2 * c, 1.0, (n, dim)) for c, n in enumerate(counts)])
    y = np.repeat(np.arange(n_classes), counts)
    order = rng.permutation(len(y))
    return X[order], y[order]


PAIRS = {
    "smote": (TorchSMOTE, imb.SMOTE, {}),
    "borderline1": (TorchBorderlineSMOTE, imb.BorderlineSMOTE, {"kind": "borderline-1"}),
    "borderline2": (TorchBorderlineSMOTE, imb.BorderlineSMOTE, {"kind": "borderline-2"}),
    "adasyn": (TorchADASYN, imb.ADASYN, {}),
}


def pair(name, **params):
    ours, theirs, fixed = PAIRS[name]
    params = {**fixed, **params, "random_state": 0}
    return ours(device="cpu", **params), theirs(**params)


# -- exact neighbours ---------------------------------------------------------------------
@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def torch_threads(request):
    """torch's thread count for the test: with 2, query blocks are scanned in 2 threads."""
    before = torch.get_num_threads()
    torch.set_num_threads(request.param)
    yield request.param
    torch.set_num_threads(before)


@pytest.mark.parametrize("chunk_size", [2**22, 997, 64, 3])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_neighbours_equal_sklearn_on_tie_free_data(chunk_size, dtype, torch_threads):
    rng = np.random.default_rng(1)
    points = rng.normal(size=(700, 5)) * [1, 2, 3, 4, 5] + 10  # off-centre, uneven scales
    queries = rng.choice(len(points), 120, replace=False)
    expected = NearestNeighbors(n_neighbors=8).fit(points).kneighbors(points[queries])[1]
    t = torch.as_tensor(points, dtype=dtype)
    got = nearest_neighbours(t[queries], t, 7, chunk_size, torch.as_tensor(queries))
    np.testing.assert_array_equal(got.numpy(), expected[:, 1:])  # self first in sklearn
    outside = nearest_neighbours(t[:50] + 0.01, t, 7, chunk_size)  # no row excluded
    expected = NearestNeighbors(n_neighbors=7).fit(points).kneighbors(points[:50] + 0.01)[1]
    np.testing.assert_array_equal(outside.numpy(), expected)


def test_neighbours_equal_sklearn_when_most_runs_are_skipped(torch_threads):
    # Many blocks of 512 points for few queries: after the first blocks only the rare runs
    # holding a closer point are searched (the path large tables take).
    rng = np.random.default_rng(2)
    points = rng.normal(size=(20_000, 3))
    expected = NearestNeighbors(n_neighbors=5).fit(points).kneighbors(points[:40])[1]
    t = torch.as_tensor(points)
    got = nearest_neighbours(t[:40], t, 4, chunk_size=40 * 512, exclude=torch.arange(40))
    np.testing.assert_array_equal(got.numpy(), expected[:, 1:])
    assert torch.get_num_threads() == torch_threads  # the thread count is given back


def test_screened_neighbours_equal_sklearn(torch_threads):
    # bfloat16 screening, then exact distances: the neighbours of the exact search, including
    # off-centre uneven scales (large norms, so the rounding margins matter) and self-exclusion.
    rng = np.random.default_rng(3)
    points = rng.normal(size=(20_000, 6)) * [1, 2, 3, 4, 5, 6] + 7
    queries = rng.choice(len(points), 300, replace=False)
    t = torch.as_tensor(points, dtype=torch.float32)
    got = nearest_neighbours(t[queries], t, 10, exclude=torch.as_tensor(queries), screen=True)
    expected = NearestNeighbors(n_neighbors=11).fit(points).kneighbors(points[queries])[1]
    np.testing.assert_array_equal(got.numpy(), expected[:, 1:])
    outside = nearest_neighbours(t[:50] + 0.01, t, 7, screen=True)
    expected = NearestNeighbors(n_neighbors=7).fit(points).kneighbors(points[:50] + 0.01)[1]
    np.testing.assert_array_equal(outside.numpy(), expected)


@pytest.fixture(params=["exact", "screened"])
def search(request, monkeypatch):
    """The neighbour search the samplers use: plain float32, or bfloat16 screening (forced
    on small tables by shrinking its sample)."""
    if request.param == "screened":
        monkeypatch.setattr(torch_smote, "_SCREEN_SAMPLE", 16)
        monkeypatch.setattr(torch_smote, "_screening_pays", lambda q, p: True)
    return request.param


# -- counts, danger sets, ADASYN's per-row counts -----------------------------------------
STRATEGIES = ["auto", 0.5, {1: 200}, "minority"]


@pytest.mark.parametrize("strategy", STRATEGIES, ids=str)
@pytest.mark.parametrize("name", list(PAIRS))
def test_class_counts_equal_imblearn(name, strategy):
    X, y = overlapping()
    ours, theirs = pair(name, sampling_strategy=strategy)
    Xo, yo = ours.fit_resample(X, y)
    _, yt = theirs.fit_resample(X, y)
    assert Counter(yo.tolist()) == Counter(yt.tolist())
    np.testing.assert_array_equal(Xo[: len(X)], X)
    assert ours.outcome_["generated_rows"] == len(yo) - len(y)


@pytest.mark.parametrize("name", list(PAIRS))
def test_multiclass_counts_equal_imblearn(name):
    X, y = overlapping(n_classes=3, n_minor=90)
    ours, theirs = pair(name)
    assert Counter(ours.fit_resample(X, y)[1].tolist()) == Counter(
        theirs.fit_resample(X, y)[1].tolist()
    )


@pytest.mark.parametrize("kind", ["borderline-1", "borderline-2"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_borderline_danger_rows_equal_imblearn(kind, n_classes, search):
    X, y = overlapping(n_classes=n_classes, n_minor=90)
    ours, theirs = pair("borderline1", kind=kind)
    ours.fit_resample(X, y)
    theirs.fit_resample(X, y)
    assert ours.in_danger_indices_.keys() == theirs.in_danger_indices.keys()
    for label, rows in theirs.in_danger_indices.items():
        assert len(rows) > 0
        np.testing.assert_array_equal(ours.in_danger_indices_[label], rows)


def test_adasyn_rows_per_row_equal_imblearn(monkeypatch, search):
    X, y = overlapping()
    seen = []

    class SpyNumpy:  # imblearn's ADASYN draws its rows with np.repeat(rows, n_per_row)
        def __getattr__(self, name):
            return getattr(np, name)

        def repeat(self, a, repeats, *args, **kwargs):
            seen.append(np.asarray(repeats).copy())
            return np.repeat(a, repeats, *args, **kwargs)

    monkeypatch.setattr(_adasyn, "np", SpyNumpy())
    ours, theirs = pair("adasyn")
    ours.fit_resample(X, y)
    theirs.fit_resample(X, y)
    assert len(seen) == 1 and seen[0].sum() > 0
    np.testing.assert_array_equal(ours.n_samples_per_row_[1], seen[0])


# -- geometry: every new row on a segment from a row to one of its neighbours -------------
def segment_fit(new, starts, ends):
    """For each new row: distance to the nearest segment start->end, and its step t."""
    d = ends - starts
    t = np.einsum("nsd,sd->ns", new[:, None, :] - starts[None], d) / np.einsum("sd,sd->s", d, d)
    t = np.clip(t, 0, 1)
    gap = np.linalg.norm(new[:, None, :] - (starts[None] + t[..., None] * d[None]), axis=2)
    best = gap.argmin(axis=1)
    return gap[np.arange(len(new)), best], t[np.arange(len(new)), best], best


@pytest.mark.parametrize("name", ["smote", "borderline1", "adasyn"])
def test_new_rows_lie_between_a_row_and_one_of_its_class_neighbours(name):
    X, y = overlapping()
    sampler = pair(name)[0]
    Xr, _ = sampler.fit_resample(X, y)
    members = np.flatnonzero(y == 1)
    bases = sampler.in_danger_indices_[1] if name == "borderline1" else members
    nn = NearestNeighbors(n_neighbors=6).fit(X[members])
    neighbours = members[nn.kneighbors(X[bases])[1][:, 1:]]
    starts, ends = np.repeat(X[bases], 5, axis=0), X[neighbours.ravel()]
    gap, _, _ = segment_fit(Xr[len(X) :], starts, ends)
    assert gap.max() < 1e-5


def test_borderline2_steps_towards_other_classes_stay_below_half():
    X, y = overlapping()
    sampler = pair("borderline2")[0]
    Xr, _ = sampler.fit_resample(X, y)
    danger = sampler.in_danger_indices_[1]
    nn = NearestNeighbors(n_neighbors=6).fit(X).kneighbors(X[danger])[1][:, 1:]
    starts, ends = np.repeat(X[danger], 5, axis=0), X[nn.ravel()]
    gap, step, seg = segment_fit(Xr[len(X) :], starts, ends)
    assert gap.max() < 1e-5
    towards = nn.ravel()[seg]
    other = y[towards] != 1
    assert other.any() and (~other).any()
    assert step[other].max() <= 0.5 + 1e-6
    # Towards the own class the whole segment is used. (A segment between two danger rows
    # is drawn both ways, so its step is ambiguous: only one-way segments are checked.)
    one_way = ~other & ~np.isin(towards, danger)
    assert step[one_way].max() > 0.5


# -- k-shrinking, single rows, ADASYN's fallback ------------------------------------------
@pytest.mark.parametrize("name", list(PAIRS))
def test_tiny_class_shrinks_k_with_a_warning(name, caplog):
    X, y = overlapping(n_minor=4)
    sampler = pair(name)[0]
    with caplog.at_level(logging.WARNING):
        _, yr = sampler.fit_resample(X, y)
    assert "neighbours + 1; using 3 neighbours" in caplog.text
    assert sampler.k_neighbors_ == 3
    key = "n_neighbors" if name == "adasyn" else "k_neighbors"
    assert sampler.outcome_[key] == 3 and sampler.outcome_[f"{key}_shrunk"] is True
    assert Counter(yr.tolist())[1] >= 4


@pytest.mark.parametrize("name", list(PAIRS))
def test_single_row_class_gets_a_clear_error(name):
    X = np.vstack([np.random.default_rng(0).normal(size=(20, 3)), np.ones((1, 3))])
    y = np.array([0] * 20 + [1])
    with pytest.raises(ValueError, match="single row.*random_over"):
        pair(name)[0].fit_resample(X, y)


def test_adasyn_without_other_class_neighbours_draws_uniformly(caplog):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (200, 3)), rng.normal(50, 1, (20, 3))])
    y = np.r_[np.zeros(200, int), np.ones(20, int)]
    ours, theirs = pair("adasyn")
    with pytest.raises(RuntimeError):  # the condition: imblearn's weights are undefined here
        theirs.fit_resample(X, y)
    with caplog.at_level(logging.WARNING):
        Xr, yr = ours.fit_resample(X, y)
    assert ours.uniform_weights_ == [1] and ours.outcome_["uniform_weights"] is True
    assert ours.n_samples_per_row_[1] is None
    assert Counter(yr.tolist()) == {0: 200, 1: 200}  # SMOTE's exact count
    assert (Xr[len(X) :] > 40).all()  # drawn within the minority class
    assert "uniform weights" in caplog.text


# -- API: pipelines, seeds, chunking, the imblearn contract -------------------------------
def test_in_an_imblearn_pipeline_with_cross_validation():
    X, y = overlapping()
    pipe = make_pipeline(TorchBorderlineSMOTE(random_state=0, device="cpu"), LogisticRegression())
    scores = cross_val_score(pipe, X, y, cv=3, scoring="average_precision")
    assert scores.shape == (3,) and np.all(scores > 0.3)
    fitted = pipe.fit(X, y)
    assert fitted.predict(X).shape == y.shape  # the sampler runs in fit only


@pytest.mark.parametrize("name", list(PAIRS))
def test_same_seed_same_rows_and_chunking_changes_nothing(name):
    X, y = overlapping()
    a = pair(name)[0].fit_resample(X, y)[0]
    b = pair(name)[0].fit_resample(X, y)[0]
    np.testing.assert_array_equal(a, b)
    ours = pair(name)[0].set_params(chunk_size=50)
    np.testing.assert_array_equal(ours.fit_resample(X, y)[0], a)
    other = pair(name)[0].set_params(random_state=1).fit_resample(X, y)[0]
    assert not np.array_equal(other, a)


def test_float32_input_stays_float32_and_float64_compute_is_exact():
    X, y = overlapping()
    Xr, _ = TorchSMOTE(random_state=0, device="cpu").fit_resample(X.astype(np.float32), y)
    assert Xr.dtype == np.float32
    sampler = TorchSMOTE(random_state=0, device="cpu", dtype="float64")
    Xr, _ = sampler.fit_resample(X, y)
    members = np.flatnonzero(y == 1)
    nn = NearestNeighbors(n_neighbors=6).fit(X[members]).kneighbors(X[members])[1][:, 1:]
    gap, _, _ = segment_fit(Xr[len(X) :], np.repeat(X[members], 5, 0), X[members][nn.ravel()])
    assert gap.max() < 1e-12


CONTRACT = [
    TorchSMOTE(random_state=0, device="cpu"),
    TorchBorderlineSMOTE(kind="borderline-1", random_state=0, device="cpu"),
    TorchBorderlineSMOTE(kind="borderline-2", random_state=0, device="cpu"),
    TorchADASYN(random_state=0, device="cpu"),
]


@parametrize_with_checks(CONTRACT)
def test_imblearn_sampler_contract(estimator, check):
    check(estimator)


def test_bad_parameters_are_rejected_at_fit_time():
    X, y = overlapping()
    for sampler in (
        TorchSMOTE(k_neighbors=0),
        TorchSMOTE(dtype="float16"),
        TorchSMOTE(chunk_size=0),
        TorchBorderlineSMOTE(kind="borderline-3"),
    ):
        with pytest.raises(ValueError):
            sampler.fit_resample(X, y)


def test_overflowing_values_and_categorical_columns_are_named():
    """Huge float32 values once gave "shape '[20, -1]' is invalid", and a categorical column
    a torch TypeError (issue 18)."""
    import pandas as pd

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 5)), np.r_[np.ones(6, int), np.zeros(14, int)]
    with pytest.raises(ValueError, match=r"overflow dtype='float32'.*pass dtype='float64'"):
        TorchSMOTE(device="cpu").fit_resample(X * 1e20, y)
    assert len(TorchSMOTE(device="cpu", dtype="float64").fit_resample(X * 1e20, y)[1]) == 28
    frame = pd.DataFrame(X, columns=list("abcde"))
    frame["c"] = pd.Categorical(rng.choice(["u", "v"], 20))
    with pytest.raises(ValueError, match=r"columns \['c'\] are categorical or text.*SMOTENC"):
        TorchSMOTE(device="cpu").fit_resample(frame, y)


def test_a_read_only_input_raises_no_torch_warning():
    """torch warned "The given NumPy array is not writable" on a read-only float32 input."""
    import warnings

    from genover.samplers import TorchSMOTE

    X = np.random.default_rng(0).normal(size=(60, 3)).astype(np.float32)
    X.setflags(write=False)
    y = np.array([0] * 50 + [1] * 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        TorchSMOTE(random_state=0).fit_resample(X, y)
