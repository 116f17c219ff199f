"""genover-generate: the augmented table, its manifest, and safe writing."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pandas as pd
import pytest

from genover.generate import generate
from tests.conftest import FAST_GENERATOR


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
    from genover.samplers import generative

    monkeypatch.setattr(generative, "proxy_minority_ap", lambda *a: 1.0)  # would choose 0
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
