"""minority_cap=N: the low-data regime keeps at most N minority rows per training fold."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import RepeatedStratifiedKFold

from genover.data import load_dataset
from genover.experiment import cap_minority, run


def test_cap_keeps_n_minority_rows_and_every_majority_row():
    y = np.r_[np.zeros(80, int), np.ones(30, int)]
    train = np.arange(5, 110)  # a training fold: rows 5..109
    kept = cap_minority(train, y, [1], 7, seed=0)
    assert np.sum(y[kept] == 1) == 7
    assert set(kept[y[kept] == 0]) == set(train[y[train] == 0])  # majority untouched
    assert set(kept) <= set(train) and np.all(np.diff(kept) > 0)  # order kept
    np.testing.assert_array_equal(kept, cap_minority(train, y, [1], 7, seed=0))
    assert not np.array_equal(kept, cap_minority(train, y, [1], 7, seed=1))
    np.testing.assert_array_equal(cap_minority(train, y, [1], 50, seed=0), train)  # no-op


def test_cap_of_one_row_is_rejected():
    with pytest.raises(ValueError, match="minority_cap=1"):
        cap_minority(np.arange(10), np.r_[np.zeros(5, int), np.ones(5, int)], [1], 1, 0)


def test_run_fits_on_capped_folds_and_scores_the_full_test_folds(compose_cfg, tmp_path):
    rng = np.random.default_rng(0)
    n = 160
    frame = pd.DataFrame({"row_id": np.arange(n), "a": rng.normal(size=n)})
    frame["y"] = np.where(np.arange(n) % 4 == 0, "pos", "neg")  # 40 minority rows
    path = tmp_path / "ids.csv"
    frame.to_csv(path, index=False)
    log = tmp_path / "fits.jsonl"
    cfg = compose_cfg(
        f"data=file:{path}",
        "target=y",
        "folds=4",
        "repeats=1",
        "minority_cap=5",
        "baselines=[]",
        "evaluation.threshold.tune=false",
        "transform=none",
        "sampler=random_over",
        "sampler._target_=tests.spies.RecordingSampler",
        f"+sampler.log_path={log}",
    )
    result = run(cfg)
    data = load_dataset(f"file:{path}", target="y")
    splits = list(
        RepeatedStratifiedKFold(n_splits=4, n_repeats=1, random_state=0).split(data.X, data.y)
    )
    fits = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(fits) == 4
    minority = set(np.flatnonzero(frame["y"] == "pos"))
    for fit, (train, _test) in zip(fits, splits, strict=True):
        ids = set(fit["ids"])
        assert len(ids & minority) == 5  # capped
        assert ids - minority == set(train) - minority  # every majority row of the fold
        assert ids <= set(train)
    assert result["cv"]["minority_cap"] == 5
    records = result["folds"]
    assert [r["n_test"] for r in records] == [len(test) for _, test in splits]  # untouched
    assert [r["n_train"] for r in records] == [len(train) - 25 for train, _ in splits]


def test_capped_rows_are_the_same_for_every_sampler_and_classifier(
    compose_cfg, tmp_path, monkeypatch
):
    """A generator, SMOTE, ROSE and no resampling, each feeding two classifiers: every one is
    fitted on the same capped training rows per fold, and scores the whole test fold."""
    from tests.conftest import FAST_GENERATOR
    from tests.spies import spy_on_fold_pipelines

    rng = np.random.default_rng(0)
    n = 160
    frame = pd.DataFrame({"row_id": np.arange(n), "a": rng.normal(size=n), "b": rng.normal(size=n)})
    frame["y"] = np.where(np.arange(n) % 4 == 0, "pos", "neg")  # 40 minority rows
    path = tmp_path / "ids.csv"
    frame.to_csv(path, index=False)
    calls = spy_on_fold_pipelines(monkeypatch)
    cfg = compose_cfg(
        f"data=file:{path}",
        "target=y",
        "folds=3",
        "repeats=1",
        "minority_cap=6",
        "sampler=cvae",
        *FAST_GENERATOR,
        "baselines=[none,smote,rose]",
        "classifier=lr",
        "classifiers=[xgboost]",
        "classifiers.xgboost.n_estimators=5",
        "evaluation.threshold.tune=false",
        "evaluation.quality=false",
        "transform=none",
    )
    result = run(cfg)
    assert all(m["status"] == "ok" for m in result["methods"].values()), result["methods"]
    data = load_dataset(f"file:{path}", target="y")
    splits = list(
        RepeatedStratifiedKFold(n_splits=3, n_repeats=1, random_state=0).split(data.X, data.y)
    )
    minority = set(np.flatnonzero(frame["y"] == "pos"))
    methods = ["cvae", "none", "smote", "rose"]

    def ids(X):
        return {int(v) for v in X[:, 0]}

    def calls_of(method, step, classifier=None):
        return [
            c["X"]
            for c in calls
            if c["method"] == method
            and c["step"] == step
            and (classifier is None or c["classifier"] == classifier)
        ]

    sampled = {m: calls_of(m, "sampler") for m in methods}
    fitted = {m: [ids(X) for X in sampled[m]] for m in methods}
    for m in methods:
        assert len(fitted[m]) == 3, m  # one sampler fit per fold
    for fold, (train, _test) in enumerate(splits):
        rows = fitted["none"][fold]
        assert len(rows & minority) == 6 and rows - minority == set(train) - minority
        assert rows <= set(train)
        for m in methods:
            assert fitted[m][fold] == rows, (m, fold)  # the same capped rows for every sampler
    for m in methods:
        lr = calls_of(m, "classifier", "LogisticRegression")
        xgb = calls_of(m, "classifier", "XGBoostClassifier")
        assert len(lr) == len(xgb) == 3
        for fold in range(3):
            np.testing.assert_array_equal(lr[fold], xgb[fold])  # the same (resampled) rows
            real = sampled[m][fold]  # the sampler keeps its input rows first
            np.testing.assert_array_equal(lr[fold][: len(real)], real)
        for clf in ("LogisticRegression", "XGBoostClassifier"):
            scored = [ids(X) for X in calls_of(m, "predict", clf)]
            assert scored == [set(test) for _, test in splits], (m, clf)  # whole test folds
    cells = pd.DataFrame(result["folds"])
    assert set(cells["classifier"]) == {"lr", "xgboost"}
    assert (cells["minority_train"] == 6).all()
    assert cells.groupby("fold")["n_test"].nunique().eq(1).all()


def _few_minority(tmp_path, minority: int):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40)})
    frame["y"] = ["pos"] * minority + ["neg"] * (40 - minority)
    path = tmp_path / f"m{minority}.csv"
    frame.to_csv(path, index=False)
    return path


def test_one_minority_row_per_training_fold_runs_what_can_run(compose_cfg, tmp_path):
    """Threshold tuning's split once ran before its guard and failed every method."""
    path = _few_minority(tmp_path, 2)
    cfg = compose_cfg(
        f"data=file:{path}",
        "target=y",
        "folds=2",
        "sampler=none",
        "baselines=[random_over,smote]",
        "evaluation.plots=false",
        tiny=False,
    )
    methods = run(cfg)["methods"]
    assert methods["none"]["status"] == "ok" and methods["random_over"]["status"] == "ok"
    assert methods["smote"]["status"] == "failed"
    assert "cannot interpolate" in methods["smote"]["error"]
    for outcome in methods["none"]["fold_outcomes"]:
        assert outcome["threshold.tuning"].startswith(
            "skipped: the training fold holds 1 row(s) of class 'pos'"
        )


def test_minority_cap_2_records_why_threshold_tuning_was_skipped(compose_cfg):
    cfg = compose_cfg("sampler=none", "baselines=[]", "minority_cap=2", "evaluation.plots=false")
    outcomes = run(cfg)["methods"]["none"]["fold_outcomes"]
    assert all(
        o["threshold.tuning"].startswith("skipped: the training fold holds 2") for o in outcomes
    )
    uncapped = compose_cfg("sampler=none", "baselines=[]", "evaluation.plots=false")
    assert {o["threshold.tuning"] for o in run(uncapped)["methods"]["none"]["fold_outcomes"]} == {
        "tuned"
    }


def test_a_single_minority_row_says_what_is_possible(compose_cfg, tmp_path):
    path = _few_minority(tmp_path, 1)
    cfg = compose_cfg(f"data=file:{path}", "target=y", "folds=2", tiny=False)
    with pytest.raises(ValueError, match=r"has 1 row: cross-validation needs at least 2") as err:
        run(cfg)
    assert "folds<=1" not in str(err.value)
