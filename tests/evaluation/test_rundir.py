"""What one run writes: the console table and metrics.json agree with the report on std."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genover.evaluation.rundir import _mean_std, format_table


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
