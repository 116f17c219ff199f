"""A run's (method, fold) units in worker processes (``n_jobs``): the same numbers and
records as in one process, failures, logs and outputs kept."""

from __future__ import annotations

import json
import logging

import pandas as pd

from genover.experiment import run
from tests.conftest import fast_sampler_overrides


def _without_seconds(entries: list[dict]) -> list[dict]:
    return [{k: v for k, v in e.items() if not k.endswith("_seconds")} for e in entries]


def test_workers_give_the_numbers_of_one_process(compose_cfg, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    overrides = ("sampler=auto", *fast_sampler_overrides("auto"), "baselines=[none,smote]")
    one = run(compose_cfg(*overrides, "n_jobs=1"), output_dir=tmp_path / "one")
    two = run(compose_cfg(*overrides, "n_jobs=2"), output_dir=tmp_path / "two")
    assert one["runtime"] == {"n_jobs": 1} and two["runtime"] == {"n_jobs": 2}
    assert two["folds"] == one["folds"]
    for name, method in one["methods"].items():
        assert method["status"] == "ok"
        assert two["methods"][name]["metrics"] == method["metrics"]
        assert two["methods"][name]["fold_outcomes"] == method["fold_outcomes"]
    tables = [pd.read_csv(tmp_path / d / "folds.csv") for d in ("one", "two")]
    timed = [c for c in tables[0].columns if c.endswith("_seconds")]
    pd.testing.assert_frame_equal(tables[0].drop(columns=timed), tables[1].drop(columns=timed))
    timings = json.loads((tmp_path / "two" / "timings.json").read_text())
    assert set(timings) == {"auto", "none", "smote"} and timings["auto"]["seconds"] > 0
    assert _without_seconds(timings["auto"]["folds"]) == [
        {"repeat": 0, "fold": 0},
        {"repeat": 0, "fold": 1},
    ]
    # the workers' log records reach this process's log, once per fold
    assert caplog.text.count("auto: fold 2 done") == 2
    worker_lines = [r for r in caplog.records if r.name.startswith("genover.samplers")]
    assert worker_lines, "no sampler log record came back from the workers"


def test_a_method_failing_in_workers_is_recorded_while_the_others_run(compose_cfg):
    cfg = compose_cfg("sampler=smote_nc", "baselines=[none,smote]", "n_jobs=2", "folds=3")
    result = run(cfg)
    assert result["methods"]["smote_nc"]["status"] == "failed"
    assert "categorical" in result["methods"]["smote_nc"]["error"]
    for name in ("none", "smote"):
        assert result["methods"][name]["status"] == "ok"
        assert len([r for r in result["folds"] if r["method"] == name]) == 3
