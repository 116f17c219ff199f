"""The scarcity curve's statistics on hand-made fold tables: datasets are the unit of every
test and interval, and the crossover is the largest cap at which a generator wins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from genover.evaluation.scarcity import cap_label, cap_order, render_scarcity, scarcity_curve
from genover.evaluation.stats import bootstrap_mean_ci, holm

DATASETS = [f"d{i}" for i in range(6)]
CLASSIFIERS = ["knn", "xgboost"]


def _folds(ap) -> pd.DataFrame:
    """Fold rows (2 folds) of every cap x dataset x classifier x method; ``ap(cap, d, c, m)``
    gives the cell's mean and the two folds sit at mean -/+ 0.01."""
    rows = []
    for cap in ("10", "all"):
        for d, dataset in enumerate(DATASETS):
            for c, clf in enumerate(CLASSIFIERS):
                for method in ("none", "smote", "rose", "cvae"):
                    mean = ap(cap, d, c, method)
                    for fold, shift in ((0, -0.01), (1, 0.01)):
                        rows.append(
                            {
                                "cap": cap,
                                "dataset": dataset,
                                "classifier": clf,
                                "method": method,
                                "seed": 0,
                                "repeat": 0,
                                "fold": fold,
                                "ap": mean + shift,
                                "minority_train": 10 if cap == "10" else 40 + 2 * fold,
                            }
                        )
    return pd.DataFrame(rows)


def _cells(seed: int = 0):
    """AP cells: at cap 10, cvae beats none on every dataset on average over the two
    classifiers, but with knn it loses on half the datasets; smote and rose are noise."""
    noise = np.random.default_rng(seed).normal(0, 0.01, (2, 6, 2, 4))
    methods = {"none": 0, "smote": 1, "rose": 2, "cvae": 3}

    def ap(cap, d, c, method):
        if cap == "10" and method == "cvae":  # knn: -0.01 on odd datasets, else +0.02; xgb +0.05
            return ap(cap, d, c, "none") + ((-0.01 if d % 2 else 0.02) if c == 0 else 0.05)
        base = 0.5 + 0.05 * d + noise[int(cap == "all"), d, c, methods[method]]
        return base - 0.03 if method == "cvae" else base

    return ap


def test_wilcoxon_counts_datasets_averaged_over_folds_and_classifiers():
    folds = _folds(_cells())
    curve = scarcity_curve(folds, ["cvae"])
    comp = next(c for c in curve.comparisons if c.cap == "10")
    assert comp.n_datasets == len(DATASETS)
    table = folds[folds["cap"] == "10"].groupby(["dataset", "method"])["ap"].mean().unstack()
    others = ["smote", "rose", "cvae"]
    raw = [stats.wilcoxon(table[m], table["none"], zero_method="zsplit").pvalue for m in others]
    expected = dict(zip(others, holm(raw), strict=True))
    rows = comp.rows.set_index("method")
    assert rows.loc[others, "p_none_holm"].to_dict() == pytest.approx(expected)
    # cvae beats none on all 6 datasets: the exact two-sided p is 2 / 2^6 before Holm
    assert raw[2] == pytest.approx(2 / 2**6)
    # the 12 dataset x classifier cells would be a different (wrong) sample
    cells = folds[(folds["cap"] == "10") & folds["method"].isin(["cvae", "none"])]
    cells = cells.groupby(["dataset", "classifier", "method"])["ap"].mean().unstack()
    cell_p = stats.wilcoxon(cells["cvae"], cells["none"], zero_method="zsplit").pvalue
    assert cell_p != pytest.approx(raw[2])
    assert rows.loc["cvae", "mean"] == pytest.approx(table["cvae"].mean())
    assert rows.loc["cvae", "vs_none"] == pytest.approx((table["cvae"] - table["none"]).mean())
    assert np.isnan(rows.loc["none", "vs_none"]) and np.isnan(rows.loc["none", "p_none_holm"])
    assert comp.minority_rows == 10


def test_best_peer_and_its_paired_differences():
    folds = _folds(_cells())
    comp = next(c for c in scarcity_curve(folds, ["cvae"]).comparisons if c.cap == "all")
    table = folds[folds["cap"] == "all"].groupby(["dataset", "method"])["ap"].mean().unstack()
    peer = table[["none", "smote", "rose"]].mean().idxmax()
    assert comp.best_peer == peer
    rows = comp.rows.set_index("method")
    diff = (table["cvae"] - table[peer]).to_numpy()
    assert rows.loc["cvae", "vs_best_peer"] == pytest.approx(diff.mean())
    low, high = bootstrap_mean_ci(diff, seed=0)
    assert (rows.loc["cvae", "vs_best_peer_low"], rows.loc["cvae", "vs_best_peer_high"]) == (
        pytest.approx((low, high))
    )
    others = [m for m in table.columns if m != peer]
    raw = [stats.wilcoxon(table[m], table[peer], zero_method="zsplit").pvalue for m in others]
    assert rows.loc[others, "p_best_peer_holm"].to_dict() == pytest.approx(
        dict(zip(others, holm(raw), strict=True))
    )
    assert comp.minority_rows == pytest.approx(41.0)  # folds of 40 and 42 minority rows


def test_bootstrap_interval_is_scipys_percentile_interval():
    values = np.array([0.03, -0.01, 0.02, 0.05, 0.00, 0.04, 0.01, -0.02])
    low, high = bootstrap_mean_ci(values, seed=3)
    expected = stats.bootstrap(
        (values,),
        np.mean,
        confidence_level=0.95,
        n_resamples=2000,
        method="percentile",
        random_state=np.random.default_rng(3),
    ).confidence_interval
    assert (low, high) == pytest.approx((expected.low, expected.high))
    assert low < values.mean() < high
    assert high - low < np.ptp(values)
    assert bootstrap_mean_ci(values, level=0.5, seed=3)[1] < high  # a narrower level
    assert bootstrap_mean_ci(np.array([0.1, 0.1, 0.1])) == (0.1, 0.1)
    assert all(np.isnan(bootstrap_mean_ci(np.array([0.1]))))


def _crossover_folds(wins: dict[str, bool]) -> pd.DataFrame:
    """One classifier, four datasets; at each cap the generator either beats every classical
    peer's mean or falls short of the best one (rose)."""
    rows = []
    for cap, win in wins.items():
        for d in range(4):
            means = {"none": 0.50, "smote": 0.52, "rose": 0.55, "random_over": 0.51}
            means["ddpm"] = 0.56 if win else 0.54
            means["cvae"] = 0.40
            for method, mean in means.items():
                rows.append(
                    {
                        "cap": cap,
                        "dataset": f"d{d}",
                        "classifier": "lr",
                        "method": method,
                        "fold": 0,
                        "repeat": 0,
                        "seed": 0,
                        "ap": mean + 0.01 * d,
                    }
                )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("wins", "expected"),
    [
        ({"10": True, "20": True, "50": False, "all": False}, "20"),
        # still beats: every cap from the fewest rows up; a later win alone is not a crossover
        ({"10": True, "20": False, "50": True, "all": False}, "10"),
        ({"10": False, "20": True, "50": True, "all": True}, None),
        ({"10": False, "20": False, "50": False, "all": False}, None),
        ({"10": True, "20": True, "50": True, "all": True}, "all"),
    ],
)
def test_crossover_is_the_largest_cap_up_to_which_a_generator_beats_every_classical_peer(
    wins, expected
):
    curve = scarcity_curve(_crossover_folds(wins), ["cvae", "ddpm"])
    assert curve.caps == ["10", "20", "50", "all"]
    assert curve.crossover == expected
    assert curve.crossover_methods == ([] if expected is None else ["ddpm"])
    assert curve.winning_caps == [cap for cap, win in wins.items() if win]
    # ddpm is +0.01 over rose on every dataset: its interval excludes zero wherever it wins
    assert curve.significant_crossover == expected
    for comp in curve.comparisons:
        assert comp.best_peer == "rose"


def test_cap_labels_and_order():
    assert [cap_label(c) for c in (10, 20.0, None, float("nan"))] == ["10", "20", "all", "all"]
    assert cap_order(["all", "50", "10", "20"]) == ["10", "20", "50", "all"]
    assert scarcity_curve(_folds(_cells()).query("cap == 'all'"), ["cvae"]) is None


def test_datasets_missing_a_classifier_are_left_out_of_the_paired_table():
    folds = _folds(_cells())
    gone = (folds["dataset"] == "d5") & (folds["classifier"] == "knn") & (folds["method"] == "cvae")
    curve = scarcity_curve(folds[~gone], ["cvae"])
    comp = next(c for c in curve.comparisons if c.cap == "10")
    assert comp.n_datasets == len(DATASETS) - 1


def test_a_mean_win_whose_interval_straddles_zero_is_no_significant_crossover():
    """ddpm beats every classical peer on the mean at every cap, but loses to the best peer on
    two of six datasets: the interval of its difference straddles zero, so the crossover
    holds on the mean and at no cap with the interval above zero."""
    rows = []
    for cap in ("10", "all"):
        for d, edge in enumerate((0.06, -0.02, 0.05, -0.03, 0.04, 0.01)):
            means = {"none": 0.50, "smote": 0.52, "rose": 0.55, "ddpm": 0.55 + edge}
            for method, mean in means.items():
                rows.append(
                    {"cap": cap, "dataset": f"d{d}", "classifier": "lr", "method": method}
                    | {"fold": 0, "repeat": 0, "seed": 0, "ap": mean + 0.01 * d}
                )
    curve = scarcity_curve(pd.DataFrame(rows), ["ddpm"])
    for comp in curve.comparisons:
        ddpm = comp.rows.set_index("method").loc["ddpm"]
        assert comp.best_peer == "rose"
        assert (
            ddpm["vs_best_peer_low"] < 0 < ddpm["vs_best_peer"] == pytest.approx(0.0183, abs=1e-3)
        )
    assert curve.crossover == "all" and curve.winning_caps == ["10", "all"]
    assert curve.significant_crossover is None


def test_the_real_row_copy_bar_stands_beside_each_methods_exact_copies():
    folds = _folds(_cells())
    # the held-out bar: 0.2 on fold 0 and 0.4 on fold 1 at cap 10, 0 with all rows
    folds["real.exact_copy_share"] = np.where(folds["cap"] == "10", 0.2 + 0.2 * folds["fold"], 0)
    folds["synthetic.exact_copy_share"] = np.where(folds["method"] == "cvae", 0.5, np.nan)
    curve = scarcity_curve(folds, ["cvae"])
    at_ten = next(c for c in curve.comparisons if c.cap == "10").rows.set_index("method")
    assert at_ten["real_copy_share"].to_dict() == pytest.approx(
        {m: 0.3 for m in ("none", "smote", "rose", "cvae")}
    )
    assert at_ten.loc["cvae", "exact_copy_share"] == 0.5
    line = next(row for row in render_scarcity(curve, None) if row.startswith("| cvae"))
    assert "| 50.0% | 30.0% |" in line  # exact copies, then the real rows' bar
