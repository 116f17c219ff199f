"""What one run writes: the console table and metrics.json agree with the report on std."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from genover.evaluation.rundir import _mean_std, format_table, generation_summary


def test_console_table_and_metrics_use_sample_std_like_the_report():
    """The console showed population std (ddof=0) and report.md sample std (issue 18)."""
    values = [0.6, 0.7, 0.9, 0.8]
    stats = _mean_std(pd.DataFrame({"ap": values}))["ap"]
    assert stats["std"] == pytest.approx(np.std(values, ddof=1))
    assert _mean_std(pd.DataFrame({"ap": [0.5]}))["ap"]["std"] == 0.0
    payload = {
        "dataset": {"name": "toy"},
        "methods": {"m": {"status": "ok", "metrics": {"ap": stats}}},
    }
    table = format_table(payload)
    assert "sample std n-1" in table and f"{np.std(values, ddof=1):.3f}" in table


def _finished_run(out, cfg, fingerprint) -> None:
    """A run directory as a finished run leaves it, recording ``fingerprint`` (None: a run
    from before data fingerprints)."""
    import json

    from genover.evaluation.rundir import config_hash

    out.mkdir(parents=True, exist_ok=True)
    (out / "folds.csv").write_text("method,fold,ap\nnone,0,0.5\n")
    metrics = {
        "config_hash": config_hash(cfg),
        "data_fingerprint": fingerprint,
        "methods": {"none": {"status": "ok"}},
    }
    (out / "metrics.json").write_text(json.dumps(metrics))


def test_resume_trusts_an_old_run_only_for_data_the_config_determines(compose_cfg, tmp_path):
    """A run from before fingerprints is trusted for bundled or generated data, never for a
    ``file:`` whose bytes it cannot vouch for; a missing data file reruns the job (which then
    says the file is missing) rather than reusing results of unknown data."""
    import genover.experiment  # noqa: F401  (registers the baselines config group)
    from genover.data.sources import data_fingerprint
    from genover.evaluation.rundir import completed_run

    data = tmp_path / "d.csv"
    data.write_text("a,y\n" + "".join(f"{i},{'p' if i % 4 else 'n'}\n" for i in range(20)))
    file_cfg = compose_cfg(f"data=file:{data}", "target=y", "baselines=[]")
    keel_cfg = compose_cfg("data=keel:new_thyroid1", "baselines=[]")
    generated_cfg = compose_cfg("baselines=[]")
    for cfg, fingerprint, trusted in [
        (keel_cfg, None, True),
        (generated_cfg, None, True),
        (file_cfg, None, False),
        (file_cfg, data_fingerprint(f"file:{data}"), True),
    ]:
        _finished_run(tmp_path / "run", cfg, fingerprint)
        assert (completed_run(tmp_path / "run", cfg) is not None) is trusted, (
            cfg.data,
            fingerprint,
        )
    recorded = data_fingerprint(f"file:{data}")
    data.unlink()
    for fingerprint in (recorded, None):
        _finished_run(tmp_path / "run", file_cfg, fingerprint)
        assert completed_run(tmp_path / "run", file_cfg) is None, fingerprint


def test_settings_added_later_leave_an_old_jobs_hash_alone_at_their_neutral_value(compose_cfg):
    """``synthetic_weight=1`` and lr/rf/hgb with ``imbalance=none`` compute what the configs
    computed before those settings existed, so an archived job keeps its hash (and
    ``resume=true`` on benchmarks/*/runs.tar.gz skips it); a non-neutral value changes it."""
    from omegaconf import OmegaConf

    import genover.experiment  # noqa: F401  (registers the baselines config group)
    from genover.evaluation.rundir import config_hash

    cfg = compose_cfg("classifier=hgb", "classifiers=[lr,rf]", "baselines=[]")
    old = OmegaConf.to_container(cfg, resolve=True)
    old.pop("synthetic_weight")
    twins = {"lr": "linear_model.LogisticRegression", "rf": "ensemble.RandomForestClassifier"}
    for node, name in [(old["classifier"], "ensemble.HistGradientBoostingClassifier")] + [
        (old["classifiers"][key], twins[key]) for key in twins
    ]:
        node["_target_"] = f"sklearn.{name}"
        del node["imbalance"]
    assert config_hash(OmegaConf.create(old)) == config_hash(cfg)
    for override in ["synthetic_weight=0.5", "classifier.imbalance=balanced"]:
        changed = compose_cfg("classifier=hgb", "classifiers=[lr,rf]", "baselines=[]", override)
        assert config_hash(changed) != config_hash(cfg), override


def _method(sampler: dict, outcomes: list[dict]) -> dict:
    """A finished method's metrics.json entry, as ``summarise`` writes it."""
    stats = {"ap": {"mean": 0.5, "std": 0.1}}
    return {"status": "ok", "sampler": sampler, "metrics": stats, **_generated(outcomes)}


def _generated(outcomes: list[dict]) -> dict:
    """The entry's generation summary and fold outcomes."""

    return {"generation": generation_summary(outcomes), "fold_outcomes": outcomes}


def test_console_table_says_what_each_method_did():
    """none shows a dash (not "10/10 folds with none"), auto its choices per fold, a generator
    the folds it generated rows in."""
    auto = [{"synthetic_rows": 0, "sampler.auto_choice": "none"}] * 7 + [
        {"synthetic_rows": 90, "sampler.auto_choice": "cvae"}
    ] * 3
    payload = {
        "dataset": {"name": "toy"},
        "methods": {
            "auto": _method({"_target_": "genover.samplers.AutoSampler"}, auto),
            "none": _method({"_target_": "imblearn.FunctionSampler"}, [{"synthetic_rows": 0}] * 10),
            "bagan": _method(
                {"_target_": "genover.samplers.BAGANSampler"},
                [{"synthetic_rows": 0}] * 2 + [{"synthetic_rows": 100}] * 8,
            ),
            "smote": _method(
                {"_target_": "genover.samplers.SMOTE"}, [{"synthetic_rows": 100}] * 10
            ),
        },
    }
    rows = [re.split(r"\s{2,}", line.strip()) for line in format_table(payload).splitlines()]
    did = {cells[0]: cells[-2:] for cells in rows[2:]}
    assert rows[1][-2:] == ["synthetic/fold", "what it did"]
    assert did["auto"] == ["27", "chose none in 7/10 folds, cvae in 3/10 folds"]
    assert did["none"] == ["-", "-"]
    assert did["bagan"] == ["80", "generated rows in 8/10 folds"]
    assert did["smote"] == ["100", "generated rows in every fold (10)"]
    assert payload["methods"]["auto"]["generation"]["choices"] == {"none": 7, "cvae": 3}


def test_metrics_json_writes_an_undefined_score_as_null():
    """NaN is not JSON: metrics.json once held it (an AP over no minority class)."""
    from genover.evaluation.rundir import json_safe

    value = {"ap": {"mean": float("nan"), "std": 0.0}, "folds": [float("inf"), 1, "x"]}
    assert json_safe(value) == {"ap": {"mean": None, "std": 0.0}, "folds": [None, 1, "x"]}


def test_console_table_shows_a_failure_in_full():
    """The console table cut a failure message at 60 characters."""
    error = "ValueError: " + "a long explanation of what went wrong and how to fix it " * 3
    payload = {"dataset": {"name": "toy"}, "methods": {"m": {"status": "failed", "error": error}}}
    assert f"m failed: {error}" in format_table(payload)


def test_a_class_code_is_shown_as_its_value():
    """Messages showed classes as np.int64(9)."""
    from genover.samplers import SMOTE

    X = np.vstack([np.random.default_rng(0).normal(size=(20, 3)), np.ones((1, 3))])
    with pytest.raises(ValueError, match=r"cannot interpolate class 9: it has a single row"):
        SMOTE(random_state=0).fit_resample(X, np.array([0] * 20 + [9]))
