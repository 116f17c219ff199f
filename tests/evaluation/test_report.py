"""The cross-dataset report: statistics by hand, and a real multirun made by the test."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from genover.evaluation.report import build_report, collect_runs, write_report
from genover.evaluation.stats import average_ranks, holm, nemenyi_cd, win_tie_loss


def test_ranks_holm_and_cd_by_hand():
    table = pd.DataFrame({"a": [0.9, 0.8, 0.7], "b": [0.5, 0.8, 0.9], "c": [0.1, 0.2, 0.3]})
    ranks = average_ranks(table)
    assert ranks.to_dict() == pytest.approx(
        {"a": (1 + 1.5 + 2) / 3, "b": (2 + 1.5 + 1) / 3, "c": 3.0}
    )
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    # Demsar (2006), Table 5: q_0.05 = 2.569 for k = 4
    assert nemenyi_cd(4, 10) == pytest.approx(2.569 * np.sqrt(4 * 5 / 60), abs=2e-3)
    assert win_tie_loss(np.array([0.5, 0.6, 0.7]), np.array([0.4, 0.6, 0.8])) == (1, 1, 1)


def _fake_run(folder, dataset, seed, scores: dict[str, float]):
    folder.mkdir(parents=True)
    rows = [
        {"method": m, "repeat": 0, "fold": f, "ap": v + 0.01 * f, "n_train": 10, "n_test": 5}
        for m, v in scores.items()
        for f in range(2)
    ]
    pd.DataFrame(rows).to_csv(folder / "folds.csv", index=False)
    metrics = {
        "dataset": {"name": dataset},
        "cv": {"seed": seed},
        "classifier": {"name": "lr"},
        "methods": {m: {"status": "ok"} for m in scores},
    }
    (folder / "metrics.json").write_text(json.dumps(metrics))


def test_known_ordering_gives_known_ranks_and_lists_failures(tmp_path):
    for i, name in enumerate(["d1", "d2", "d3", "d4"]):
        _fake_run(tmp_path / str(i), name, 0, {"best": 0.9 - i / 100, "mid": 0.6, "smote": 0.3})
    failed = tmp_path / "4"
    failed.mkdir()
    (failed / "error.json").write_text(json.dumps({"error": "ValueError: boom"}))
    running = tmp_path / "5" / ".hydra"
    running.mkdir(parents=True)
    (running / "config.yaml").write_text("data: keel:pima\n")
    report = write_report(tmp_path)
    assert report.ranks.to_dict() == {"best": 1.0, "mid": 2.0, "smote": 3.0}
    # Same order on n=4 datasets, k=3 methods: rank sums 4, 8, 12, so Friedman's
    # chi2 = 12/(n k (k+1)) * (4^2 + 8^2 + 12^2) - 3 n (k+1) = 8 and p = exp(-8/2) (2 df).
    assert report.friedman == pytest.approx((8.0, np.exp(-4.0)))
    # Demsar (2006), Table 5: q_0.05 = 2.343 for k = 3
    assert report.cd == pytest.approx(2.343 * np.sqrt(3 * 4 / (6 * 4)), abs=2e-3)
    versus = report.versus.set_index("method")
    assert versus.loc["best", ["wins", "ties", "losses"]].tolist() == [4, 0, 0]
    assert versus.loc["mid", ["wins", "ties", "losses"]].tolist() == [4, 0, 0]
    # Wilcoxon, 4 positive differences: exact two-sided p = 2 / 2^4; Holm doubles the smaller
    # of the two equal p-values and carries it to the other.
    assert versus["p"].tolist() == pytest.approx([0.125, 0.125])
    assert versus["p_holm"].tolist() == pytest.approx([0.25, 0.25])
    assert versus.loc["best", "mean_diff"] == pytest.approx(0.6 - 0.015)
    text = (tmp_path / "report.md").read_text()
    assert "ValueError: boom" in text and "## Unfinished runs" in text and "`5`" not in text
    assert "5 (" in text  # the unfinished run is listed
    assert (tmp_path / "cd_diagram.png").stat().st_size > 1000
    csv = pd.read_csv(tmp_path / "report.csv")
    assert set(csv["method"]) == {"best", "mid", "smote"} and len(csv) == 12


def test_report_on_a_real_multirun(tmp_path):
    sweep = tmp_path / "sweep"
    cmd = [
        sys.executable,
        "-c",
        "from genover.cli import main; main()",
        "-m",
        "data=synthetic:n240:d4:ir5,synthetic:n240:d5:ir6,keel:no_such_set",
        "sampler=none,smote,random_over",
        "seed=0,1",
        "baselines=[]",
        "folds=2",
        "repeats=1",
        "evaluation.plots=false",
        "evaluation.quality=false",
        f"hydra.sweep.dir={sweep}",
    ]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stderr[-2000:]  # the keel:no_such_set jobs failed
    runs = collect_runs(sweep)
    assert runs.finished == 12 and len(runs.failed) == 6
    report = build_report(runs)
    folds = runs.folds
    means = folds.groupby(["dataset", "method"])["ap"].mean().unstack()
    expected = means.rank(axis=1, ascending=False).mean()
    assert report.ranks.to_dict() == pytest.approx(expected.to_dict())
    assert sorted(means.columns) == ["none", "random_over", "smote"] and len(means) == 2
    # the statistics, by scipy directly on the same dataset x method table
    expected_friedman = stats.friedmanchisquare(*[means[c] for c in means.columns])
    assert report.friedman == pytest.approx(tuple(expected_friedman))
    raw = {
        m: stats.wilcoxon(means[m], means["smote"], zero_method="zsplit").pvalue
        for m in ("none", "random_over")
    }
    low, high = sorted(raw, key=raw.get)
    adjusted = {low: min(1.0, 2 * raw[low])}  # Holm by hand for two comparisons
    adjusted[high] = max(adjusted[low], min(1.0, raw[high]))
    versus = report.versus.set_index("method")
    assert versus["p"].to_dict() == pytest.approx(raw)
    assert versus["p_holm"].to_dict() == pytest.approx(adjusted)
    out = subprocess.run(
        [sys.executable, "-c", "from genover.cli import report_main; report_main()", str(sweep)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0 and "failed runs: 6" in out.stdout
    assert "no_such_set" in (sweep / "report.md").read_text()


def test_report_needs_finished_runs(tmp_path):
    with pytest.raises(ValueError, match="no finished runs"):
        build_report(collect_runs(tmp_path))
    with pytest.raises(ValueError, match="is not a directory"):
        collect_runs(tmp_path / "missing")


def test_report_on_a_scarcity_sweep_adds_the_curve(compose_cfg, tmp_path):
    """Two caps x two datasets, a generator and three classical samplers feeding two
    classifiers: the report adds the curve; its main tables use all rows."""
    from genover.experiment import run
    from tests.conftest import FAST_GENERATOR

    sweep = tmp_path / "sweep"
    job = 0
    for data in ("synthetic:n300:d5:ir8", "synthetic:n240:d4:ir5"):
        for cap in ("10", "null"):
            cfg = compose_cfg(
                f"data={data}",
                f"minority_cap={cap}",
                "sampler=cvae",
                *FAST_GENERATOR,
                "baselines=[none,smote,rose]",
                "classifiers=[knn]",
                "evaluation.threshold.tune=false",
                "evaluation.plots=false",
            )
            run(cfg, sweep / str(job))
            job += 1
    report = write_report(sweep)

    assert (sweep / "scarcity_curve.png").stat().st_size > 5000
    table = pd.read_csv(sweep / "scarcity.csv")
    assert sorted(table["cap"].astype(str).unique()) == ["10", "all"]
    assert len(table) == 2 * 4 and (table["n_datasets"] == 2).all()
    text = (sweep / "report.md").read_text()
    assert "## Scarcity curve" in text and "![scarcity curve](scarcity_curve.png)" in text
    assert text.count("### cap ") == 2 and "### cap 10 (" in text and "### cap all (" in text
    assert "**Crossover:**" in text

    # the fold rows, read back by hand: each dataset's mean over folds and both classifiers
    folds = []
    for job in range(4):
        frame = pd.read_csv(sweep / str(job) / "folds.csv")
        metrics = json.loads((sweep / str(job) / "metrics.json").read_text())
        frame["dataset"] = metrics["dataset"]["name"]
        frame["cap"] = metrics["cv"]["minority_cap"]
        folds.append(frame)
    folds = pd.concat(folds)
    assert set(folds["classifier"]) == {"lr", "knn"}
    means = folds.groupby(["cap", "dataset", "method"], dropna=False)["ap"].mean()
    uncapped = means[means.index.get_level_values("cap").isna()].droplevel("cap").unstack()
    capped = means.loc[10].unstack()
    assert report.cap == "all"
    pd.testing.assert_frame_equal(
        report.scores.sort_index(axis=1), uncapped.sort_index(axis=1), check_names=False
    )
    assert not np.allclose(capped.to_numpy(), uncapped.to_numpy())  # the caps differ
    at_ten = table[table["cap"].astype(str) == "10"].set_index("method")
    assert at_ten["mean"].to_dict() == pytest.approx(capped.mean().to_dict())
    assert at_ten.loc["cvae", "vs_none"] == pytest.approx((capped["cvae"] - capped["none"]).mean())
    assert report.scarcity.comparisons[0].minority_rows == 10
    assert report.scarcity.generators == ["cvae"]
    # closeness beside AP: ROSE adds noise to real rows, so no exact copies
    assert at_ten.loc["rose", "exact_copy_share"] == 0 and np.isnan(
        at_ten.loc["none", "exact_copy_share"]
    )
    assert at_ten.loc["smote", "closest_record_ratio"] > 0
    # detection AUC: the jobs' sample-quality means, averaged over the datasets
    detection = [
        json.loads((sweep / str(job) / "metrics.json").read_text())["methods"]["cvae"][
            "sample_quality"
        ]["two_sample_auc"]["mean"]
        for job in (0, 2)  # the cap-10 jobs
    ]
    assert at_ten.loc["cvae", "detection_auc"] == pytest.approx(np.mean(detection))
    assert np.isnan(at_ten.loc["none", "detection_auc"])
    # generation, each fold once (not once per classifier)
    assert at_ten.loc["none", "synthetic_rows"] == 0 and at_ten.loc["none", "share_without"] == 1
    assert at_ten.loc["smote", "synthetic_rows"] == pytest.approx(
        folds[(folds["cap"] == 10) & (folds["method"] == "smote")]["synthetic_rows"].mean()
    )


def test_a_bad_job_is_listed_and_the_report_still_written(tmp_path):
    """One failed, truncated or foreign job once stopped the whole report (issue 18)."""
    for i, name in enumerate(["d1", "d2", "d3"]):
        _fake_run(tmp_path / str(i), name, 0, {"best": 0.9, "smote": 0.3})
    empty_folds = tmp_path / "3"
    _fake_run(empty_folds, "d4", 0, {"best": 0.9})
    (empty_folds / "folds.csv").write_text("\n")  # the 1-byte folds.csv of a failed job
    truncated = tmp_path / "4"
    _fake_run(truncated, "d5", 0, {"best": 0.9})
    text = (truncated / "metrics.json").read_text()
    (truncated / "metrics.json").write_text(text[: len(text) // 2])
    foreign = tmp_path / "5"
    _fake_run(foreign, "d6", 0, {"best": 0.9})
    (foreign / "metrics.json").write_text("{}")
    report = write_report(tmp_path)
    reasons = {f["run"]: f["error"] for f in report.runs.failed}
    assert report.runs.finished == 3 and set(reasons) == {"3", "4", "5"}
    assert reasons["3"].startswith("folds.csv is unreadable")
    assert reasons["4"].startswith("metrics.json is unreadable (JSONDecodeError")
    assert reasons["5"].startswith("metrics.json lacks ['dataset', 'cv', 'methods']")
    text = (tmp_path / "report.md").read_text()
    assert "3 finished runs, 3 failures" in text and "`4` 4: metrics.json is unreadable" in text
    assert "(sample std, n−1)" in text


def test_an_unknown_baseline_is_an_error_listing_the_choices(tmp_path):
    for i, name in enumerate(["d1", "d2"]):
        _fake_run(tmp_path / str(i), name, 0, {"best": 0.9, "mid": 0.5})
    with pytest.raises(ValueError, match=r"--baseline 'nosuch' is not a method.*\['best', 'mid'\]"):
        build_report(collect_runs(tmp_path), baseline="nosuch")
    assert build_report(collect_runs(tmp_path)).baseline is None  # no smote: no tests
    assert build_report(collect_runs(tmp_path), baseline="mid").baseline == "mid"


def test_a_sweep_over_class_weighting_keeps_both_arms(tmp_path):
    """classifier.imbalance=none,balanced once labelled both jobs alike, and the second was
    dropped as a duplicate of the first."""
    for i, weighting in enumerate(["none", "balanced"]):
        _fake_run(tmp_path / str(i), "d1", 0, {"smote": 0.5 + 0.1 * i})
        path = tmp_path / str(i) / "metrics.json"
        metrics = json.loads(path.read_text())
        metrics["classifier"] = {"name": "xgboost", "imbalance": weighting}
        path.write_text(json.dumps(metrics))
    runs = collect_runs(tmp_path)
    assert sorted(runs.folds["classifier"].unique()) == ["xgboost", "xgboost[imbalance=balanced]"]
    assert len(runs.folds) == 4


def _shared_fit_run(folder, dataset, scores: dict[tuple[str, str], float]):
    """One job whose sampler fits fed two classifiers (the scarcity sweeps' layout)."""
    folder.mkdir(parents=True)
    rows = [
        {"method": m, "classifier": c, "repeat": 0, "fold": f, "ap": v, "n_train": 10}
        for (m, c), v in scores.items()
        for f in range(2)
    ]
    pd.DataFrame(rows).to_csv(folder / "folds.csv", index=False)
    metrics = {
        "dataset": {"name": dataset},
        "cv": {"seed": 0},
        "classifier": {"name": "lr"},
        "classifiers": ["lr", "rf"],
        "methods": {m: {"status": "ok"} for m in {m for m, _ in scores}},
    }
    (folder / "metrics.json").write_text(json.dumps(metrics))


def test_per_classifier_table_flags_a_classifier_the_method_loses_on(tmp_path):
    """The target 'not significantly worse on any classifier' needs each classifier on its
    own: a method that wins on the mean can still lose on every dataset with one of them."""
    for i in range(8):
        _shared_fit_run(
            tmp_path / str(i),
            f"d{i}",
            {
                ("none", "lr"): 0.5,
                ("none", "rf"): 0.6,
                ("gen", "lr"): 0.7 + i / 100,  # better on every dataset with lr
                ("gen", "rf"): 0.55 - i / 100,  # worse on every dataset with rf
            },
        )
    report = write_report(tmp_path, baseline="none")
    table = report.per_classifier.set_index(["method", "classifier"])
    assert report.versus.set_index("method").loc["gen", "mean_diff"] > 0  # wins on the mean
    # 8 same-sign differences: exact Wilcoxon p = 2 / 2^8, Holm over the two classifiers x2
    assert table["p"].tolist() == pytest.approx([2 / 256, 2 / 256])
    assert table["p_holm"].tolist() == pytest.approx([4 / 256, 4 / 256])
    assert table.loc[("gen", "rf"), "losses"] == 8 and table.loc[("gen", "rf"), "worse"]
    assert not table.loc[("gen", "lr"), "worse"]  # significant, but better
    text = (tmp_path / "report.md").read_text()
    assert "Significantly worse (Holm p < 0.05): gen on rf." in text
    assert pd.read_csv(tmp_path / "per_classifier.csv")["worse"].tolist() == [False, True]


def test_generators_are_the_methods_whose_folds_record_a_training_run():
    """The report reads which methods are generators from the jobs' outcomes: auto records a
    choice (even when it chose a generator), classical samplers record no training."""
    from genover.evaluation.report import generator_methods

    folds = pd.DataFrame(
        {
            "method": ["none", "smote", "auto", "cvae", "bagan", "cvae"],
            "sampler.auto_choice": [None, None, "cvae", None, None, None],
            "sampler.stop_reason": [None, None, None, "budget", "early_stop", "budget"],
        }
    )
    assert generator_methods(folds) == ["bagan", "cvae"]
    assert generator_methods(folds.drop(columns="sampler.stop_reason")) == []
    # a wrapped generative model (ForestFlow) trains no Lightning run but records its kind
    forest = pd.DataFrame({"method": ["forest_flow", "smote"], "sampler.generator": ["x", None]})
    assert generator_methods(pd.concat([folds, forest])) == ["bagan", "cvae", "forest_flow"]


def test_evaluation_imports_nothing_from_the_samplers():
    """One direction only: samplers may use evaluation's metrics, never the reverse."""
    import ast
    from pathlib import Path

    import genover.evaluation

    offenders = []
    for path in Path(genover.evaluation.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("genover.samplers")]
    assert not offenders, f"genover/evaluation imports the samplers: {offenders}"


def test_two_files_with_one_name_stay_two_datasets(tmp_path):
    """file:A/d.csv and file:B/d.csv are both named file:d.csv: the report merged them,
    kept one's folds and dropped the other's while counting 2 finished runs."""
    for i, (folder, score) in enumerate([("A", 0.9), ("B", 0.2)]):
        _fake_run(tmp_path / str(i), "file:d.csv", 0, {"cvae": score, "smote": 0.5})
        metrics = json.loads((tmp_path / str(i) / "metrics.json").read_text())
        metrics["data_fingerprint"] = {"path": f"/data/{folder}/d.csv", "sha256": folder}
        (tmp_path / str(i) / "metrics.json").write_text(json.dumps(metrics))
    report = build_report(collect_runs(tmp_path))
    means = report.summary.set_index(["dataset", "label"])["mean"]
    assert means[("file:A/d.csv", "cvae")] == pytest.approx(0.905)
    assert means[("file:B/d.csv", "cvae")] == pytest.approx(0.205)
    assert report.scores.shape == (2, 2)


def test_a_partial_scarcity_sweep_lists_deleted_jobs_and_mixes_no_datasets(tmp_path):
    """Of a 2-dataset x 2-cap sweep, dataset a ran at cap 10 only and b at all rows only
    (the other two jobs deleted): the deleted jobs were listed nowhere, the curve drew a at
    cap 10 and b at all rows (AP seemed to fall as rows were added), and its note read
    "uses the per-cap complete datasets complete at every cap"."""
    import yaml

    hydra = {
        "sweep": {"dir": str(tmp_path), "subdir": "${hydra.job.num}"},
        "sweeper": {"_target_": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"},
        "overrides": {"task": ["sampler=cvae", "data=a,b", "minority_cap=10,null"]},
    }
    (tmp_path / "multirun.yaml").write_text(yaml.safe_dump({"hydra": hydra}))
    for job, dataset, cap, score in [(0, "a", 10, 0.9), (3, "b", None, 0.1)]:
        _fake_run(tmp_path / str(job), dataset, 0, {"cvae": score + 0.05, "none": score})
        metrics = json.loads((tmp_path / str(job) / "metrics.json").read_text())
        metrics["cv"]["minority_cap"] = cap
        metrics["methods"]["cvae"]["sampler"] = {"_target_": "genover.samplers.CVAESampler"}
        (tmp_path / str(job) / "metrics.json").write_text(json.dumps(metrics))
    report = write_report(tmp_path)
    assert report.runs.incomplete == [
        "1 (sampler=cvae data=a minority_cap=null): no job folder (deleted, or never started)",
        "2 (sampler=cvae data=b minority_cap=10): no job folder (deleted, or never started)",
    ]
    assert report.scarcity.curve.empty and not (tmp_path / "scarcity_curve.png").exists()
    text = (tmp_path / "report.md").read_text()
    assert "no job folder" in text and "per-cap complete" not in text
    assert "No dataset has every method finished at every cap, so no curve is drawn" in text
    assert "Left out of the curve: a, b." in text
