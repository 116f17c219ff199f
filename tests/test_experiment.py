"""The cross-validated experiment: leakage safety, determinism, outputs and failures."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import RepeatedStratifiedKFold

from genover.data import load_dataset
from genover.experiment import run


def test_no_test_fold_row_reaches_any_fit(compose_cfg, tmp_path):
    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame({"row_id": np.arange(n), "a": rng.normal(size=n), "b": rng.normal(size=n)})
    frame["y"] = np.where(np.arange(n) % 8 == 0, "pos", "neg")
    path = tmp_path / "ids.csv"
    frame.to_csv(path, index=False)
    log = tmp_path / "fits.jsonl"
    cfg = compose_cfg(
        f"data=file:{path}",
        "target=y",
        "folds=3",
        "repeats=2",
        "baselines=[]",
        "transform=none",
        "transform._target_=tests.spies.RecordingTransformer",
        f"+transform.log_path={log}",
        "sampler=random_over",
        "sampler._target_=tests.spies.RecordingSampler",
        f"+sampler.log_path={log}",
        "classifier._target_=tests.spies.RecordingClassifier",
        f"+classifier.log_path={log}",
        "~classifier.C",
        "~classifier.max_iter",
    )
    result = run(cfg)
    assert result["methods"]["random_over"]["status"] == "ok"
    data = load_dataset(f"file:{path}", target="y")
    splits = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0).split(data.X, data.y)
    train_sets = [set(train.tolist()) for train, _ in splits]
    fits = [json.loads(line) for line in log.read_text().splitlines()]
    # Per fold: an inner fit that tunes the threshold, then the fit on the whole training fold.
    assert [f["stage"] for f in fits] == ["transform", "sampler", "classifier"] * 12
    for index, fit in enumerate(fits):
        train = train_sets[index // 6]
        if index % 6 < 3:
            assert set(fit["ids"]) < train, f"inner {fit['stage']} saw rows outside its fold"
        else:
            assert set(fit["ids"]) == train, f"{fit['stage']} saw rows outside its fold"


def test_same_seed_gives_byte_identical_metrics(compose_cfg, tmp_path):
    cfg = compose_cfg(
        "classifier=rf", "classifier.n_estimators=20", "sampler=smote", "baselines=[none,adasyn]"
    )
    run(cfg, output_dir=tmp_path / "a")
    run(cfg, output_dir=tmp_path / "b")
    first = (tmp_path / "a" / "metrics.json").read_bytes()
    assert first == (tmp_path / "b" / "metrics.json").read_bytes()
    run(
        compose_cfg(
            "classifier=rf",
            "classifier.n_estimators=20",
            "sampler=smote",
            "baselines=[none,adasyn]",
            "seed=1",
        ),
        output_dir=tmp_path / "c",
    )
    assert first != (tmp_path / "c" / "metrics.json").read_bytes()


def test_end_to_end_outputs_on_a_keel_dataset(compose_cfg, tmp_path, caplog_info):
    cfg = compose_cfg("data=keel:new_thyroid1", "folds=3", "sampler=adasyn", tiny=False)
    result = run(cfg, output_dir=tmp_path)
    assert list(result["methods"]) == ["adasyn", "none", "smote"]
    for name, method in result["methods"].items():
        assert method["status"] == "ok", name
        assert 0 < method["metrics"]["ap"]["mean"] <= 1
        assert set(method["metrics"]) >= {"ap", "roc_auc", "f1", "mcc", "balanced_accuracy"}
    folds = pd.read_csv(tmp_path / "folds.csv")
    assert len(folds) == 3 * 3 * 2 and set(folds["method"]) == {"adasyn", "none", "smote"}
    mean_ap = folds[folds.method == "smote"]["ap"].mean()
    assert mean_ap == pytest.approx(result["methods"]["smote"]["metrics"]["ap"]["mean"])
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
    assert json.loads((tmp_path / "metrics.json").read_text())["headline"] == "ap"
    assert "minority AP first" in caplog_info.text and "smote" in caplog_info.text


def test_mixed_types_one_hot_after_smote_nc(compose_cfg, tmp_path):
    cfg = compose_cfg("data=keel:abalone9-18", "sampler=smote_nc", "baselines=[smote]", "folds=3")
    result = run(cfg)
    assert result["methods"]["smote_nc"]["status"] == "ok"
    assert result["methods"]["smote"]["status"] == "ok"


def test_failing_method_is_recorded_and_others_still_run(compose_cfg):
    # SMOTE-NC refuses data without categorical columns; the baselines must still run.
    result = run(compose_cfg("sampler=smote_nc"))
    assert result["methods"]["smote_nc"]["status"] == "failed"
    assert "categorical" in result["methods"]["smote_nc"]["error"]
    assert result["methods"]["none"]["status"] == "ok"


def test_class_smaller_than_folds_is_rejected(compose_cfg):
    with pytest.raises(ValueError, match=r"has 7 rows, fewer than folds=10; use folds<=7"):
        run(compose_cfg("data=keel:ecoli-0-1-3-7_vs_2-6", "folds=10"))


def test_unknown_baseline_lists_choices(compose_cfg):
    with pytest.raises(ValueError, match=r"unknown baseline sampler 'smot'.*'smote'"):
        run(compose_cfg("baselines=[smot]"))


def test_multiclass_run_reports_macro_ap(compose_cfg):
    result = run(compose_cfg("data=synthetic:n600:c3:ir6", "baselines=[]", "sampler=smote"))
    stats = result["methods"]["smote"]["metrics"]
    assert 0 < stats["ap"]["mean"] <= 1 and 0 < stats["macro_ap"]["mean"] <= 1
