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
