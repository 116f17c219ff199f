"""Sweeps that skip duplicate work: a fold another job already fitted on the same kept rows,
config and seed is read from the sweep's fold store (genover.experiment.reuse)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from genover.evaluation.report import collect_runs, render_markdown
from genover.evaluation.rundir import config_hash
from genover.experiment import run
from genover.experiment.reuse import CACHE_FOLDER, FoldCache

# 160 rows, 40 minority: 4 folds leave 30 minority rows in every training fold.
MINORITY_PER_FOLD = 30


@pytest.fixture
def sweep(compose_cfg, tmp_path):
    """sweep(cap, job, cache=True) -> (payload, sampler fits logged by that run): one job of
    a scarcity sweep in ``tmp_path`` (RandomOverSampler spy, logistic regression)."""
    rng = np.random.default_rng(0)
    n = 160
    frame = pd.DataFrame({"row_id": np.arange(n), "a": rng.normal(size=n), "b": rng.normal(size=n)})
    frame["y"] = np.where(np.arange(n) % 4 == 0, "pos", "neg")
    path = tmp_path / "ids.csv"
    frame.to_csv(path, index=False)
    log = tmp_path / "fits.jsonl"

    def _job(cap, job: str, cache: bool = True):
        cfg = compose_cfg(
            f"data=file:{path}",
            "target=y",
            "folds=4",
            "repeats=1",
            f"minority_cap={'null' if cap is None else cap}",
            "baselines=[]",
            "evaluation.threshold.tune=false",
            "evaluation.plots=false",
            "transform=none",
            "sampler=random_over",
            "sampler._target_=tests.spies.RecordingSampler",
            f"+sampler.log_path={log}",
        )
        before = len(log.read_text().splitlines()) if log.exists() else 0
        label = f"minority_cap={'null' if cap is None else cap}"
        store = FoldCache(tmp_path / "sweep" / CACHE_FOLDER, job, label) if cache else None
        out = tmp_path / "sweep" / job
        payload = run(cfg, output_dir=out, cache=store)
        fits = [json.loads(line) for line in log.read_text().splitlines()[before:]]
        return payload, fits, cfg

    return _job


def _scores(payload: dict) -> list[dict]:
    return payload["folds"]


def _outcomes(payload: dict) -> list[dict]:
    return [
        {k: v for k, v in o.items() if k != "reused_from"}
        for o in payload["methods"]["random_over"]["fold_outcomes"]
    ]


def test_a_cap_that_keeps_every_minority_row_is_served_from_the_all_rows_fit(sweep, tmp_path):
    all_rows, fits, all_cfg = sweep(None, "0")
    assert len(fits) == 4
    capped, fits, cfg = sweep(MINORITY_PER_FOLD + 20, "1")
    assert fits == []  # not one sampler fit: every fold read from the all-rows job
    reuse = capped["reuse"]
    assert reuse["folds"] == reuse["folds_reused"] == 4
    assert reuse["reused_from"] == ["0 (minority_cap=null)"]
    assert reuse["cap_keeps_every_row"] is True
    assert "minority_cap=50 keeps every minority row" in reuse["why"]
    # its effective config is the all-rows job's; its own hash still resumes it
    assert reuse["effective_config_hash"] == all_rows["config_hash"] == config_hash(all_cfg)
    assert capped["config_hash"] == config_hash(cfg) != all_rows["config_hash"]
    assert _scores(capped) == _scores(all_rows)
    folds = pd.read_csv(tmp_path / "sweep" / "1" / "folds.csv")
    assert (folds["reused_from"] == "0 (minority_cap=null)").all()
    assert "reused_from" not in pd.read_csv(tmp_path / "sweep" / "0" / "folds.csv")
    # the same numbers as a fresh computation of the capped job
    fresh, fits, _ = sweep(MINORITY_PER_FOLD + 20, "fresh", cache=False)
    assert len(fits) == 4 and "reuse" not in fresh
    assert _scores(capped) == _scores(fresh)
    assert _outcomes(capped) == _outcomes(fresh)
    assert capped["methods"]["random_over"]["metrics"] == fresh["methods"]["random_over"]["metrics"]


def test_caps_that_keep_different_rows_do_not_share_a_fit(sweep):
    ten, fits, _ = sweep(10, "0")
    assert len(fits) == 4
    twenty, fits, _ = sweep(20, "1")
    assert len(fits) == 4  # other kept rows: fitted again
    assert twenty["reuse"]["folds_reused"] == 0 and twenty["reuse"]["reused_from"] == []
    assert twenty["reuse"]["cap_keeps_every_row"] is False
    assert [r["minority_train"] for r in twenty["folds"]] == [20] * 4
    assert _scores(ten) != _scores(twenty)
    again, fits, _ = sweep(20, "2")  # the same cap in another job: the same rows, read
    assert fits == [] and again["reuse"]["reused_from"] == ["1 (minority_cap=20)"]
    assert _scores(again) == _scores(twenty)


def test_a_cap_shares_only_the_folds_whose_rows_it_keeps(compose_cfg, tmp_path):
    """One fit per (dataset, fold, kept rows): with 9 and 10 minority rows in the training
    folds, cap 9 keeps every row of the folds that hold 9 and is fitted on the others."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=120), "y": ["pos"] * 13 + ["neg"] * 107})
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)

    def job(cap, name):
        cfg = compose_cfg(
            f"data=file:{path}",
            "target=y",
            "folds=4",
            "repeats=1",
            f"minority_cap={cap}",
            "sampler=random_over",
            "baselines=[]",
            "evaluation.threshold.tune=false",
            "evaluation.plots=false",
        )
        store = FoldCache(tmp_path / CACHE_FOLDER, name, f"minority_cap={cap}")
        return run(cfg, cache=store)

    everything = job("null", "0")
    counts = [r["minority_train"] for r in everything["folds"]]
    assert sorted(counts) == [9, 10, 10, 10]
    capped = job(9, "1")
    outcomes = capped["methods"]["random_over"]["fold_outcomes"]
    reused = ["reused_from" in o for o in outcomes]
    assert reused == [c == 9 for c in counts]
    assert capped["reuse"]["folds_reused"] == 1 and not capped["reuse"]["cap_keeps_every_row"]
    assert capped["reuse"]["effective_config_hash"] == capped["config_hash"]


def test_a_sweep_reads_what_it_already_fitted_and_the_report_says_so(tmp_path):
    """Through the command line: caps 20 and null on data with at most 20 minority rows per
    training fold; the second job is read from the first, and genover-report counts it as
    finished, with the same numbers, and lists it as reused."""
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from genover.cli import main; main()",
            "-m",
            "experiment=debug",
            "sampler=none",
            "baselines=[random_over]",
            "evaluation.plots=false",
            "evaluation.threshold.tune=false",
            "minority_cap=20,null",
            "hydra.sweep.dir=sweep",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    first, second = (
        json.loads((tmp_path / "sweep" / j / "metrics.json").read_text()) for j in "01"
    )
    assert first["reuse"]["folds_reused"] == 0 and first["reuse"]["cap_keeps_every_row"]
    assert second["reuse"]["reused_from"] == ["0 (minority_cap=20)"]
    assert second["methods"]["none"]["metrics"] == first["methods"]["none"]["metrics"]
    runs = collect_runs(tmp_path / "sweep")
    assert runs.finished == 2 and [r["run"] for r in runs.reused] == ["1"]
    by_cap = runs.folds.groupby("cap")["ap"].apply(list)
    assert by_cap["20"] == by_cap["all"]
    text = render_markdown_of(runs)
    assert "2 finished runs (1 read from other runs' fits)" in text
    assert "- `1` " in text and "4 of 4 folds from 0 (minority_cap=20)" in text


def render_markdown_of(runs) -> str:
    """The report's markdown for ``runs``."""
    from genover.evaluation.report import build_report

    return render_markdown(build_report(runs), None)


def test_an_unreadable_or_own_entry_is_computed_or_read_without_a_reuse_mark(tmp_path):
    """A half-written or foreign file is computed again (no crash, no wait); a job reading
    an entry it stored itself (a resumed job) does not call that reuse."""
    cache = FoldCache(tmp_path, "3", "minority_cap=20")
    calls = []

    def compute():
        calls.append(1)
        return {"scores": [0.5]}

    cache.path("ab12").parent.mkdir(parents=True)
    cache.path("ab12").write_bytes(b"\x80\x05 truncated")
    assert cache.fold("ab12", compute) == ({"scores": [0.5]}, None) and len(calls) == 1
    assert cache.fold("ab12", compute) == ({"scores": [0.5]}, None) and len(calls) == 1
    other = FoldCache(tmp_path, "7", "minority_cap=null")
    assert other.fold("ab12", compute) == (
        {"scores": [0.5]},
        {"job": "3", "label": "minority_cap=20"},
    )
    assert len(calls) == 1
