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
    z, anchors = model._posterior_draws(
        prior.clone(), labels, 1.0, torch.Generator().manual_seed(0)
    )
    # scale 0: every code is exactly the posterior mean of a real row of class 1
    assert all(any(torch.allclose(row, m) for m in mu1) for row in z)
    z_half, half_anchors = model._posterior_draws(
        prior.clone(), labels, 0.5, torch.Generator().manual_seed(0)
    )
    kept = (z_half == prior).all(dim=1)
    assert 10 < int(kept.sum()) < 40  # about half of the codes stay prior draws
    # each draw names its real row: class 1's rows are 8..11 of x; prior draws name none
    assert set(anchors.tolist()) <= {8, 9, 10, 11}
    assert torch.equal(half_anchors == -1, kept)
    assert all(torch.allclose(z[i], mu1[int(a) - 8]) for i, a in enumerate(anchors))


def test_posterior_draws_scale_the_posterior_sd():
    """z = mu + scale * sigma * eps: the spread around a code is the row's own posterior sd."""
    model = CVAE(
        TabularLayout(2), 2, hidden=[8], latent_dim=3, posterior_share=1.0, posterior_scale=0.5
    )
    x, y = torch.randn(12, 2), torch.tensor([0] * 8 + [1] * 4)
    model.fit_anchors(x, y)
    mu, sigma, index = model._anchors[1]
    assert not torch.allclose(sigma, torch.ones_like(sigma))  # an untrained encoder's sd
    eps = torch.ones(40, 3)
    labels = torch.ones(40, dtype=torch.long)
    z, anchors = model._posterior_draws(eps.clone(), labels, 1.0, torch.Generator().manual_seed(1))
    at = anchors - 8  # position of each draw's row among class 1's rows
    torch.testing.assert_close(z, mu[at] + 0.5 * sigma[at] * eps)


def test_anchors_are_kept_only_for_sampled_classes_and_others_are_refused():
    model = CVAE(TabularLayout(2), 2, hidden=[8], latent_dim=3)
    x, y = torch.randn(12, 2), torch.tensor([0] * 8 + [1] * 4)
    model.fit_anchors(x, y, classes=[1])
    assert set(model._anchors) == {1}  # the majority's rows are not kept on the device
    assert model.sample(5, 1).shape == (5, 2)
    with pytest.raises(ValueError, match="class 0 has no anchors"):
        model.sample(5, 0)
    ddpm = DDPM(TabularLayout(2), 2, hidden=8, depth=1, time_dim=4, steps=10, sample_steps=5)
    ddpm.fit_anchors(x, y, classes=[1])
    assert set(ddpm._anchors) == {1}
    with pytest.raises(ValueError, match="class 0 has no anchors"):
        ddpm.sample(5, 0)
    with pytest.raises(ValueError, match="no training rows to anchor"):
        ddpm.fit_anchors(x[:8], y[:8], classes=[1])


@pytest.mark.parametrize("schedule", ["cosine", "linear"])
def test_anchor_noise_is_the_noise_share_under_every_schedule(schedule):
    ddpm = DDPM(TabularLayout(2), 2, hidden=8, depth=1, time_dim=4, steps=200, schedule=schedule)
    abar = ddpm.diffusion.alphas_cumprod
    for level in (0.1, 0.5, 0.9):
        ddpm.hparams.anchor_noise = level
        t = ddpm.anchor_timestep()
        assert 1 - abar[t] >= level > 1 - abar[t - 1]  # the first step that reaches it


def test_anchored_ddim_starts_at_the_anchors_noise_level():
    """The chain's first step sees x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) noise at the very
    t it denoises from (one step late, the row carries less noise than the step assumes)."""
    ddpm = DDPM(
        TabularLayout(4),
        2,
        hidden=8,
        depth=1,
        time_dim=4,
        steps=10,
        sample_steps=10,
        anchor_noise=0.5,
    )
    ddpm.fit_anchors(torch.zeros(6, 4), torch.tensor([0, 0, 0, 1, 1, 1]), classes=[1])
    seen = []

    def spy(x, t, y):
        seen.append((x.clone(), int(t[0])))
        return torch.zeros_like(x)

    ddpm._eps = spy
    ddpm.sample(4000, 1, torch.Generator().manual_seed(0))
    x_first, t_first = seen[0]
    assert t_first == ddpm.anchor_timestep()
    abar = ddpm.diffusion.alphas_cumprod
    sd = float(x_first.std())  # the anchors are 0: x_t is pure scaled noise
    assert abs(sd - float((1 - abar[t_first]).sqrt())) < 0.02


def test_posterior_draws_keep_a_cvae_minority_on_its_support():
    X, y = overlapping(n_minor=15)
    truth = torch.as_tensor(np.random.default_rng(9).normal(1.2, 0.6, (400, 2)))
    common = dict(
        random_state=0,
        trainer={"max_steps": 100, "epoch_steps": 50},
        numeric_transform="standard",
        sampling_strategy={1: 400},
        filter_confidence=0.0,  # the posterior draws alone
    )
    prior = CVAESampler(model={"hidden": [32], "latent_dim": 2, "posterior_share": 0.0}, **common)
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
    filt = ConfidenceFilter(quantile=0.2, k=10, folds=5, random_state=0).fit(X, y)
    model = KNeighborsClassifier(10, weights="distance")
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    oof = cross_val_predict(model, X, y, cv=cv, method="predict_proba")
    assert filt.thresholds_[1] == pytest.approx(np.quantile(oof[y == 1, 1], 0.2))
    assert filt.thresholds_[1] < 0.5  # below the fixed 0.5 a plain vote would use
    inside = np.array([[1.2, 1.2], [1.3, 1.0]])
    among_majority = np.array([[-1.5, -1.0], [-0.5, -2.0]])
    ok, _ = filt.badness(np.vstack([inside, among_majority]), 1)
    assert ok.tolist() == [True, True, False, False]


def test_confidence_filter_judges_a_copy_of_a_real_row_as_that_row():
    """An anchored draw is scored by the fold model that held its anchor out: an exact copy
    of a real minority row passes exactly when that row's own out-of-fold score clears the
    bar (scored by the model of all rows, every copy would pass: its twin is in the data)."""
    X, y = overlapping()
    filt = ConfidenceFilter(quantile=0.25, k=10, folds=5, random_state=3).fit(X, y)
    minority = np.flatnonzero(y == 1)
    own = np.array(
        [filt.fold_models_[filt.fold_of_[i]].predict_proba(X[i : i + 1])[0, 1] for i in minority]
    )
    ok, _ = filt.badness(X[minority], 1, anchors=minority)
    np.testing.assert_array_equal(ok, own >= filt.thresholds_[1])
    assert 0 < int((~ok).sum()) < len(minority)  # some real rows score below their bar
    unanchored, _ = filt.badness(X[minority], 1)
    assert unanchored.all()  # the all-rows model: each copy's twin is its nearest neighbour


def test_confidence_filter_judges_mixed_anchored_and_unanchored_draws_apart():
    """One batch of draws, some anchored and some not: an anchored copy is scored by the fold
    model that held its anchor out, an unanchored one by the model of every real row (never
    by the fold model of whatever real row index 0 happens to be)."""
    X, y = overlapping()
    filt = ConfidenceFilter(quantile=0.25, k=10, folds=5, random_state=3).fit(X, y)
    minority = np.flatnonzero(y == 1)
    anchors = np.where(np.arange(len(minority)) % 2 == 0, minority, -1)
    held_out = np.array(
        [filt.fold_models_[filt.fold_of_[i]].predict_proba(X[i : i + 1])[0, 1] for i in minority]
    )
    everyone = filt.model_.predict_proba(X[minority])[:, 1]
    expected = np.where(anchors >= 0, held_out, everyone)
    np.testing.assert_allclose(filt.confidence(X[minority], 1, anchors), expected)
    ok, _ = filt.badness(X[minority], 1, anchors)
    assert ok[anchors < 0].all()  # the all-rows model sees each copy's twin
    assert not ok[anchors >= 0].all()  # some real rows score below the bar out of fold
    # the planted bug's model: row 0's fold model would reject some unanchored copies
    row0 = filt.fold_models_[filt.fold_of_[0]].predict_proba(X[minority][anchors < 0])[:, 1]
    assert (row0 < filt.thresholds_[1]).any()


def test_confidence_filter_folds_follow_random_state_and_inactive_bars_are_recorded():
    X, y = overlapping()
    a = ConfidenceFilter(random_state=1).fit(X, y).fold_of_
    assert np.array_equal(a, ConfidenceFilter(random_state=1).fit(X, y).fold_of_)
    assert not np.array_equal(a, ConfidenceFilter(random_state=2).fit(X, y).fold_of_)
    far = np.vstack([X, np.full((3, 2), 50.0)])  # a class whose rows see only each other
    lone = ConfidenceFilter(quantile=0.0, k=10, random_state=0).fit(far, np.r_[y, [2, 2, 2]])
    lone.thresholds_[1] = 0.0
    lone.select(lambda m: (np.zeros((m, 2)), np.full(m, -1)), 5, 1)
    out = lone.outcome()
    assert out["filter_inactive[1]"] is True and out["filter_inactive"] is True
    assert "filter_inactive[0]" not in out  # only the classes drawn are reported


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
    assert out["filter_inactive"] is False and out["filter_inactive[1]"] is False


def test_both_filters_at_once_is_an_error():
    X, y = toy()
    with pytest.raises(ValueError, match="keep one and set the others to 0"):
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
        "sampler.amount_model=run_classifier_encoded",
        "classifier=knn",
        "classifier.n_neighbors=7",
    )
    dataset = load_dataset("keel:ecoli1")
    pipe, _ = fold_pipeline(dataset, Method("cvae", dict(cfg.sampler)), cfg)
    model = pipe.named_steps["sampler"].amount_model
    assert isinstance(model, KNeighborsClassifier) and model.n_neighbors == 7
    with pytest.raises(ValueError, match="resolved by genover's experiment"):
        CVAESampler(amount_model="run_classifier_encoded", amount_grid=[0, 1]).fit_resample(*toy())


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
            filter_confidence=0.0,  # the anchors alone
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
        anchor_noise=0.01,
    )

    class ZeroNoise(torch.nn.Module):  # x0 estimate = x_t / sqrt(abar_t): no denoising pull
        def forward(self, x, t, y):
            return torch.zeros_like(x)

    model.denoiser = ZeroNoise()
    anchors = torch.tensor([[4.0, 4.0], [0.7, -1.3]])
    model.fit_anchors(anchors, torch.tensor([0, 1]))
    out = model.sample(50, 1, torch.Generator().manual_seed(0))
    # noised to 1% noise (t = 3 of 50) and walked back: around the class-1 row (sd ~0.1), where a chain
    # from pure noise would end far away (clipped at 6) and class 0's row is at (4, 4)
    assert (out - anchors[1]).abs().max() < 0.6
    assert torch.allclose(out.mean(dim=0), anchors[1], atol=0.1)
    assert (out - anchors[1]).abs().max() > 0  # noised, not copied


def test_confidence_filter_keeps_scoring_when_one_class_has_a_single_row(caplog):
    X, y = overlapping()
    X = np.vstack([X, [[5.0, -5.0]]])
    y = np.r_[y, 2]  # a third class with one row: not scorable out of fold
    filt = ConfidenceFilter(quantile=0.2, k=10, folds=5, random_state=0).fit(X, y)
    assert set(filt.thresholds_) == {0, 1} and filt.thresholds_[1] > 0
    assert "class 2 has one row" in caplog.text
    ok, _ = filt.badness(np.array([[-1.5, -1.0]]), 1)
    assert not ok[0]  # class 1 is still filtered


def test_selection_rows_feed_neither_encoder_nor_anchors_nor_filter(monkeypatch):
    """With an amount grid, the selection rows score the amount and nothing else: the
    numeric encoder, the anchors and the confidence filter see the generator's rows only."""
    from genover.models.encoding import ModelEncoder

    seen = {}

    def spy(name, original):
        def wrapped(self, x, *args, **kwargs):
            seen[name] = len(x)
            return original(self, x, *args, **kwargs)

        return wrapped

    monkeypatch.setattr(ModelEncoder, "fit", spy("encoder", ModelEncoder.fit))
    monkeypatch.setattr(CVAE, "fit_anchors", spy("anchors", CVAE.fit_anchors))
    monkeypatch.setattr(ConfidenceFilter, "fit", spy("filter", ConfidenceFilter.fit))
    X, y = overlapping()
    sampler = CVAESampler(
        random_state=0,
        amount_grid=[0.0, 1.0],
        model={"hidden": [16], "latent_dim": 2},
        trainer={"max_steps": 4, "epoch_steps": 2},
    )
    sampler.fit_resample(X, y)
    held = len(sampler.selection_rows_)
    assert held > 0
    assert seen == {"encoder": len(X) - held, "anchors": len(X) - held, "filter": len(X) - held}


def test_the_sampler_hands_each_draws_anchor_to_the_filter(monkeypatch):
    seen = []
    original = ConfidenceFilter.badness

    def spy(self, rows, label, anchors=None):
        seen.append(np.asarray(anchors))
        return original(self, rows, label, anchors)

    monkeypatch.setattr(ConfidenceFilter, "badness", spy)
    X, y = overlapping()
    sampler = CVAESampler(
        random_state=0, model={"hidden": [16], "latent_dim": 2}, trainer={"max_steps": 4}
    )
    sampler.fit_resample(X, y)
    anchors = np.concatenate(seen)
    assert len(anchors) >= 400 - 30 and (anchors >= 0).all()  # posterior_share 1: all anchored
    assert set(anchors.tolist()) <= set(sampler.module_._anchors[1][2].tolist())


def test_the_old_downstream_name_says_what_it_became():
    with pytest.raises(ValueError, match="now 'run_classifier_encoded'"):
        CVAESampler(amount_model="downstream", amount_grid=[0, 1]).fit_resample(*toy())
