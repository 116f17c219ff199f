"""GPU paths: every sampler and the MLP on CUDA, in bf16-mixed and 32-true precision.

Marked ``gpu`` and skipped without CUDA; ``scripts/gpu_check.sh`` runs them on a machine
with a GPU (``pytest -m gpu``). The generators and the MLP train briefly; what is checked is
that training and sampling run on the device and hand numpy arrays back on the host.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch

from genover import (
    ARAESampler,
    BAGANSampler,
    CVAESampler,
    DDPMSampler,
    FlowSampler,
    TorchADASYN,
    TorchBorderlineSMOTE,
    TorchSMOTE,
    VAEGANSampler,
)
from genover.classifiers.mlp import MLPClassifier
from genover.losses import LOSSES
from genover.samplers.torch_smote import nearest_neighbours

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]
PRECISIONS = ["bf16-mixed", "32-true"]
GENERATORS = {
    CVAESampler: {"hidden": [32], "latent_dim": 4, "class_dim": 4},
    DDPMSampler: {"hidden": 32, "depth": 1, "time_dim": 16, "steps": 20, "sample_steps": 5},
    FlowSampler: {"hidden": 32, "depth": 1, "time_dim": 16, "sample_steps": 4, "coupling": "ot"},
    BAGANSampler: {"hidden": [32], "latent_dim": 4, "ae_steps": 20},
    VAEGANSampler: {"hidden": [32], "latent_dim": 4, "class_dim": 4},
    ARAESampler: {"hidden": [32], "code_dim": 4, "class_dim": 4},
}


def toy(n_major=300, n_minor=40, seed=0):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0, 1, (n_major, 3)), rng.normal(1.5, 0.5, (n_minor, 3))])
    return X, np.r_[np.zeros(n_major, int), np.ones(n_minor, int)]


def assert_host_rows(X, Xr, yr, n_minor_after):
    assert isinstance(Xr, np.ndarray) and isinstance(yr, np.ndarray)
    assert Xr.dtype == X.dtype and np.isfinite(Xr).all()
    np.testing.assert_array_equal(Xr[: len(X)], X)
    assert Counter(yr.tolist())[1] == n_minor_after


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("cls", list(GENERATORS), ids=lambda c: c.__name__)
def test_generators_fit_resample_and_sample_on_the_gpu(cls, precision):
    X, y = toy()
    trainer = {"max_epochs": 2, "val_every": 1, "accelerator": "gpu", "precision": precision}
    sampler = cls(model=GENERATORS[cls], trainer=trainer, random_state=0)
    Xr, yr = sampler.fit_resample(X, y)
    assert_host_rows(X, Xr, yr, 300)
    assert sampler.module_.device.type == "cuda"
    rows = sampler.sample(25, 1)
    assert isinstance(rows, np.ndarray) and rows.shape == (25, X.shape[1])
    assert np.isfinite(rows).all()


SMOTE_FAMILY = [
    TorchSMOTE(random_state=0, device="cuda"),
    TorchBorderlineSMOTE(kind="borderline-1", random_state=0, device="cuda"),
    TorchBorderlineSMOTE(kind="borderline-2", random_state=0, device="cuda"),
    TorchADASYN(random_state=0, device="cuda"),
]


@pytest.mark.parametrize("sampler", SMOTE_FAMILY, ids=lambda s: repr(s))
def test_torch_smote_family_on_the_gpu_matches_the_cpu_counts(sampler):
    X, y = toy()
    Xr, yr = sampler.fit_resample(X, y)
    assert sampler.device_.type == "cuda"
    cpu = type(sampler)(**{**sampler.get_params(), "device": "cpu"})
    _, yc = cpu.fit_resample(X, y)
    assert_host_rows(X, Xr, yr, Counter(yc.tolist())[1])
    if isinstance(sampler, TorchBorderlineSMOTE):
        np.testing.assert_array_equal(sampler.in_danger_indices_[1], cpu.in_danger_indices_[1])
    if isinstance(sampler, TorchADASYN):
        np.testing.assert_array_equal(sampler.n_samples_per_row_[1], cpu.n_samples_per_row_[1])


def test_neighbours_stay_exact_where_tf32_is_switched_on():
    from sklearn.neighbors import NearestNeighbors

    points = np.random.default_rng(0).normal(size=(5000, 30))
    expected = NearestNeighbors(n_neighbors=11).fit(points).kneighbors(points[:300])[1][:, 1:]
    x = torch.as_tensor(points, dtype=torch.float32, device="cuda")
    previous = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("high")  # TF32 products
    try:
        got = nearest_neighbours(x[:300], x, 10, exclude=torch.arange(300, device="cuda"))
        assert torch.get_float32_matmul_precision() == "high"  # restored afterwards
    finally:
        torch.set_float32_matmul_precision(previous)
    np.testing.assert_array_equal(got.cpu().numpy(), expected)


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_mlp_trains_with_every_loss_on_the_gpu(loss, precision):
    X, y = toy()
    clf = MLPClassifier(
        hidden=(32,),
        loss=loss,
        max_epochs=3,
        accelerator="gpu",
        precision=precision,
        random_state=0,
    ).fit(X, y)
    proba = clf.predict_proba(X)
    assert isinstance(proba, np.ndarray) and proba.shape == (len(X), 2)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-4)
