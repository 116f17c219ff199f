"""Building blocks: schedules, the diffusion process, the mixed likelihood, batching."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from genover.models.components.diffusion import GaussianDiffusion
from genover.models.components.mixed import MixedHead, TabularLayout
from genover.models.components.schedules import (
    cosine_beta_schedule,
    linear_beta_schedule,
    make_schedule,
)
from genover.training.batches import TabularDataModule, TensorBatches, stratified_holdout


def test_schedules_are_valid_noise_levels():
    for betas in (linear_beta_schedule(100), cosine_beta_schedule(100)):
        assert betas.shape == (100,) and (betas > 0).all() and (betas < 1).all()
        alpha_bar = torch.cumprod(1 - betas, 0)
        assert (alpha_bar[1:] < alpha_bar[:-1]).all() and alpha_bar[-1] < 0.05
    # Nichol & Dhariwal's closed form for alpha_bar at the midpoint
    s = 0.008
    expected = (
        math.cos((0.5 + s) / (1 + s) * math.pi / 2) ** 2 / math.cos(s / (1 + s) * math.pi / 2) ** 2
    )
    assert torch.cumprod(1 - cosine_beta_schedule(1000), 0)[499].item() == pytest.approx(
        expected, rel=1e-2
    )
    with pytest.raises(ValueError, match="unknown noise schedule 'sigmoid'"):
        make_schedule("sigmoid", 10)


def test_q_sample_moments_and_x0_inversion():
    diffusion = GaussianDiffusion(cosine_beta_schedule(50))
    x0 = torch.full((20000, 1), 2.0)
    t = torch.full((20000,), 30, dtype=torch.long)
    noise = torch.randn_like(x0)
    xt = diffusion.q_sample(x0, t, noise)
    abar = diffusion.alphas_cumprod[30]
    assert xt.mean().item() == pytest.approx(2.0 * abar.sqrt().item(), abs=0.03)
    assert xt.var().item() == pytest.approx(1 - abar.item(), abs=0.03)
    torch.testing.assert_close(diffusion.predict_x0(xt, t, noise), x0, atol=1e-4, rtol=0)


@pytest.mark.parametrize(
    ("sampler", "options"),
    [("ancestral", {}), ("ddim", {"steps": 250}), ("ddim", {"steps": 1000, "eta": 1.0})],
    ids=["ancestral", "ddim_eta0", "ddim_eta1"],
)
def test_samplers_draw_a_gaussian_target_with_its_exact_denoiser(sampler, options):
    # Data x0 ~ N(mu, s^2) per feature. Then x_t = sqrt(abar) x0 + sqrt(1 - abar) eps is
    # Gaussian with variance v = abar s^2 + 1 - abar, and the best noise prediction is linear:
    # E[eps | x_t] = sqrt(1 - abar) (x_t - sqrt(abar) mu) / v. Every step of the chain matters
    # (a one-point target only tests the last), so the draws must have mean mu and std s.
    # With 1,000 steps the exact chain's std is within 0.8% of s (0.94 s with 100 steps).
    diffusion = GaussianDiffusion(linear_beta_schedule(1000))
    mu, s = torch.tensor([1.5, -0.5]), torch.tensor([0.5, 1.5])

    def oracle(x, t, y):
        abar = diffusion.alphas_cumprod[t][:, None]
        return (1 - abar).sqrt() * (x - abar.sqrt() * mu) / (abar * s**2 + 1 - abar)

    gen = torch.Generator().manual_seed(0)
    n = 20_000
    x_T = torch.randn((n, 2), generator=gen)
    y = torch.zeros(n, dtype=torch.long)
    if sampler == "ddim":
        out = diffusion.ddim_sample(oracle, x_T, y, gen, **options)
    else:
        out = diffusion.p_sample_loop(oracle, x_T, y, gen)
    # standard errors: mean 0.007 s, std 0.005 s
    assert ((out.mean(0) - mu) / s).abs().max().item() < 0.03, out.mean(0)
    assert ((out.std(0) / s) - 1).abs().max().item() < 0.03, out.std(0)


def test_mixed_nll_matches_the_formula():
    layout = TabularLayout(1, (3,))
    head = MixedHead(4, layout)
    with torch.no_grad():
        head.log_sigma.fill_(math.log(2.0))
    out = torch.tensor([[0.5, 1.0, 2.0, 3.0]])
    x = torch.tensor([[1.5, 0.0, 0.0, 1.0]])
    z = (1.5 - 0.5) / 2.0
    gaussian = 0.5 * z**2 + math.log(2.0)
    ce = -math.log(math.exp(3.0) / (math.exp(1.0) + math.exp(2.0) + math.exp(3.0)))
    assert head.nll(out, x).item() == pytest.approx(gaussian + ce, rel=1e-6)
    drawn = head.sample(out.repeat(500, 1), torch.Generator().manual_seed(0))
    assert torch.all(drawn[:, 1:].sum(1) == 1)
    assert drawn[:, 3].mean().item() == pytest.approx(
        math.exp(3) / (math.exp(1) + math.exp(2) + math.exp(3)), abs=0.06
    )


def test_relaxed_rows_draw_numerics_from_the_likelihood_differentiably():
    """``relax(noise=True)``: numerics are mean + sigma * eps (gradients reach log_sigma),
    categories Gumbel-softmax probabilities; without noise the numerics are the means."""
    layout = TabularLayout(1, (3,))
    head = MixedHead(4, layout)
    with torch.no_grad():
        head.log_sigma.fill_(math.log(0.5))
    out = torch.tensor([[2.0, 0.0, 0.0, 5.0]]).repeat(4000, 1)
    drawn = head.relax(out, tau=0.2, noise=True)
    assert drawn[:, 0].mean().item() == pytest.approx(2.0, abs=0.03)
    assert drawn[:, 0].std().item() == pytest.approx(0.5, abs=0.03)
    torch.testing.assert_close(drawn[:, 1:].sum(1), torch.ones(4000))
    assert drawn[:, 3].mean().item() > 0.9
    drawn[:, 0].pow(2).mean().backward()
    assert head.log_sigma.grad.abs().item() > 0
    assert torch.equal(head.relax(out, noise=False)[:, 0], out[:, 0])


def test_tensor_batches_cover_each_row_once_and_balance_on_request():
    x = torch.arange(10.0)[:, None]
    y = torch.tensor([0] * 9 + [1])
    batches = list(TensorBatches((x, y), 4, True, seed=0))
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    assert sorted(torch.cat([b[0] for b in batches]).squeeze(1).tolist()) == list(range(10))
    weights = torch.tensor([1 / 9] * 9 + [1.0])
    balanced = TensorBatches((x, y), 10, True, 0, weights)
    drawn = torch.cat([b[1] for _ in range(200) for b in balanced])
    assert drawn.float().mean().item() == pytest.approx(0.5, abs=0.05)


def test_holdout_is_stratified_and_spares_tiny_classes():
    y = np.array([0] * 100 + [1] * 20 + [2] * 3)
    mask = stratified_holdout(y, 0.25, seed=0)
    assert mask[y == 0].sum() == 25 and mask[y == 1].sum() == 5 and mask[y == 2].sum() == 0
    dm = TabularDataModule(np.zeros((123, 2)), y, 16, 0.25, 0, class_balance=1.0)
    dm.setup()
    w = dm.train_weights()
    assert w[dm.train_y == 2].sum().item() == pytest.approx(w[dm.train_y == 0].sum().item())


def test_holdout_caps_large_classes_so_validation_cost_stays_flat():
    y = np.r_[np.zeros(40_000, int), np.ones(100, int)]
    mask = stratified_holdout(y, 0.15, seed=0)
    assert mask[y == 0].sum() == 5000 and mask[y == 1].sum() == 15
    assert stratified_holdout(y, 0.15, seed=0, cap=None)[y == 0].sum() == 6000
