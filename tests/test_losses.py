"""Each loss against a formula written out again here, plus identities and limits."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from genover.losses import (
    BalancedSoftmaxLoss,
    CrossEntropyLoss,
    FocalLoss,
    LargeMarginCosineLoss,
    LDAMLoss,
    class_weights,
)

COUNTS = [90, 10]
RAW = torch.tensor([[2.0, -1.0], [0.5, 0.3], [-1.0, 1.5]])
Y = torch.tensor([0, 1, 1])


def _log_softmax_rows(raw, y):
    return [
        raw[i, y[i]].item() - math.log(sum(math.exp(v) for v in raw[i].tolist()))
        for i in range(len(y))
    ]


def test_weighting_schemes_by_hand():
    n = [90.0, 10.0]
    inv = [100 / 90, 100 / 10]
    assert class_weights(n, "inverse").tolist() == pytest.approx([2 * w / sum(inv) for w in inv])
    sq = [90**-0.5, 10**-0.5]
    assert class_weights(n, "sqrt_inverse").tolist() == pytest.approx([2 * w / sum(sq) for w in sq])
    b = 0.99
    en = [(1 - b) / (1 - b**90), (1 - b) / (1 - b**10)]
    assert class_weights(n, "effective_number", b).tolist() == pytest.approx(
        [2 * w / sum(en) for w in en]
    )
    assert class_weights(n, "none").tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="unknown weighting 'cubic'"):
        class_weights(n, "cubic")


def test_effective_number_limits():
    n = [500, 50, 5]
    torch.testing.assert_close(class_weights(n, "effective_number", 0.0), torch.ones(3))
    torch.testing.assert_close(
        class_weights(n, "effective_number", 0.999999),
        class_weights(n, "inverse"),
        rtol=1e-3,
        atol=1e-3,
    )


def test_weighted_ce_by_hand():
    w = class_weights(COUNTS, "inverse")
    lp = _log_softmax_rows(RAW, Y)
    expected = -sum(w[Y[i]].item() * lp[i] for i in range(3)) / sum(
        w[Y[i]].item() for i in range(3)
    )
    assert CrossEntropyLoss(COUNTS, "inverse")(RAW, Y).item() == pytest.approx(expected, rel=1e-6)


def test_binary_focal_sigmoid_form_by_hand():
    gamma, alpha = 2.0, 0.75  # alpha weighs the minority class (index 1 here)
    loss = FocalLoss(COUNTS, gamma=gamma, alpha=alpha)(RAW, Y).item()
    total = 0.0
    for i in range(3):
        z = RAW[i, 1].item() - RAW[i, 0].item()
        p1 = 1 / (1 + math.exp(-z))
        pt = p1 if Y[i] == 1 else 1 - p1
        a = alpha if Y[i] == 1 else 1 - alpha
        total += -a * (1 - pt) ** gamma * math.log(pt)
    assert loss == pytest.approx(total / 3, rel=1e-5)


def test_multiclass_focal_softmax_form_by_hand():
    raw = torch.tensor([[1.0, 0.0, -1.0], [0.2, 0.1, 2.0]])
    y = torch.tensor([1, 2])
    loss = FocalLoss([50, 30, 5], gamma=1.5)(raw, y).item()
    lp = _log_softmax_rows(raw, y)
    expected = sum(-((1 - math.exp(v)) ** 1.5) * v for v in lp) / 2
    assert loss == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("weighting", ["none", "inverse", "effective_number"])
def test_focal_with_gamma_zero_is_weighted_ce(weighting):
    focal = FocalLoss(COUNTS, gamma=0.0, weighting=weighting)(RAW, Y)
    ce = CrossEntropyLoss(COUNTS, weighting)(RAW, Y)
    torch.testing.assert_close(focal, ce)


def test_balanced_softmax_by_hand_and_uniform_prior_is_ce():
    prior = [0.9, 0.1]
    shifted = RAW + torch.log(torch.tensor(prior))
    expected = -sum(_log_softmax_rows(shifted, Y)) / 3
    loss = BalancedSoftmaxLoss(COUNTS)
    assert loss(RAW, Y).item() == pytest.approx(expected, rel=1e-6)
    torch.testing.assert_close(loss.logits(RAW), RAW)  # plain logits at inference
    torch.testing.assert_close(BalancedSoftmaxLoss([40, 40])(RAW, Y), F.cross_entropy(RAW, Y))


def test_ldam_margins_and_value_by_hand():
    counts = [1000, 100, 10]
    loss = LDAMLoss(counts, max_margin=0.5, s=10.0, drw_fraction=None, weighting="none")
    raw_m = [c**-0.25 for c in counts]
    expected_m = [0.5 * m / max(raw_m) for m in raw_m]
    assert loss.margins.tolist() == pytest.approx(expected_m)
    assert loss.margins.max().item() == pytest.approx(0.5)
    cos = torch.tensor([[0.9, 0.1, -0.2], [0.3, 0.4, 0.5]])
    y = torch.tensor([0, 2])
    shifted = cos.clone()
    shifted[0, 0] -= expected_m[0]
    shifted[1, 2] -= expected_m[2]
    expected = -sum(_log_softmax_rows(10 * shifted, y)) / 2
    assert loss(cos, y).item() == pytest.approx(expected, rel=1e-5)


def test_drw_switches_weights_on_late():
    loss = LDAMLoss(COUNTS, drw_fraction=0.5)
    loss.set_epoch(4, 10)
    assert loss.active_weight() is None
    loss.set_epoch(5, 10)
    torch.testing.assert_close(
        loss.active_weight(), class_weights(COUNTS, "effective_number", 0.9999)
    )


def test_lmcl_class_balanced_margins_by_hand():
    counts = [400, 100, 25]
    loss = LargeMarginCosineLoss(counts, m0=0.2, alpha=0.5, s=5.0)
    assert loss.margins.tolist() == pytest.approx([0.2, 0.2 * 2.0, 0.2 * 4.0])
    cos = torch.tensor([[0.1, 0.7, 0.2]])
    y = torch.tensor([1])
    shifted = torch.tensor([[0.1, 0.7 - 0.4, 0.2]])
    assert loss(cos, y).item() == pytest.approx(-_log_softmax_rows(5 * shifted, y)[0], rel=1e-5)


LOSS_MAKERS = [
    lambda: CrossEntropyLoss(COUNTS, "effective_number"),
    lambda: FocalLoss(COUNTS, gamma=2.0, alpha=0.25),
    lambda: FocalLoss([50, 30, 5], gamma=2.0, weighting="effective_number"),
    lambda: BalancedSoftmaxLoss(COUNTS),
    lambda: LDAMLoss(COUNTS, drw_fraction=None),
    lambda: LargeMarginCosineLoss(COUNTS),
]


@pytest.mark.parametrize("make", LOSS_MAKERS)
def test_gradients_stay_finite_at_saturated_probabilities(make):
    loss = make()
    k = loss.num_classes
    scale = 1.0 if loss.needs_cosine_head else 60.0  # p ~ 1 and p ~ 0 in float32
    raw = torch.zeros(4, k)
    raw[0, 0] = raw[1, 1] = scale
    raw[2, 0] = raw[3, 1] = -scale
    raw.requires_grad_(True)
    y = torch.tensor([0, 1, 0, 1]) % k
    value = loss(raw, y)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(raw.grad).all()


def test_losses_move_with_the_module():
    loss = LDAMLoss(COUNTS).to(torch.float64)
    names = {name for name, _ in loss.named_buffers()}
    assert {"counts", "class_weight", "margins"} <= names
