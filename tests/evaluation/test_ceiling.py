"""The report's ceiling statistics on a small hand table, against scipy.stats."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from genover.evaluation.ceiling import (
    ceiling_table,
    choice_counts,
    hindsight_curves,
    paired_statistics,
)

# outer AP per dataset and arm (two folds each: the fold means are these values +- 0.01)
WITHOUT = [0.50, 0.62, 0.71, 0.40, 0.83, 0.55]
WITH = [0.53, 0.60, 0.78, 0.46, 0.84, 0.65]


def _folds() -> pd.DataFrame:
    rows = []
    for d, (a, b) in enumerate(zip(WITHOUT, WITH, strict=True)):
        for fold, delta in enumerate((-0.01, 0.01)):
            for arm, ap, sampler in (("without", a, "none"), ("with", b, "smote")):
                rows.append(
                    {
                        "dataset": f"d{d}",
                        "cap": "10",
                        "method": arm,
                        "fold": fold,
                        "ap": ap + delta,
                        "minority_train": 10,
                        "ceiling.classifier": "rf" if d % 2 else "lr",
                        "ceiling.imbalance": "balanced" if fold else "none",
                        "ceiling.sampler": sampler,
                        "ceiling.synthetic_weight": 0.5 if arm == "with" else 1.0,
                    }
                )
    return pd.DataFrame(rows)


def test_paired_statistics_match_scipy():
    table = ceiling_table(_folds())
    assert list(table.columns) == ["dataset", "cap", "arm", "ap"]
    np.testing.assert_allclose(table.loc[table["arm"] == "with", "ap"], WITH)
    (row,) = paired_statistics(table).to_dict("records")
    diff = np.subtract(WITH, WITHOUT)
    assert row["datasets"] == 6
    assert row["ap_without"] == pytest.approx(np.mean(WITHOUT))
    assert row["ap_with"] == pytest.approx(np.mean(WITH))
    assert row["diff"] == pytest.approx(diff.mean())
    assert row["p"] == pytest.approx(stats.wilcoxon(WITH, WITHOUT).pvalue)
    interval = stats.bootstrap(
        (diff,),
        np.mean,
        confidence_level=0.95,
        n_resamples=2000,
        method="percentile",
        random_state=np.random.default_rng(0),
    ).confidence_interval
    assert (row["low"], row["high"]) == pytest.approx((interval.low, interval.high))


def test_choice_counts_count_outer_folds_per_arm():
    counts = choice_counts(_folds()).set_index(["arm", "field", "value"])["folds"]
    assert counts[("with", "sampler", "smote")] == 12
    assert counts[("without", "sampler", "none")] == 12
    assert counts[("with", "classifier", "rf")] == 6
    assert counts[("without", "imbalance", "balanced")] == 6
    assert counts[("with", "synthetic_weight", "0.5")] == 12


def test_hindsight_is_each_classifiers_best_fixed_pipeline_over_datasets():
    menus = pd.DataFrame(
        {
            "dataset": ["d0", "d1", "d0", "d1"],
            "cap": "10",
            "ceiling.classifier": "rf",
            "ceiling.imbalance": "none",
            "ceiling.sampler": ["none", "none", "smote", "smote"],
            "ceiling.synthetic_weight": [1.0, 1.0, 0.5, 0.5],
            "ap": [0.9, 0.3, 0.7, 0.6],  # none: mean 0.60, smote: mean 0.65
        }
    )
    table = ceiling_table(_folds())
    (best,) = hindsight_curves(menus, table).to_dict("records")
    assert best["pipeline"] == "imbalance=none + smote (w=0.5)"
    assert best["ap"] == pytest.approx(0.65)
