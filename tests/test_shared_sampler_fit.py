"""classifiers=[...]: one sampler fit per fold feeds every classifier, and each one's record
is what that classifier scores when fitted on the sampler's rows by hand."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.neighbors import KNeighborsClassifier

from genover.classifiers import XGBoostClassifier
from genover.data import load_dataset
from genover.experiment import crossval, run
from tests.spies import spy_on_fold_pipelines

SHARED = [
    "sampler=random_over",
    "sampler._target_=tests.spies.RecordingSampler",
    "baselines=[none,smote]",
    "classifier=knn",
    "classifiers=[knn,xgboost]",  # knn is the run's own: listed once
    "classifiers.xgboost.n_estimators=20",
    "evaluation.plots=false",
]


def test_one_sampler_fit_per_fold_feeds_every_classifier(compose_cfg, tmp_path, monkeypatch):
    log = tmp_path / "fits.jsonl"
    calls = spy_on_fold_pipelines(monkeypatch)
    kept = []
    fit_fold = crossval.fit_fold

    def keep(*args, **kwargs):
        out = fit_fold(*args, **kwargs)
        kept.append((args[1].name, out))
        return out

    monkeypatch.setattr(crossval, "fit_fold", keep)
    cfg = compose_cfg(*SHARED, f"+sampler.log_path={log}", "evaluation.threshold.tune=false")
    result = run(cfg, tmp_path / "run")

    # the sampler is fitted once per fold, whatever the number of classifiers
    assert len(log.read_text().splitlines()) == 2
    sampler_fits = pd.Series([c["method"] for c in calls if c["step"] == "sampler"])
    assert sampler_fits.value_counts().to_dict() == {"random_over": 2, "none": 2, "smote": 2}

    # each classifier's AP is that of the classifier fitted by hand on the sampler's rows
    data = load_dataset("synthetic:n300:d5:ir8")
    splits = list(
        RepeatedStratifiedKFold(n_splits=2, n_repeats=1, random_state=0).split(data.X, data.y)
    )
    records = pd.DataFrame(result["folds"]).set_index(["method", "classifier", "fold"])
    assert [name for name, _ in kept] == ["random_over"] * 2 + ["none"] * 2 + ["smote"] * 2
    for index, (name, (pipes, _record, _mask)) in enumerate(kept):
        fold = index % 2
        assert list(pipes) == ["knn", "xgboost"]
        pipe, capture = pipes["knn"]
        X_res, y_res = capture.resampled
        X_test = pipe.named_steps["transform"].transform(data.X[splits[fold][1]])
        truth = data.y[splits[fold][1]] == data.minority_class
        by_hand = {
            "knn": KNeighborsClassifier(n_neighbors=5, weights="distance"),
            "xgboost": XGBoostClassifier(n_estimators=20, random_state=0),
        }
        for clf, model in by_hand.items():
            proba = model.fit(X_res, y_res).predict_proba(X_test)[:, data.minority_class]
            expected = average_precision_score(truth, proba)
            assert records.loc[(name, clf, fold), "ap"] == pytest.approx(expected, rel=1e-9)
        if name != "none":
            assert len(X_res) > len(splits[fold][0])  # the rows did include synthetic ones

    # folds.csv: one row per fold and classifier; metrics.json: each classifier's means
    folds = pd.read_csv(tmp_path / "run" / "folds.csv")
    assert len(folds) == 3 * 2 * 2
    assert folds.groupby(["method", "classifier"]).size().to_dict() == {
        (m, c): 2 for m in ("none", "random_over", "smote") for c in ("knn", "xgboost")
    }
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["classifiers"] == ["knn", "xgboost"]
    for method, entry in metrics["methods"].items():
        by = entry["by_classifier"]
        assert set(by) == {"knn", "xgboost"}
        for clf in ("knn", "xgboost"):
            mine = folds[(folds["method"] == method) & (folds["classifier"] == clf)]["ap"]
            assert by[clf]["ap"]["mean"] == pytest.approx(mine.mean())
        assert entry["metrics"] == by["knn"]  # the run's own classifier
        assert [o["classifier"] for o in entry["fold_outcomes"]] == ["knn", "xgboost"] * 2


def test_closeness_of_the_synthetic_rows_is_recorded_per_fold(compose_cfg, tmp_path):
    log = tmp_path / "fits.jsonl"
    cfg = compose_cfg(*SHARED, f"+sampler.log_path={log}", "evaluation.threshold.tune=false")
    run(cfg, tmp_path / "run")
    folds = pd.read_csv(tmp_path / "run" / "folds.csv").set_index("method")
    near = ["synthetic.closest_record_ratio", "synthetic.exact_copy_share"]
    # random oversampling copies real rows: every synthetic row is an exact copy
    assert folds.loc["random_over", near].to_numpy().tolist() == [[0.0, 1.0]] * 4
    assert (folds.loc["random_over", "synthetic.other_class_share"] == 0).all()
    # SMOTE interpolates: no copies, nearer to the real rows than they are to each other
    smote = folds.loc["smote"]
    assert (smote["synthetic.exact_copy_share"] == 0).all()
    assert smote["synthetic.closest_record_ratio"].between(0.05, 0.9).all()
    assert smote["synthetic.other_class_share"].between(0, 0.5).all()
    assert folds.loc["none", near].isna().all().all()  # no synthetic rows, nothing to measure
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    outcome = metrics["methods"]["smote"]["fold_outcomes"][0]
    assert outcome["synthetic.exact_copy_share"] == 0.0
    # the real-row bar: held-out minority rows seen in training, the same fold for every method
    bar = folds.reset_index().pivot_table("real.exact_copy_share", "fold", "method")
    assert bar.notna().all().all() and (bar.nunique(axis=1) == 1).all()
    assert outcome["real.exact_copy_share"] == bar.loc[0, "smote"]


def test_threshold_tuning_fits_the_sampler_once_more_per_fold(compose_cfg, tmp_path, monkeypatch):
    log = tmp_path / "fits.jsonl"
    tuned = []
    tuned_thresholds = crossval.tuned_thresholds

    def keep(*args, **kwargs):
        tuned.append(tuned_thresholds(*args, **kwargs))
        return tuned[-1]

    monkeypatch.setattr(crossval, "tuned_thresholds", keep)
    cfg = compose_cfg(
        *SHARED, f"+sampler.log_path={log}", "baselines=[]", "evaluation.threshold.tune=true"
    )
    run(cfg)
    # per fold: one fit on the inner split (every classifier's threshold), one on the fold
    assert len(log.read_text().splitlines()) == 2 * 2
    assert len(tuned) == 2
    for thresholds, record in tuned:  # a threshold of each classifier's own
        assert set(thresholds) == {"knn", "xgboost"}
        assert all(0 <= t <= 1 for t in thresholds.values())
        assert record == {"threshold.tuning": "tuned"}


def test_boosters_get_category_codes_where_the_sampler_keeps_them(
    compose_cfg, tmp_path, monkeypatch
):
    """One sampler fit, two encodings: knn sees one-hot columns, XGBoost the codes (native
    splits) after samplers that only copy rows, and one-hot columns after SMOTE."""
    rng = np.random.default_rng(0)
    n = 240
    codes = rng.integers(0, 6, n)
    frame = pd.DataFrame({"a": rng.normal(size=n), "code": [f"c{c}" for c in codes]})
    frame["y"] = np.where((codes % 2 == 1) & (rng.random(n) < 0.4), "pos", "neg")
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    calls = spy_on_fold_pipelines(monkeypatch)
    cfg = compose_cfg(
        f"data=file:{path}",
        "target=y",
        "categorical=[code]",
        "sampler=random_over",
        "baselines=[none,smote]",
        "classifier=knn",
        "classifiers=[xgboost]",
        "classifiers.xgboost.n_estimators=5",
        "evaluation.threshold.tune=false",
        "evaluation.quality=false",
    )
    result = run(cfg)
    native = {
        method: {
            o["classifier.categorical"]
            for o in entry["fold_outcomes"]
            if o["classifier"] == "xgboost"
        }
        for method, entry in result["methods"].items()
    }
    assert native == {"none": {"native"}, "random_over": {"native"}, "smote": {"none"}}
    widths = pd.DataFrame(
        [
            {"method": c["method"], "classifier": c["classifier"], "width": c["X"].shape[1]}
            for c in calls
            if c["step"] == "classifier"
        ]
    ).drop_duplicates()
    widths = widths.set_index(["method", "classifier"])["width"].to_dict()
    one_hot, coded = 1 + 6, 1 + 1
    assert widths == {
        ("random_over", "KNeighborsClassifier"): one_hot,
        ("random_over", "XGBoostClassifier"): coded,
        ("none", "KNeighborsClassifier"): one_hot,
        ("none", "XGBoostClassifier"): coded,
        ("smote", "KNeighborsClassifier"): one_hot,
        ("smote", "XGBoostClassifier"): one_hot,
    }


def test_an_early_stopping_extra_classifier_is_refused_before_any_sampler_fit(
    compose_cfg, tmp_path
):
    """Its validation rows would have to be held out before resampling, which only the run's
    own classifier gets; the error names the fix and no sampler has been fitted."""
    log = tmp_path / "fits.jsonl"
    cfg = compose_cfg(
        "sampler=random_over",
        "sampler._target_=tests.spies.RecordingSampler",
        f"+sampler.log_path={log}",
        "baselines=[]",
        "classifier=lr",
        "classifiers=[mlp]",
        "evaluation.threshold.tune=false",
        "evaluation.plots=false",
    )
    result = run(cfg)
    error = result["methods"]["random_over"]["error"]
    assert "classifier 'mlp' early-stops on held-out rows" in error
    assert "make it the run's `classifier=`" in error
    assert not log.exists() or not log.read_text().strip()  # refused before fitting


def test_each_fold_records_whether_the_classifier_got_native_categories(compose_cfg, tmp_path):
    """hgb has native categorical splits too: folds.csv says which encoding it got."""
    rng = np.random.default_rng(0)
    n = 200
    codes = rng.integers(0, 4, n)
    frame = pd.DataFrame({"a": rng.normal(size=n), "code": [f"c{c}" for c in codes]})
    frame["y"] = np.where((codes % 2 == 1) & (rng.random(n) < 0.4), "pos", "neg")
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    cfg = compose_cfg(
        f"data=file:{path}",
        "target=y",
        "categorical=[code]",
        "sampler=none",
        "baselines=[smote]",
        "classifier=hgb",
        "classifier.max_iter=10",
        "evaluation.threshold.tune=false",
        "evaluation.plots=false",
        tiny=False,
    )
    methods = run(cfg)["methods"]
    assert {o["classifier.categorical"] for o in methods["none"]["fold_outcomes"]} == {"native"}
    assert {o["classifier.categorical"] for o in methods["smote"]["fold_outcomes"]} == {"one-hot"}
