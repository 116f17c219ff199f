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
