"""scripts/rerun_archived_job.py: the per-metric comparison of an archived and a rerun folds.csv."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "rerun_archived_job.py"


@pytest.fixture(scope="module")
def script():
    """The script loaded as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("rerun_archived_job", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _folds(ap: list[float], seconds: list[float], folds: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "method": "cvae",
            "classifier": "lr",
            "repeat": 0,
            "fold": folds,
            "ap": ap,
            "sampler.fit_seconds": seconds,
            "sampler.stop_reason": "budget",
        }
    )


def test_compare_folds_pairs_rows_and_takes_the_largest_absolute_difference(script):
    old = _folds([0.5, 0.9, 0.3], [1.0, 1.0, 1.0], [0, 1, 2])
    new = _folds([0.6, 0.6, 0.7], [9.0, 9.0, 9.0], [1, 0, 3])  # fold 0: +0.1, fold 1: -0.3
    table = script.compare_folds(old, new).set_index("metric")
    assert list(table.index) == ["ap"]  # timings and text columns are not compared
    assert table.loc["ap", "max_abs_diff"] == pytest.approx(0.3)
    assert table.loc["ap", "rows"] == 2
    assert table.loc["ap", "unpaired"] == 2  # fold 2 only in the archive, fold 3 only in the rerun


def test_config_changes_name_absent_and_changed_keys(script):
    old = {"sampler.amount_grid": [0.0, 1.0], "seed": 0}
    new = {"sampler.amount_grid": None, "seed": 0, "reuse": True}
    assert script.config_changes(old, new) == [
        "reuse: (absent) -> True",
        "sampler.amount_grid: [0.0, 1.0] -> None",
    ]
