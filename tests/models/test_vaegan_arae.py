"""VAEGAN and ARAE as modules: which loss reaches which network, what the critic is trained
on, the posterior anchors, and settings rejected with the fix named."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genover import ARAESampler
from genover.models import ARAE, VAEGAN, TabularLayout
from genover.models.diagnostics import rbf_mmd

LAYOUT = TabularLayout(num_numeric=2, cat_sizes=(3,))


def rows(n: int = 16, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Encoded rows of two classes: two numeric columns and a one-hot category of three."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    cat = torch.nn.functional.one_hot(torch.randint(3, (n,), generator=g), 3).float()
    return torch.cat([torch.randn(n, 2, generator=g) + 2 * y[:, None], cat], 1), y


class Recorder:
    """An optimiser stand-in for a step without a Trainer: it records the gradient norm of
    each named network at every ``step`` (then steps the real optimiser)."""

    def __init__(self, optimiser, module, names):
        self.optimiser, self.module, self.names = optimiser, module, names
        self.steps: list[dict[str, float]] = []

    def zero_grad(self):
        self.optimiser.zero_grad()

    def step(self):
        norms = {}
        for name in self.names:
            grads = [p.grad for p in getattr(self.module, name).parameters()]
            norms[name] = float(sum(g.norm() ** 2 for g in grads if g is not None) ** 0.5)
        self.steps.append(norms)
        self.optimiser.step()


def one_manual_step(module, names) -> list[Recorder]:
    """Run one ``training_step`` with real optimisers behind recorders (no Trainer); the
    recorders come in ``configure_optimizers``' order."""
    recorders = [Recorder(opt, module, names) for opt in module.configure_optimizers()]
    module.optimizers = lambda: tuple(recorders)
    module.toggle_optimizer = module.untoggle_optimizer = lambda optimiser: None
    module.manual_backward = lambda loss: loss.backward()
    module.log_epoch_means = lambda values, batch_size: None
    module.training_step(rows(), 0)
    return recorders


def test_vaegan_feature_matching_term_trains_the_encoder_and_decoder():
    """With the NLL, KL and GAN terms off, the encoder/decoder step is driven by the distance
    in D's feature layer alone: a gradient must flow from D's features into both."""
    torch.manual_seed(0)
    only_features = VAEGAN(
        LAYOUT, 2, hidden=[16], latent_dim=3, class_dim=4, beta=0.0, nll_weight=0.0,
        adversarial_weight=0.0,
    )  # fmt: skip
    model_step, _ = one_manual_step(only_features, ["encoder", "decoder", "head"])
    assert model_step.steps[0]["decoder"] > 0 and model_step.steps[0]["encoder"] > 0
    # and D's features are what carries it: a constant feature layer passes nothing back
    torch.manual_seed(0)
    blind = VAEGAN(
        LAYOUT, 2, hidden=[16], latent_dim=3, class_dim=4, beta=0.0, nll_weight=0.0,
        adversarial_weight=0.0,
    )  # fmt: skip
    first = blind.discriminator.body[0].weight
    first.requires_grad_(False)  # stays zero through the discriminator's own step
    with torch.no_grad():
        first.zero_()
    model_step, _ = one_manual_step(blind, ["encoder", "decoder", "head"])
    assert model_step.steps[0]["decoder"] == 0


def test_vaegan_gan_term_reaches_the_decoder_but_not_the_encoder():
    torch.manual_seed(0)
    gan_only = VAEGAN(
        LAYOUT, 2, hidden=[16], latent_dim=3, class_dim=4, beta=0.0, nll_weight=1e-12,
        feature_weight=0.0,
    )  # fmt: skip
    model_step, d_step = one_manual_step(gan_only, ["encoder", "decoder", "discriminator"])
    assert d_step.steps[0]["discriminator"] > 0
    assert model_step.steps[0]["decoder"] > 1e-6
    assert model_step.steps[0]["encoder"] < 1e-9  # as in Larsen et al.: no GAN gradient


def test_arae_critic_is_trained_on_the_generators_codes_and_the_generator_on_the_critic():
    torch.manual_seed(0)
    module = ARAE(LAYOUT, 2, hidden=[16], code_dim=4, class_dim=4)
    x, y = rows()
    with torch.no_grad():  # what the critic step should see, before the step changes them
        real = module.encode(x)
        torch.manual_seed(5)
        generated = module.generate_codes(y)
    seen = []
    forward = module.critic.forward
    module.critic.forward = lambda c, y: seen.append((c.detach().clone(), y)) or forward(c, y)
    torch.manual_seed(5)
    model_step, critic_step = one_manual_step(module, ["critic", "generator", "encoder"])
    assert critic_step.steps[0]["critic"] > 0
    assert model_step.steps[0]["generator"] > 0 and model_step.steps[0]["encoder"] > 0
    # the critic step scores the batch's codes and codes generated for the batch's labels
    (real_in, real_y), (fake_in, fake_y) = seen[:2]
    torch.testing.assert_close(real_in, real)
    torch.testing.assert_close(fake_in, generated)
    assert torch.equal(real_y, y) and torch.equal(fake_y, y)
    radius = torch.full((len(y),), 2.0)  # sqrt(code_dim): both live on the code sphere
    torch.testing.assert_close(fake_in.norm(dim=1), radius)
    torch.testing.assert_close(real_in.norm(dim=1), radius)


def separated(n_major=150, n_minor=40, seed=0):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(-2, 0.5, (n_major, 2)), rng.normal(2, 0.5, (n_minor, 2))])
    return X, np.r_[np.zeros(n_major, int), np.ones(n_minor, int)]


def test_arae_generated_codes_match_each_class_of_real_codes():
    """After training, g(noise, y) (its moving average, which sampling uses) lands among the
    encoded rows of class y, not among the other class's."""
    X, y = separated()
    sampler = ARAESampler(
        random_state=0, numeric_transform="standard", class_balance=1.0, val_fraction=0.0,
        model={"hidden": [32, 32], "code_dim": 4}, trainer={"max_steps": 600, "epoch_steps": 50},
    )  # fmt: skip
    sampler.fit_resample(X, y)
    module = sampler.module_
    x = torch.as_tensor(sampler.encoder_.transform(sampler.codec_.encode(X)), dtype=torch.float32)
    with torch.no_grad():
        real = {c: module.encode(x[torch.as_tensor(y == c)]) for c in (0, 1)}
        g = torch.Generator().manual_seed(1)
        fake = {c: module.generate_codes(torch.full((200,), c), g, averaged=True) for c in (0, 1)}
    mmd = {(a, b): rbf_mmd(fake[a], real[b]).item() for a in (0, 1) for b in (0, 1)}
    for c in (0, 1):
        assert mmd[(c, c)] < 0.5 * mmd[(c, 1 - c)], mmd


def test_vaegan_posterior_draws_start_from_the_own_class_codes():
    """As the CVAE's: posterior_scale 0 makes every code a real row's posterior mean."""
    model = VAEGAN(TabularLayout(2), 2, hidden=[8], latent_dim=3, posterior_share=1.0,
                   posterior_scale=0.0)  # fmt: skip
    x, y = torch.randn(12, 2), torch.tensor([0] * 8 + [1] * 4)
    model.fit_anchors(x, y)
    mu1 = model._anchors[1][0]
    z, _ = model._posterior_draws(
        torch.randn(50, 3), torch.ones(50, dtype=torch.long), 1.0, torch.Generator().manual_seed(0)
    )
    assert all(any(torch.allclose(row, m) for m in mu1) for row in z)
    model.hparams.posterior_share = 0.0
    model.fit_anchors(x, y)
    assert model._anchors == {}


@pytest.mark.parametrize(
    ("cls", "options", "message"),
    [
        (VAEGAN, {"feature_weight": 0.0, "nll_weight": 0.0}, "set feature_weight > 0 or nll_"),
        (VAEGAN, {"adversarial_weight": -1.0}, r"weights must be >= 0; got adversarial_weig"),
        (VAEGAN, {"tau": 0.0}, r"use tau > 0"),
        (VAEGAN, {"posterior_share": 1.5}, r"posterior_share=1.5 must lie in \[0, 1\]"),
        (ARAE, {"gp_weight": -1.0}, r"must be >= 0; got gp_weight=-1.0"),
        (ARAE, {"critic_lr_factor": 0.0}, r"critic_lr_factor=0.0 .* use a value > 0"),
        (ARAE, {"ema_decay": 1.0}, r"ema_decay=1.0 must lie in \[0, 1\)"),
    ],
)
def test_bad_settings_are_rejected_with_the_fix(cls, options, message):
    with pytest.raises(ValueError, match=message):
        cls(LAYOUT, 2, hidden=[8], **options)
