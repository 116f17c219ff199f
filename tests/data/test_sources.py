"""Dataset specs and the clear errors every bad input gets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genover.data import load_dataset


@pytest.fixture
def claims(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "amount": rng.normal(100, 10, 60),
            "visits": rng.integers(0, 5, 60),
            "region": rng.choice(["north", "south", "east"], 60),
            "is_fraud": ["yes"] * 6 + ["no"] * 54,
        }
    )
    return frame


def _write(frame, path):
    if path.suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False)
    return f"file:{path}"


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_file_spec_detects_categoricals_and_integers(claims, tmp_path, suffix):
    spec = _write(claims, tmp_path / f"claims{suffix}")
    data = load_dataset(spec, target="is_fraud")
    assert data.feature_names == ["amount", "visits", "region"]
    assert data.categorical_mask.tolist() == [False, False, True]
    assert data.columns[2].categories == ("east", "north", "south")
    assert data.columns[1].integer and not data.columns[0].integer
    assert data.class_names[data.minority_class] == "yes"
    roundtrip = data.to_frame()
    assert roundtrip["region"].astype(str).tolist() == claims["region"].tolist()


def test_declared_categorical_column(claims, tmp_path):
    data = load_dataset(
        _write(claims, tmp_path / "c.csv"), target="is_fraud", categorical=["visits"]
    )
    assert data.categorical_mask.tolist() == [False, True, True]


def test_missing_target_column_suggests_close_names(claims, tmp_path):
    spec = _write(claims, tmp_path / "c.csv")
    with pytest.raises(ValueError, match=r"'is_frad' is not in.*Did you mean 'is_fraud'"):
        load_dataset(spec, target="is_frad")
    with pytest.raises(ValueError, match="needs the label column: add target="):
        load_dataset(spec)


def test_empty_file(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="is empty"):
        load_dataset(f"file:{tmp_path / 'empty.csv'}", target="y")
    (tmp_path / "header.csv").write_text("a,b,y\n")
    with pytest.raises(ValueError, match="is empty"):
        load_dataset(f"file:{tmp_path / 'header.csv'}", target="y")


def test_missing_file_and_bad_scheme(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_dataset(f"file:{tmp_path / 'nope.csv'}", target="y")
    with pytest.raises(ValueError, match="unknown dataset scheme 'kel'"):
        load_dataset("kel:yeast4")
    with pytest.raises(ValueError, match="has no scheme"):
        load_dataset("yeast4")


def test_nan_and_inf_name_the_columns_and_impute_allows_them(claims, tmp_path):
    claims.loc[3, "amount"] = np.nan
    claims["visits"] = claims["visits"].astype(float)
    claims.loc[5, "visits"] = np.inf
    spec = _write(claims, tmp_path / "c.csv")
    with pytest.raises(ValueError, match=r"'amount' \(1 rows\).*'visits' \(1 rows, inf\).*impute"):
        load_dataset(spec, target="is_fraud")
    data = load_dataset(spec, target="is_fraud", impute="median")
    assert np.isnan(data.X).sum() == 2 and len(data.y) == 60  # no row dropped
    with pytest.raises(ValueError, match="impute='zero' is not a strategy"):
        load_dataset(spec, target="is_fraud", impute="zero")


def test_only_one_class(tmp_path):
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "y": ["x", "x", "x"]})
    with pytest.raises(ValueError, match="only one class"):
        load_dataset(_write(frame, tmp_path / "one.csv"), target="y")


def test_non_numeric_values_in_numeric_column(tmp_path):
    frame = pd.DataFrame({"a": ["1.5", "2.0", "oops", "4"] * 3, "y": ["p", "n", "n", "n"] * 3})
    with pytest.raises(ValueError, match=r"numeric column 'a' holds non-numeric values \('oops'\)"):
        load_dataset(_write(frame, tmp_path / "nn.csv"), target="y")


def test_sklearn_and_synthetic_specs():
    digits = load_dataset("sklearn:digits:3")
    assert digits.n_classes == 2 and digits.class_names[digits.minority_class] == "3"
    assert load_dataset("sklearn:wine").n_classes == 3
    synth = load_dataset("synthetic:n600:d7:ir20", seed=3)
    assert synth.X.shape == (600, 7) and 15 < synth.imbalance_ratio < 25
    three = load_dataset("synthetic:n900:c3:ir9")
    assert three.n_classes == 3 and three.minority_classes[-1] != three.majority_class
    again = load_dataset("synthetic:n600:d7:ir20", seed=3)
    np.testing.assert_array_equal(synth.X, again.X)
    with pytest.raises(ValueError, match="bad synthetic option 'q5'"):
        load_dataset("synthetic:q5")
    with pytest.raises(ValueError, match="has no class '12'"):
        load_dataset("sklearn:digits:12")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize(
    "dates",
    [
        pd.date_range("2024-01-01", periods=60, freq="D"),  # datetime64 in Parquet
        pd.date_range("2024-01-01", periods=60, freq="D", tz="UTC"),
        pd.date_range("2024-01-01 08:00", periods=60, freq="h").strftime("%d/%m/%Y %H:%M"),
        np.resize(["2024-01-01", "2024-02-01"], 60),  # few distinct dates: still no category
    ],
)
def test_a_date_column_is_an_error_naming_it_and_the_choices(claims, tmp_path, suffix, dates):
    claims["opened"] = dates
    spec = _write(claims, tmp_path / f"c{suffix}")
    fix = r"'opened' holds dates or times.*Drop it, or convert it to numbers.*day of year"
    with pytest.raises(ValueError, match=fix):
        load_dataset(spec, target="is_fraud")
    with pytest.raises(ValueError, match=fix):
        load_dataset(spec, target="is_fraud", categorical=["opened"])


def test_dates_among_other_text_are_a_category(claims, tmp_path):
    claims["note"] = np.resize(["2024-01-01", "pending"], 60)
    data = load_dataset(_write(claims, tmp_path / "c.csv"), target="is_fraud")
    assert data.columns[-1].categories == ("2024-01-01", "pending")


def test_a_category_with_a_different_value_in_every_row_is_an_error(claims, tmp_path):
    claims["claim_id"] = [f"C{i:04d}" for i in range(60)]
    spec = _write(claims, tmp_path / "c.csv")
    with pytest.raises(ValueError, match=r"'claim_id' is read as categorical.*each of its 60 "):
        load_dataset(spec, target="is_fraud")
    spec = _write(claims.drop(columns="claim_id"), tmp_path / "d.csv")
    with pytest.raises(ValueError, match=r"'amount' is declared categorical.*leave it out of"):
        load_dataset(spec, target="is_fraud", categorical=["amount"])
    small = claims.drop(columns="claim_id").iloc[:8]  # 8 rows: too few to call it an identifier
    small["tag"] = list("abcdefgh")
    load_dataset(_write(small, tmp_path / "e.csv"), target="is_fraud")


def test_parquet_text_columns_stay_categories_even_when_they_look_numeric(tmp_path):
    """The experiment read a Parquet text column of ZIP codes as numbers ("00501" became
    501.0) while genover-generate kept it as categories."""
    frame = pd.DataFrame(
        {
            "zip": ["00501", "02134", "00501", "02134"] * 5,
            "size": pd.Categorical(["1", "2"] * 10),
            "x": np.arange(20.0),
            "y": ["a"] * 15 + ["b"] * 5,
        }
    )
    frame.to_parquet(tmp_path / "t.parquet")
    data = load_dataset(f"file:{tmp_path / 't.parquet'}", target="y")
    kinds = {c.name: (c.kind, c.categories) for c in data.columns}
    assert kinds["zip"] == ("categorical", ("00501", "02134"))
    assert kinds["size"] == ("categorical", ("1", "2"))
    assert kinds["x"] == ("numeric", ())


def test_a_directory_is_named_as_one(tmp_path):
    """data=file:<a directory> said the path did not exist."""
    (tmp_path / "claims.csv").write_text("a,y\n1,x\n2,z\n")
    with pytest.raises(ValueError, match=r"is a directory; give a .csv.*It holds claims.csv"):
        load_dataset(f"file:{tmp_path}", target="y")


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("b", [1e300, -2e300, 3e300] * 10, r"'b'.*as large as 3e\+300, too large to scale"),
        ("b", [np.nan] * 30, r"column 'b' .*has no values \(all missing\).*Drop it"),
        ("y", np.linspace(0.5, 9.5, 30), r"target column 'y' .*is continuous \(30 distinct"),
    ],
)
def test_numeric_inputs_get_errors_that_name_the_column(tmp_path, column, values, message):
    """Values near 1e300 failed later as "Input X contains NaN" with no column named; an
    all-missing column with impute=median passed genover and was refused by generate; a
    continuous target was blamed on categories."""
    frame = pd.DataFrame({"a": np.arange(30.0), "b": np.ones(30), "y": ["p", "q", "q"] * 10})
    frame[column] = values
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(ValueError, match=message):
        load_dataset(f"file:{tmp_path / 't.csv'}", target="y", impute="median")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("synthetic:n1.5", r"synthetic:n1.5: 'n1.5' needs a whole number"),
        ("synthetic:n300:d2:c5", r"synthetic:n300:d2:c5: 5 classes need at least 6 features"),
        ("sklearn:digits:11", r"no class '11'; classes: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9\.$"),
        ("latin1", r"'.*t.csv' is not UTF-8 text \(byte 0xe9.*save it as UTF-8"),
    ],
)
def test_messages_name_the_option_or_the_file(tmp_path, spec, message):
    """int()'s, make_classification's and pandas' messages, or classes shown as np.str_."""
    if spec == "latin1":
        (tmp_path / "t.csv").write_bytes("a,y\n1,caf\xe9\n2,b\n".encode("latin1"))
        spec = f"file:{tmp_path / 't.csv'}"
    with pytest.raises(ValueError, match=message):
        load_dataset(spec, target="y")


@pytest.mark.parametrize("column", ["y", "c"])
def test_values_differing_only_by_spaces_are_an_error(tmp_path, column):
    """genover merged "yes" and "yes " (it strips spaces) while genover-generate kept them
    apart: the two commands saw different classes."""
    frame = pd.DataFrame({"a": np.arange(12.0), "c": ["u", "v"] * 6, "y": ["no"] * 8 + ["yes"] * 4})
    frame.loc[[0, 9], column] = frame.loc[[0, 9], column] + " "
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(ValueError, match=rf"column '{column}'.*differ only by surrounding spaces"):
        load_dataset(f"file:{tmp_path / 't.csv'}", target="y")
