"""The levers on the generators' rows: CVAE posterior draws, the cross-fitted confidence
filter, DDPM class-contrastive guidance and amount selection by the downstream model."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.neighbors import KNeighborsClassifier

from genover import CVAESampler
from genover.models import CVAE, DDPM
from genover.models.components.mixed import TabularLayout
from genover.models.diagnostics import rbf_mmd
from genover.samplers.filtering import ConfidenceFilter
from tests.samplers.test_generative import toy


def overlapping(n_major=400, n_minor=30, seed=0):
    """A minority blob at (1.2, 1.2) with sd 0.6 inside a N(0, I) majority."""
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0, 1, (n_major, 2)), rng.normal(1.2, 0.6, (n_minor, 2))])
    return X, np.r_[np.zeros(n_major, int), np.ones(n_minor, int)]


def test_posterior_draws_start_from_the_own_class_codes():
    model = CVAE(
        TabularLayout(2), 2, hidden=[8], latent_dim=3, posterior_share=1.0, posterior_scale=0.0
    )
    x = torch.randn(12, 2)
    y = torch.tensor([0] * 8 + [1] * 4)
    model.fit_anchors(x, y)
    mu1 = model._anchors[1][0]
    prior = torch.randn(50, 3)
    labels = torch.ones(50, dtype=torch.long)
    z = model._posterior_draws(prior.clone(), labels, 1.0, torch.Generator().manual_seed(0))
    # scale 0: every code is exactly the posterior mean of a real row of class 1
    assert all(any(torch.allclose(row, m) for m in mu1) for row in z)
    z_half = model._posterior_draws(prior.clone(), labels, 0.5, torch.Generator().manual_seed(0))
    kept = (z_half == prior).all(dim=1)
    assert 10 < int(kept.sum()) < 40  # about half of the codes stay prior draws


def test_posterior_draws_keep_a_cvae_minority_on_its_support():
    X, y = overlapping(n_minor=15)
    truth = torch.as_tensor(np.random.default_rng(9).normal(1.2, 0.6, (400, 2)))
    common = dict(
        random_state=0,
        trainer={"max_steps": 100, "epoch_steps": 50},
        numeric_transform="standard",
        sampling_strategy={1: 400},
    )
    prior = CVAESampler(model={"hidden": [32], "latent_dim": 2}, **common)
    post = CVAESampler(model={"hidden": [32], "latent_dim": 2, "posterior_share": 1.0}, **common)
    Xp, _ = prior.fit_resample(X, y)
    Xq, _ = post.fit_resample(X, y)
    # posterior_share changes sampling only: the trained weights are identical
    for a, b in zip(prior.module_.parameters(), post.module_.parameters(), strict=True):
        assert torch.equal(a, b)
    judge = KNeighborsClassifier(15).fit(X, y)
    in_minority = {
        name: judge.predict_proba(rows[len(X) :])[:, 1].mean()
        for name, rows in (("prior", Xp), ("posterior", Xq))
    }
    # measured: 0.29 against 0.24 of the rows' neighbours are minority; MMD 0.034 vs 0.044
    assert in_minority["posterior"] > in_minority["prior"] + 0.03, in_minority
    mmd = {
        name: float(rbf_mmd(torch.as_tensor(rows[len(X) :]), truth))
        for name, rows in (("prior", Xp), ("posterior", Xq))
    }
    assert mmd["posterior"] < 0.85 * mmd["prior"], mmd


def test_confidence_filter_thresholds_are_out_of_fold_quantiles():
    X, y = overlapping()
    filt = ConfidenceFilter(quantile=0.2, k=10, folds=5).fit(X, y)
    model = KNeighborsClassifier(10, weights="distance")
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    oof = cross_val_predict(model, X, y, cv=cv, method="predict_proba")
    assert filt.thresholds_[1] == pytest.approx(np.quantile(oof[y == 1, 1], 0.2))
    assert filt.thresholds_[1] < 0.5  # below the fixed 0.5 a plain vote would use
    inside = np.array([[1.2, 1.2], [1.3, 1.0]])
    among_majority = np.array([[-1.5, -1.0], [-0.5, -2.0]])
    ok, _ = filt.badness(np.vstack([inside, among_majority]), 1)
    assert ok.tolist() == [True, True, False, False]


def test_confidence_filter_in_a_sampler_rejects_and_records():
    X, y = overlapping()
    sampler = CVAESampler(
        random_state=0,
        filter_confidence=0.25,
        numeric_transform="standard",
        model={"hidden": [32], "latent_dim": 2},
        trainer={"max_steps": 100, "epoch_steps": 50},
    )
    Xr, yr = sampler.fit_resample(X, y)
    out = sampler.outcome_
    assert 0 < out["filter_acceptance"] < 1
    assert out["filter_threshold[1]"] == pytest.approx(sampler.filter_.thresholds_[1], abs=1e-4)
    rows = sampler.encoder_.transform(Xr[len(X) :])
    ok, _ = sampler.filter_.badness(rows, 1)
    assert int((~ok).sum()) == out["filter_filled_rows"]


def test_both_filters_at_once_is_an_error():
    X, y = toy()
    with pytest.raises(ValueError, match="set one of them to 0"):
        CVAESampler(filter_neighbors=5, filter_confidence=0.1).fit_resample(X, y)


class _ClassNoise(torch.nn.Module):
    """A stand-in denoiser whose noise prediction is (class + 1) everywhere."""

    def forward(self, x, t, y):
        return (y.float() + 1).unsqueeze(1).expand_as(x)


@pytest.mark.parametrize("contrast", [0.0, 0.5, 2.0])
def test_ddpm_contrastive_guidance_formula(contrast):
    model = DDPM(TabularLayout(3), 3, hidden=8, depth=1, steps=10, contrast=contrast)
    model.denoiser = _ClassNoise()
    x, t = torch.zeros(4, 3), torch.zeros(4, dtype=torch.long)
    y = torch.full((4,), 2)
    eps = model._eps(x, t, y)
    # eps_y = 3; the other classes predict 1 and 2 (mean 1.5): 3 + contrast * 1.5
    assert torch.allclose(eps, torch.full_like(x, 3 + contrast * 1.5))


class CountingLR(ClassifierMixin, BaseEstimator):
    fits: list = []

    def fit(self, X, y):
        CountingLR.fits.append(len(y))
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


def test_amount_model_scores_the_grid():
    X, y = toy()
    CountingLR.fits = []
    sampler = CVAESampler(
        random_state=0,
        amount_grid=[0.0, 0.5, 1.0],
        amount_model=CountingLR(),
        model={"hidden": [16], "latent_dim": 2},
        trainer={"max_steps": 20, "epoch_steps": 10},
    )
    sampler.fit_resample(X, y)
    assert len(CountingLR.fits) == 3
    base = CountingLR.fits[0]  # the generator's training rows, no synthetic ones
    requested = sum(sampler.sampling_strategy_.values())
    assert CountingLR.fits[2] - base == requested and CountingLR.fits[1] - base == requested // 2


def test_downstream_amount_model_is_the_runs_classifier(compose_cfg):
    from genover.data import load_dataset
    from genover.experiment import Method, fold_pipeline

    cfg = compose_cfg(
        "sampler=cvae",
        "sampler.amount_model=downstream",
        "classifier=knn",
        "classifier.n_neighbors=7",
    )
    dataset = load_dataset("keel:ecoli1")
    pipe, _ = fold_pipeline(dataset, Method("cvae", dict(cfg.sampler)), cfg)
    model = pipe.named_steps["sampler"].amount_model
    assert isinstance(model, KNeighborsClassifier) and model.n_neighbors == 7
    with pytest.raises(ValueError, match="resolved by genover's experiment"):
        CVAESampler(amount_model="downstream", amount_grid=[0, 1]).fit_resample(*toy())


def test_ddpm_anchored_draws_stay_near_a_small_minority():
    from genover import DDPMSampler

    X, y = overlapping(n_minor=15)
    truth = torch.as_tensor(np.random.default_rng(9).normal(1.2, 0.6, (400, 2)))
    mmd = {}
    for share in (0.0, 1.0):
        sampler = DDPMSampler(
            random_state=0,
            numeric_transform="standard",
            sampling_strategy={1: 400},
            model={
                "hidden": 64,
                "depth": 2,
                "steps": 100,
                "sample_steps": 20,
                "anchor_share": share,
                "anchor_noise": 0.5,
            },
            trainer={"max_steps": 200},
        )
        Xr, _ = sampler.fit_resample(X, y)
        mmd[share] = float(rbf_mmd(torch.as_tensor(Xr[len(X) :]), truth))
    # measured: 0.026 anchored against 0.073 from pure noise
    assert mmd[1.0] < 0.6 * mmd[0.0], mmd


def test_anchored_draws_start_from_real_rows_of_their_own_class():
    model = DDPM(
        TabularLayout(2),
        2,
        hidden=8,
        depth=1,
        steps=50,
        sample_steps=10,
        anchor_share=1.0,
        anchor_noise=0.05,
    )

    class ZeroNoise(torch.nn.Module):  # x0 estimate = x_t / sqrt(abar_t): no denoising pull
        def forward(self, x, t, y):
            return torch.zeros_like(x)

    model.denoiser = ZeroNoise()
    anchors = torch.tensor([[4.0, 4.0], [0.7, -1.3]])
    model.fit_anchors(anchors, torch.tensor([0, 1]))
    out = model.sample(50, 1, torch.Generator().manual_seed(0))
    # noised to t = 2 of 50 and walked back: around the class-1 row (sd ~0.1), where a chain
    # from pure noise would end far away (clipped at 6) and class 0's row is at (4, 4)
    assert (out - anchors[1]).abs().max() < 0.6
    assert torch.allclose(out.mean(dim=0), anchors[1], atol=0.1)
    assert (out - anchors[1]).abs().max() > 0  # noised, not copied


def test_confidence_filter_keeps_scoring_when_one_class_has_a_single_row(caplog):
    X, y = overlapping()
    X = np.vstack([X, [[5.0, -5.0]]])
    y = np.r_[y, 2]  # a third class with one row: not scorable out of fold
    filt = ConfidenceFilter(quantile=0.2, k=10, folds=5).fit(X, y)
    assert set(filt.thresholds_) == {0, 1} and filt.thresholds_[1] > 0
    assert "class 2 has one row" in caplog.text
    ok, _ = filt.badness(np.array([[-1.5, -1.0]]), 1)
    assert not ok[0]  # class 1 is still filtered
