"""genover-generate: the augmented table, its manifest, and safe writing."""

from __future__ import annotations

import hashlib
import json
import logging
import os

import numpy as np
import pandas as pd
import pytest

from genover.generate import generate
from tests.conftest import FAST_GENERATOR, fast_sampler_overrides


@pytest.fixture
def claims_csv(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "amount": rng.gamma(2.0, 40.0, 90).round(2),
            "visits": rng.integers(0, 7, 90),
            "plan": rng.choice(["basic", "gold"], 90),
            "is_fraud": ["yes"] * 12 + ["no"] * 78,
        }
    )
    path = tmp_path / "claims.csv"
    frame.to_csv(path, index=False)
    return path, frame


def _cfg(compose_cfg, *overrides):
    return compose_cfg(*FAST_GENERATOR, *overrides, tiny=False, config_name="generate")


def test_parquet_output_restores_columns_types_and_flags_synthetic(
    compose_cfg, claims_csv, tmp_path
):
    path, frame = claims_csv
    out = tmp_path / "out" / "aug.parquet"
    manifest = generate(_cfg(compose_cfg, f"data=file:{path}", "target=is_fraud", f"out={out}"))
    table = pd.read_parquet(out)
    assert list(table.columns) == ["amount", "visits", "plan", "is_fraud", "is_synthetic"]
    assert table["visits"].dtype == frame["visits"].dtype
    assert table["is_synthetic"].sum() == 78 - 12 and not table["is_synthetic"].iloc[:90].any()
    pd.testing.assert_frame_equal(table.iloc[:90, :4], frame, check_dtype=False)
    synthetic = table[table["is_synthetic"]]
    assert set(synthetic["plan"]) <= {"basic", "gold"} and set(synthetic["is_fraud"]) == {"yes"}
    assert (synthetic["visits"] == synthetic["visits"].round()).all()
    assert manifest["class_counts_before"] == {"no": 78, "yes": 12}
    assert manifest["class_counts_after"] == {"no": 78, "yes": 78}
    assert manifest["input"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    on_disk = json.loads((out.parent / "aug.parquet.manifest.json").read_text())
    assert on_disk["seed"] == 0 and on_disk["training_seconds"] > 0
    assert on_disk["config"]["sampler"]["_target_"] == "genover.samplers.CVAESampler"
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []
    umask = os.umask(0)
    os.umask(umask)
    for written in (out, out.parent / "aug.parquet.manifest.json"):
        assert written.stat().st_mode & 0o777 == 0o666 & ~umask


def test_refuses_to_overwrite_unless_asked(compose_cfg, claims_csv, tmp_path):
    path, _ = claims_csv
    out = tmp_path / "aug.csv"
    out.write_text("precious\n")
    args = (f"data=file:{path}", "target=is_fraud", f"out={out}")
    with pytest.raises(ValueError, match="exists; refusing to overwrite it. Pass overwrite=true"):
        generate(_cfg(compose_cfg, *args))
    assert out.read_text() == "precious\n"
    generate(_cfg(compose_cfg, *args, "overwrite=true"))
    assert pd.read_csv(out)["is_synthetic"].sum() == 66


def test_synthetic_only_npz_from_a_keel_dataset(compose_cfg, tmp_path):
    out = tmp_path / "syn.npz"
    generate(
        _cfg(
            compose_cfg,
            "data=keel:new_thyroid1",
            "sampler=ddpm",
            "sampler.model.hidden=16",
            "sampler.model.steps=10",
            "sampler.model.sample_steps=5",
            "synthetic_only=true",
            f"out={out}",
        )
    )
    arrays = np.load(out)
    columns = list(arrays["__columns__"])
    assert columns[-2:] == ["class", "is_synthetic"] and arrays["is_synthetic"].all()
    assert set(arrays["class"].tolist()) == {"positive"} and len(arrays["class"]) == 180 - 35


def test_missing_values_are_imputed_for_fitting_only(compose_cfg, claims_csv, tmp_path):
    path, frame = claims_csv
    frame.loc[[3, 20], "amount"] = np.nan
    frame.to_csv(path, index=False)
    out = tmp_path / "imputed.parquet"
    base = (f"data=file:{path}", "target=is_fraud", f"out={out}")
    with pytest.raises(ValueError, match=r"'amount' \(2 rows\).*impute=median"):
        generate(_cfg(compose_cfg, *base))
    assert not out.exists()
    manifest = generate(_cfg(compose_cfg, *base, "impute=median"))
    table = pd.read_parquet(out)
    assert table["amount"].iloc[:90].isna().sum() == 2  # the originals are written untouched
    assert not table["amount"].iloc[90:].isna().any()
    assert manifest["imputed_for_fitting"] == "median"


def test_bad_output_extension(compose_cfg, tmp_path):
    with pytest.raises(ValueError, match="no supported extension"):
        generate(_cfg(compose_cfg, f"out={tmp_path / 'x.xlsx'}"))


def test_exact_counts_even_when_the_config_has_an_amount_grid(
    compose_cfg, claims_csv, tmp_path, caplog_info, monkeypatch
):
    from genover.samplers import amount

    monkeypatch.setattr(amount, "proxy_minority_ap", lambda *a: 1.0)  # would choose 0
    path, _ = claims_csv
    fast = [o for o in FAST_GENERATOR if "amount_grid" not in o]
    fast.append("sampler.amount_grid=[0.0,0.25,0.5,1.0]")
    cfg = compose_cfg(
        *fast,
        f"data=file:{path}",
        "target=is_fraud",
        f"out={tmp_path / 'a.csv'}",
        tiny=False,
        config_name="generate",
    )
    assert list(cfg.sampler.amount_grid) == [0.0, 0.25, 0.5, 1.0]
    manifest = generate(cfg)
    assert manifest["class_counts_after"] == {"no": 78, "yes": 78}
    assert manifest["amount"].startswith("exact")
    assert manifest["sampler_outcome"]["synthetic_rows"] == 66
    assert "class counts before: {'no': 78, 'yes': 12}; after: {'no': 78, 'yes': 78}" in (
        caplog_info.text
    )
    opted = compose_cfg(
        *fast,
        f"data=file:{path}",
        "target=is_fraud",
        f"out={tmp_path / 'b.csv'}",
        "amount_selection=true",
        tiny=False,
        config_name="generate",
    )
    manifest = generate(opted)
    assert manifest["amount"].startswith("selected from the grid")
    assert manifest["class_counts_after"] == {"no": 78, "yes": 12}  # all tied: 0 rows
    assert manifest["sampler_outcome"]["amount_tied"] is True


# -- every output row is mapped to its origin (issue 18) ---------------------------------------

CATEGORY_AWARE = (
    "smote_nc",
    "cvae",
    "ddpm",
    "flow",
    "forest_flow",
    "bagan",
    "vaegan",
    "arae",
    "auto",
)


def _mixed_frame(categorical: bool) -> pd.DataFrame:
    """Overlapping classes (so that Tomek links and ENN remove rows), labels as text, and for
    category-aware samplers a numeric-looking text column and a pandas category column."""
    rng = np.random.default_rng(1)
    n, n_min = 48, 10
    frame = pd.DataFrame(
        {
            "x0": rng.normal(size=n).round(4),
            "x1": np.r_[rng.normal(0.3, 1, n_min), rng.normal(0, 1, n - n_min)],
        }
    )
    if categorical:
        frame["zip"] = rng.choice(["00501", "02134", "0", "4"], n)
        frame["plan"] = pd.Categorical(rng.choice(["basic", "gold"], n), ["basic", "gold", "vip"])
    frame["y"] = ["rare"] * n_min + ["common"] * (n - n_min)
    return frame


def _sampler_names() -> list[str]:
    from genover.experiment import sampler_config_names

    return sampler_config_names()


@pytest.mark.parametrize("sampler", _sampler_names())
def test_every_sampler_exports_the_real_rows_exactly(compose_cfg, tmp_path, sampler):
    frame = _mixed_frame(categorical=sampler in CATEGORY_AWARE)
    source = tmp_path / "in.parquet"
    frame.to_parquet(source, index=False)
    out = tmp_path / "out.parquet"
    cfg = compose_cfg(
        f"sampler={sampler}",
        *fast_sampler_overrides(sampler),
        f"data=file:{source}",
        "target=y",
        f"out={out}",
        tiny=False,
        config_name="generate",
    )
    manifest = generate(cfg)
    table = pd.read_parquet(out)
    real = table[~table["is_synthetic"]].drop(columns="is_synthetic")
    # Every real row is an input row, unchanged, with its own label, in input order.
    assert real.dtypes.to_dict() == frame.dtypes.to_dict()
    keys = ["x0", "x1"]
    matched = frame.reset_index().merge(real, on=list(frame.columns), how="inner")
    assert len(matched) == len(real) and matched["index"].is_monotonic_increasing
    assert not real.duplicated(subset=keys).any()
    synthetic = table[table["is_synthetic"]]
    if "zip" in frame:
        assert set(synthetic["zip"]) <= set(frame["zip"])
        assert list(table["plan"].cat.categories) == ["basic", "gold", "vip"]
    rows = manifest["rows"]
    assert rows["real"] + rows["removed"] == len(frame)
    assert rows["real"] + rows["synthetic"] == len(table)
    assert manifest["class_counts_after"] == {
        str(k): int(v) for k, v in table["y"].value_counts().sort_index().items()
    }


def test_auto_snaps_a_declared_numeric_category_to_its_codes(compose_cfg, tmp_path):
    """sampler=auto with a numeric column declared categorical: the ROSE candidate's noise
    on it is snapped back to its codes (counted in the manifest), so no code is invented."""
    frame = _mixed_frame(categorical=False)
    frame["grade"] = np.random.default_rng(3).integers(0, 3, len(frame))
    source = tmp_path / "in.parquet"
    frame.to_parquet(source, index=False)
    out = tmp_path / "out.parquet"
    cfg = compose_cfg(
        "sampler=auto",
        "sampler.candidates=[none,rose]",
        "sampler.min_gain=0",
        f"data=file:{source}",
        "target=y",
        "categorical=[grade]",
        f"out={out}",
        tiny=False,
        config_name="generate",
    )
    outcome = generate(cfg)["sampler_outcome"]
    assert outcome["auto_codes_snapped[rose]"] > 0  # ROSE's noisy grades, every inner fold
    assert set(pd.read_parquet(out)["grade"].astype(int)) <= {0, 1, 2}


def test_a_cleaning_sampler_never_relabels_a_real_row(compose_cfg, tmp_path):
    """SMOTE-Tomek removes majority rows: the export once wrote majority rows labelled as
    minority rows (and random under-sampling failed on the length)."""
    frame = _mixed_frame(categorical=False)
    source = tmp_path / "in.csv"
    frame.to_csv(source, index=False)
    for sampler in ("smote_tomek", "random_under"):
        out = tmp_path / f"{sampler}.csv"
        args = (f"sampler={sampler}", f"data=file:{source}", "target=y", f"out={out}")
        manifest = generate(compose_cfg(*args, tiny=False, config_name="generate"))
        table = pd.read_csv(out)
        real = table[~table["is_synthetic"]].drop(columns="is_synthetic")
        assert manifest["rows"]["removed"] > 0
        merged = real.merge(frame, on=["x0", "x1"], suffixes=("", "_in"))
        assert len(merged) == len(real) and (merged["y"] == merged["y_in"]).all()


@pytest.mark.parametrize("suffix", [".csv", ".npz", ".parquet"])
def test_numeric_looking_categories_round_trip_in_every_format(compose_cfg, tmp_path, suffix):
    frame = _mixed_frame(categorical=True).drop(columns="plan")
    source = tmp_path / "in.csv"
    frame.to_csv(source, index=False)
    out = tmp_path / f"out{suffix}"
    generate(
        _cfg(compose_cfg, f"data=file:{source}", "target=y", "categorical=[zip]", f"out={out}")
    )
    if suffix == ".csv":
        table = pd.read_csv(out, dtype={"zip": str})
    elif suffix == ".npz":
        arrays = np.load(out)
        table = pd.DataFrame({c: arrays[c] for c in arrays["__columns__"]})
    else:
        table = pd.read_parquet(out)
    assert table["zip"].astype(str).tolist()[: len(frame)] == frame["zip"].tolist()
    assert set(table["zip"].astype(str)) <= {"00501", "02134", "0", "4"}


@pytest.mark.parametrize("name", ["CVAESampler", "DDPMSampler"])
def test_python_api_keeps_numeric_looking_text_categories(name):
    import genover

    frame = _mixed_frame(categorical=True).drop(columns="plan")
    X, y = frame.drop(columns="y"), frame["y"]
    model = (
        {"hidden": [16]}
        if name == "CVAESampler"
        else {"hidden": 16, "steps": 10, "sample_steps": 5}
    )
    sampler = getattr(genover, name)(
        random_state=0, trainer={"max_steps": 4, "epoch_steps": 2}, model=model
    )
    X_res, _ = sampler.fit_resample(X, y)
    assert set(X_res["zip"]) <= {"00501", "02134", "0", "4"}
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X)


def test_inputs_the_export_cannot_take(compose_cfg, tmp_path):
    frame = _mixed_frame(categorical=True).drop(columns="plan")
    source = tmp_path / "in.csv"
    frame.to_csv(source, index=False)
    base = (f"data=file:{source}", "target=y")
    with pytest.raises(ValueError, match=r"is the input file.*even with overwrite=true"):
        generate(_cfg(compose_cfg, *base, f"out={source}", "overwrite=true"))
    with pytest.raises(ValueError, match=r"numeric columns only.*\['zip'\].*sampler=smote_nc"):
        args = ("sampler=smote", "categorical=[zip]", f"out={tmp_path / 'a.csv'}")
        generate(compose_cfg(*base, *args, tiny=False, config_name="generate"))
    source.write_text("x0,x0,y\n1,2,a\n3,4,b\n")
    with pytest.raises(ValueError, match=r"duplicate column names \['x0'\]"):
        generate(_cfg(compose_cfg, *base, f"out={tmp_path / 'b.csv'}"))


def test_impute_handles_infinite_values_as_genover_does(compose_cfg, claims_csv, tmp_path):
    path, frame = claims_csv
    frame.loc[[3, 20], "amount"] = np.inf
    frame.to_csv(path, index=False)
    out = tmp_path / "inf.parquet"
    generate(
        _cfg(compose_cfg, f"data=file:{path}", "target=is_fraud", "impute=median", f"out={out}")
    )
    table = pd.read_parquet(out)
    assert np.isinf(table["amount"].iloc[:90]).sum() == 2  # originals untouched
    assert np.isfinite(table["amount"].iloc[90:]).all()


def test_row_origins_match_label_and_values_with_duplicate_input_rows():
    """Input rows 0 and 1 have equal values and different labels, rows 2 and 3 are equal
    duplicates. A sampler that reorders its rows and adds copies (without sample_indices_):
    each output row is matched to an unused input row with the same values *and* label."""
    from genover.generate import row_origins

    X = pd.DataFrame({"a": [1.0, 1.0, 2.0, 2.0], "b": ["u", "u", "v", "v"]})
    y = pd.Series(["rare", "common", "common", "common"])
    X_res = X.iloc[[1, 0, 2, 3, 0, 2]].reset_index(drop=True)
    y_res = pd.Series(["common", "rare", "common", "common", "common", "rare"])
    origin = row_origins(object(), X, y, X_res, y_res)
    # rows 4 and 5 copy another class's values (a synthetic row equal to a real one)
    assert origin.tolist() == [1, 0, 2, 3, -1, -1]


def test_duplicate_input_rows_are_exported_once_each(compose_cfg, tmp_path):
    frame = _mixed_frame(categorical=False)
    frame = pd.concat([frame, frame.iloc[[0, 0, 20]]], ignore_index=True)  # 2 + 1 duplicates
    source = tmp_path / "in.csv"
    frame.to_csv(source, index=False)
    out = tmp_path / "out.csv"
    args = ("sampler=smote", f"data=file:{source}", "target=y", f"out={out}")
    manifest = generate(compose_cfg(*args, tiny=False, config_name="generate"))
    table = pd.read_csv(out)
    real = table[~table["is_synthetic"]].drop(columns="is_synthetic")
    pd.testing.assert_frame_equal(real, frame)
    assert manifest["rows"] == {
        "real": len(frame),
        "synthetic": 39 - 12,  # common 38 + 1, rare 10 + 2
        "removed": 0,
        "removed_per_class": {},
    }


def test_auto_gives_every_candidate_codes_and_records_its_candidates(
    compose_cfg, claims_csv, tmp_path, caplog
):
    """A text column once made the ROSE and SMOTE candidates fail on every inner fold
    ("X needs to contain only numerical data"): they now work on its codes. SMOTE with
    k_neighbors=5 cannot run on 7 rare rows (4 or 5 per inner training part): it is left
    out before the inner cross-validation, said once, and the manifest says why."""
    path, frame = claims_csv
    frame = frame.iloc[5:].reset_index(drop=True)  # 7 rare rows
    frame.to_csv(path, index=False)
    out = tmp_path / "auto.csv"
    args = ("sampler=auto", "sampler.candidates=[none,rose,random_over,smote]")
    cfg = compose_cfg(
        *args,
        f"data=file:{path}",
        "target=is_fraud",
        f"out={out}",
        tiny=False,
        config_name="generate",
    )
    with caplog.at_level(logging.INFO):
        manifest = generate(cfg)
    auto = manifest["auto"]
    assert auto["considered"] == ["none", "rose", "random_over", "smote"]
    assert list(auto["left_out"]) == ["smote"] and "k_neighbors=5" in auto["left_out"]["smote"]
    assert auto["failed"] == {} and auto["chosen"] == manifest["sampler_outcome"]["auto_choice"]
    outcome = manifest["sampler_outcome"]
    assert outcome["auto_score[rose]"] is not None and outcome["auto_score[random_over]"]
    assert outcome["auto_left_out[smote]"] == auto["left_out"]["smote"]
    assert "auto_score[smote]" not in outcome
    assert caplog.text.count("candidate smote left out") == 1
    assert "numerical data" not in caplog.text
    table = pd.read_csv(out)
    assert set(table["plan"]) <= {"basic", "gold"}
    pd.testing.assert_frame_equal(table.iloc[: len(frame), :4], frame)


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("opened", pd.date_range("2024-01-01", periods=90).astype(str), r"'opened' holds dates"),
        ("claim", [f"C{i}" for i in range(90)], r"'claim' is read as categorical.*identifier"),
    ],
)
def test_dates_and_identifiers_are_refused_before_anything_is_written(
    compose_cfg, claims_csv, tmp_path, column, values, message
):
    path, frame = claims_csv
    frame[column] = values
    frame.to_csv(path, index=False)
    out = tmp_path / "out.csv"
    with pytest.raises(ValueError, match=message):
        generate(_cfg(compose_cfg, f"data=file:{path}", "target=is_fraud", f"out={out}"))
    assert not out.exists()


@pytest.mark.parametrize("column", ["feature", "target"])
def test_an_input_column_named_is_synthetic_is_refused(compose_cfg, claims_csv, tmp_path, column):
    """It was silently overwritten by the flag genover-generate adds."""
    path, frame = claims_csv
    target = "is_fraud"
    if column == "feature":
        frame["is_synthetic"] = ["maybe"] * len(frame)
    else:
        frame, target = frame.rename(columns={"is_fraud": "is_synthetic"}), "is_synthetic"
    frame.to_csv(path, index=False)
    out = tmp_path / "aug.csv"
    with pytest.raises(ValueError, match=r"column named 'is_synthetic'.*rename that column"):
        generate(_cfg(compose_cfg, f"data=file:{path}", f"target={target}", f"out={out}"))
    assert not out.exists()


def test_a_numeric_only_sampler_refuses_a_bool_column(compose_cfg, tmp_path):
    """SMOTE interpolated a bool column (0.3) and the cast back made it True: 47% True
    among synthetic rows against 30% among real ones, and no error."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=120), "flag": rng.random(120) < 0.3})
    frame["y"] = np.where(np.arange(120) % 6 == 0, "pos", "neg")
    source = tmp_path / "in.parquet"
    frame.to_parquet(source)
    base = (f"data=file:{source}", "target=y", f"out={tmp_path / 'a.parquet'}")
    with pytest.raises(ValueError, match=r"numeric columns only.*\['flag'\].*smote_nc"):
        generate(compose_cfg(*base, "sampler=smote", tiny=False, config_name="generate"))
    generate(
        compose_cfg(*base, "sampler=random_over", tiny=False, config_name="generate")
    )  # copies keep the column bool
    table = pd.read_parquet(tmp_path / "a.parquet")
    assert table["flag"].dtype == bool
    copies = table[table["is_synthetic"]]
    assert len(copies) == 80 and copies["flag"].isin(frame["flag"][frame.y == "pos"]).all()


def test_output_keeps_the_input_column_order_and_label_dtype(compose_cfg, tmp_path):
    """The label moved to the end, and a Parquet category label came back as text."""
    rng = np.random.default_rng(0)
    labels = np.where(np.arange(120) % 6 == 0, "pos", "neg")
    frame = pd.DataFrame({"y": pd.Categorical(labels), "a": rng.normal(size=120)})
    frame["b"] = rng.normal(size=120)
    source = tmp_path / "in.parquet"
    frame.to_parquet(source)
    out = tmp_path / "out.parquet"
    args = (f"data=file:{source}", "target=y", "sampler=smote", f"out={out}")
    generate(compose_cfg(*args, tiny=False, config_name="generate"))
    table = pd.read_parquet(out)
    assert list(table.columns) == ["y", "a", "b", "is_synthetic"]
    assert isinstance(table["y"].dtype, pd.CategoricalDtype)
    assert table["y"].value_counts().to_dict() == {"neg": 100, "pos": 100}


def test_an_output_that_cannot_be_written_is_refused_before_the_fit(
    compose_cfg, claims_csv, tmp_path, monkeypatch
):
    """An unwritable out= gave a traceback after the sampler was fitted; a directory named
    like a table was told to pass overwrite=true, which then failed too."""
    import genover.generate as gen

    path, _ = claims_csv
    (tmp_path / "afile").write_text("not a folder")
    (tmp_path / "folder.csv").mkdir()
    monkeypatch.setattr(gen, "build", lambda *_: pytest.fail("the sampler was built"))
    base = (f"data=file:{path}", "target=is_fraud")
    with pytest.raises(ValueError, match=r"afile is a file, not a folder"):
        generate(_cfg(compose_cfg, *base, f"out={tmp_path / 'afile' / 'x.csv'}"))
    for overwrite in ("false", "true"):
        with pytest.raises(ValueError, match=r"folder.csv' is a directory; give a file name"):
            generate(
                _cfg(compose_cfg, *base, f"out={tmp_path / 'folder.csv'}", f"overwrite={overwrite}")
            )


def test_an_impossible_sampling_strategy_is_named_before_the_fit(compose_cfg, claims_csv, tmp_path):
    path, _ = claims_csv
    args = (
        f"data=file:{path}",
        "target=is_fraud",
        "sampler=random_over",
        f"out={tmp_path / 'a.csv'}",
    )
    with pytest.raises(ValueError, match=r"sampler.sampling_strategy=0.01: .*'no': 78, 'yes': 12"):
        generate(
            compose_cfg(*args, "sampler.sampling_strategy=0.01", tiny=False, config_name="generate")
        )
