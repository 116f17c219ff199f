"""sampler=sv: the smote-variants library's own oversamplers behind imblearn's API."""

from __future__ import annotations

import numpy as np
import pytest
from imblearn.pipeline import make_pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

from genover.samplers import SmoteVariants

sv = pytest.importorskip("smote_variants")


def data(n_major=150, n_minor=20, seed=0):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0, 1, (n_major, 3)), rng.normal(1.5, 0.5, (n_minor, 3))])
    return X, np.r_[np.zeros(n_major, int), np.ones(n_minor, int)]


@pytest.mark.parametrize("name", ["ProWSyn", "polynom_fit_SMOTE_star"])
def test_rows_are_the_librarys_own_for_the_same_seed(name):
    X, y = data()
    sampler = SmoteVariants(name=name, random_state=3)
    Xr, yr = sampler.fit_resample(X, y)
    # the same seed that genover derives from random_state=3, passed to the library directly
    seed = int(np.random.RandomState(3).randint(np.iinfo(np.int32).max))
    X_lib, y_lib = getattr(sv, name)(proportion=1.0, random_state=seed).sample(X, y)
    np.testing.assert_array_equal(Xr, X_lib)
    np.testing.assert_array_equal(yr, y_lib)
    assert sampler.outcome_["synthetic_rows"] == len(yr) - len(y)
    assert sampler.outcome_["requested_rows"] == 130


def test_sampling_strategy_sets_the_share_of_the_gap():
    X, y = data()
    Xr, yr = SmoteVariants(name="ProWSyn", sampling_strategy=0.5, random_state=0).fit_resample(X, y)
    assert np.bincount(yr).tolist() == [150, 75]  # 0.5 x 150 minority rows after resampling
    np.testing.assert_array_equal(Xr[: len(X)], X)  # the real rows come first, unchanged


def test_unknown_name_suggests_the_right_spelling():
    X, y = data()
    with pytest.raises(ValueError, match="no oversampler named 'prowsyn'.*Did you mean ProWSyn"):
        SmoteVariants(name="prowsyn").fit_resample(X, y)


def test_multiclass_is_a_clear_error():
    X, y = data()
    y = y.copy()
    y[:40] = 2
    with pytest.raises(ValueError, match="handles two classes; y has 3"):
        SmoteVariants().fit_resample(X, y)


def test_works_in_an_imblearn_pipeline_with_cross_validation():
    X, y = data()
    pipe = make_pipeline(SmoteVariants(name="ProWSyn", random_state=0), LogisticRegression())
    scores = cross_val_score(pipe, X, y, cv=3, scoring="average_precision")
    plain = cross_val_score(LogisticRegression(), X, y, cv=3, scoring="average_precision")
    assert len(scores) == 3
    assert not np.allclose(scores, plain)  # the sampler changed what the classifier saw


def test_config_option_builds_the_named_oversampler(compose_cfg):
    from genover.experiment import build

    cfg = compose_cfg("sampler=sv", "sampler.name=polynom_fit_SMOTE_star", "seed=4")
    sampler = build(cfg.sampler)
    assert isinstance(sampler, SmoteVariants)
    assert sampler.get_params()["name"] == "polynom_fit_SMOTE_star"
    assert sampler.get_params()["random_state"] == 4


def test_requested_count_survives_the_librarys_rounding():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0, 1, (200, 3)), rng.normal(1.5, 0.5, (100, 3))])
    y = np.r_[np.zeros(200, int), np.ones(100, int)]
    # 0.645 x 200 = 129 minority rows: 29 new, where 100 x 0.29 floors to 28 in the library
    _, yr = SmoteVariants(name="ProWSyn", sampling_strategy=0.645, random_state=0).fit_resample(
        X, y
    )
    assert np.bincount(yr).tolist() == [200, 129]


def test_reserved_params_are_rejected():
    X, y = data()
    with pytest.raises(ValueError, match="set by genover"):
        SmoteVariants(params={"proportion": 0.5}).fit_resample(X, y)
