"""Tabular preprocessing: scaling, one-hot widths, code mode and per-fold imputation."""

from __future__ import annotations

import numpy as np
import pytest

from genover.data import OneHotCategoricals, TabularTransformer


@pytest.fixture
def mixed():
    rng = np.random.default_rng(0)
    return np.column_stack([rng.normal(5, 2, 50), rng.integers(0, 3, 50), rng.normal(-1, 4, 50)])


def test_standard_scaling_and_fixed_one_hot_width(mixed):
    t = TabularTransformer("standard", categorical_features=[1], n_categories=[4]).fit(mixed)
    out = t.transform(mixed)
    assert out.shape == (50, 2 + 4)  # width fixed by the schema, not by the codes seen
    np.testing.assert_allclose(out[:, :2].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out[:, 2:].sum(axis=1), 1)
    assert out[:, 5].sum() == 0  # category 3 never occurs


def test_code_mode_keeps_categories_after_numerics(mixed):
    t = TabularTransformer("quantile", categorical_features=[1], one_hot=False).fit(mixed)
    out = t.transform(mixed)
    assert out.shape == (50, 3) and t.categorical_features_out_.tolist() == [2]
    np.testing.assert_array_equal(out[:, 2], mixed[:, 1])


def test_impute_is_fitted_on_the_training_rows_only(mixed):
    train = mixed.copy()
    train[0, 0] = np.nan
    t = TabularTransformer("none", categorical_features=[1], one_hot=False, impute="median").fit(
        train
    )
    test = np.array([[np.nan, 1.0, 0.0]])
    assert t.transform(test)[0, 0] == pytest.approx(np.nanmedian(train[:, 0]))


def test_bad_scaler_name(mixed):
    with pytest.raises(ValueError, match="numeric='minmax' is not a scaler"):
        TabularTransformer("minmax").fit(mixed)


def test_one_hot_after_resampling_rounds_fractional_codes():
    X = np.array([[0.5, 0.0], [1.0, 1.6], [2.0, 2.2]])
    out = OneHotCategoricals([1], [3]).fit(X).transform(X)
    np.testing.assert_array_equal(out[:, 1:], np.eye(3)[[0, 2, 2]])
