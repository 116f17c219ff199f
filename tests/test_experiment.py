"""The cross-validated experiment: leakage safety, determinism, outputs and failures."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hydra.errors import MissingConfigException
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from genover.data import load_dataset
from genover.experiment import run
from tests.conftest import FAST_GENERATOR


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
        "~classifier.imbalance",
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
    cfg = compose_cfg(
        "data=keel:new_thyroid1", "folds=3", "repeats=2", "sampler=adasyn", tiny=False
    )
    result = run(cfg, output_dir=tmp_path)
    assert list(result["methods"]) == ["adasyn", "none", "smote"]
    for name, method in result["methods"].items():
        assert method["status"] == "ok", name
        assert set(method["metrics"]) >= {"ap", "roc_auc", "f1", "mcc", "balanced_accuracy"}
    # `none` + lr is plain sklearn on the same folds: the recorded AP must match it exactly
    data = load_dataset("keel:new_thyroid1")
    reference = []
    folds = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)
    for train, test in folds.split(data.X, data.y):
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=0))
        proba = model.fit(data.X[train], data.y[train]).predict_proba(data.X[test])
        positive = data.y[test] == data.minority_class
        reference.append(average_precision_score(positive, proba[:, data.minority_class]))
    assert result["methods"]["none"]["metrics"]["ap"]["mean"] == pytest.approx(np.mean(reference))
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
    with pytest.raises(ValueError, match=r"has 7 rows, fewer than folds=10; use folds=7"):
        run(compose_cfg("data=keel:ecoli-0-1-3-7_vs_2-6", "folds=10"))


def test_unknown_baseline_lists_choices(compose_cfg):
    with pytest.raises(MissingConfigException, match=r"Could not load 'baselines/smot'"):
        compose_cfg("baselines=[smot]")


def test_baselines_are_a_config_group_with_their_own_overrides(compose_cfg):
    cfg = compose_cfg(
        "sampler=smote",
        "baselines=[none,adasyn,smote]",
        "baselines.adasyn.n_neighbors=3",
        "seed=4",
    )
    result = run(cfg)
    assert list(result["methods"]) == ["smote", "none", "adasyn"]  # smote is not run twice
    adasyn = result["methods"]["adasyn"]["sampler"]
    assert adasyn["n_neighbors"] == 3 and adasyn["random_state"] == 4
    assert result["choices"]["sampler"] == "smote" and result["choices"]["classifier"] == "lr"
    assert "baselines" not in compose_cfg("baselines=[]")


def test_multiclass_run_reports_macro_ap(compose_cfg):
    result = run(compose_cfg("data=synthetic:n600:c3:ir6", "baselines=[]", "sampler=smote"))
    stats = result["methods"]["smote"]["metrics"]
    folds = pd.DataFrame(result["folds"])
    # per fold: ap is the mean over the minority classes, macro_ap over every class
    data = load_dataset("synthetic:n600:c3:ir6", seed=0)
    minority = [f"ap_{data.class_names[c]}" for c in data.minority_classes]
    every = [f"ap_{name}" for name in data.class_names]
    assert set(every) <= set(folds.columns) and len(minority) == 2
    np.testing.assert_allclose(folds["ap"], folds[minority].mean(axis=1))
    np.testing.assert_allclose(folds["macro_ap"], folds[every].mean(axis=1))
    assert stats["macro_ap"]["mean"] == pytest.approx(folds["macro_ap"].mean())
    assert stats["ap"]["mean"] < stats["macro_ap"]["mean"]  # the majority's AP is the highest


def _ids_csv(tmp_path, n=160, every=5):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"row_id": np.arange(n), "a": rng.normal(size=n), "b": rng.normal(size=n)})
    frame["y"] = np.where(np.arange(n) % every == 0, "pos", "neg")
    frame.loc[frame.y == "pos", "a"] += 2.0
    path = tmp_path / "ids.csv"
    frame.to_csv(path, index=False)
    return path


def test_early_stopping_sees_real_held_out_rows_only(compose_cfg, tmp_path):
    """The MLP's validation rows are real rows of the training fold, held out before the
    sampler: never synthetic (interpolated ids), never rows the sampler or the MLP fitted."""
    path = _ids_csv(tmp_path)
    log = tmp_path / "fits.jsonl"
    cfg = compose_cfg(
        f"data=file:{path}",
        "target=y",
        "folds=2",
        "baselines=[]",
        "transform=none",
        "sampler=smote",
        "classifier=mlp",
        "classifier._target_=tests.spies.RecordingMLP",
        f"+classifier.log_path={log}",
        "classifier.max_epochs=2",
        "classifier.hidden=[8]",
        "evaluation.threshold.tune=false",
    )
    result = run(cfg)
    assert result["methods"]["smote"]["status"] == "ok"
    data = load_dataset(f"file:{path}", target="y")
    splits = RepeatedStratifiedKFold(n_splits=2, n_repeats=1, random_state=0).split(data.X, data.y)
    fits = [json.loads(line) for line in log.read_text().splitlines()]
    assert [f["stage"] for f in fits] == ["classifier", "eval_set"] * 2
    for (train, _), (fit, held) in zip(
        splits, zip(fits[::2], fits[1::2], strict=True), strict=True
    ):
        held_ids = set(held["ids"])
        assert all(float(i).is_integer() for i in held_ids), "a synthetic row reached validation"
        assert held_ids < set(map(float, train)), "validation rows from outside the fold"
        assert not held_ids & set(fit["ids"]), "a validation row was also trained on"
        assert any(not float(i).is_integer() for i in fit["ids"]), "SMOTE rows reach training"
        assert len(held_ids) == round(0.15 * 80 * 0.8) + round(0.15 * 80 * 0.2)
    outcome = result["methods"]["smote"]["fold_outcomes"][0]
    assert outcome["classifier.validation"] == "real rows held out before resampling"
    assert outcome["classifier.validation_rows"] == 12


def test_folds_without_synthetic_rows_are_visible_everywhere(compose_cfg, tmp_path, caplog_info):
    from genover.evaluation.report import write_report

    cfg = compose_cfg(
        "sampler=cvae",
        *FAST_GENERATOR,
        "sampler.amount_grid=[0.0]",  # the selector can only choose to generate nothing
        "baselines=[smote]",
        "evaluation.threshold.tune=false",
    )
    result = run(cfg, output_dir=tmp_path / "run")
    generated = result["methods"]["cvae"]["generation"]
    assert generated["folds_without_synthetic_rows"] == 2 and generated["mean_synthetic_rows"] == 0
    assert result["methods"]["smote"]["generation"]["folds_without_synthetic_rows"] == 0
    folds = pd.read_csv(tmp_path / "run" / "folds.csv")
    cvae = folds[folds.method == "cvae"]
    assert (cvae["synthetic_rows"] == 0).all() and (cvae["sampler.amount"] == 0).all()
    assert (cvae["sampler.requested_rows"] > 0).all() and cvae["sampler.steps"].notna().all()
    assert (folds[folds.method == "smote"]["synthetic_rows"] > 0).all()
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["methods"]["cvae"]["fold_outcomes"][1]["synthetic_rows"] == 0
    assert "sampler.fit_seconds" not in metrics["methods"]["cvae"]["fold_outcomes"][0]
    timings = json.loads((tmp_path / "run" / "timings.json").read_text())
    assert timings["cvae"]["folds"][0]["sampler.fit_seconds"] > 0
    table_row = next(line for line in caplog_info.text.splitlines() if line.startswith("cvae "))
    assert table_row.rstrip().endswith("generated rows in 0/2 folds")  # what it did, in words
    assert "cvae · fold" not in caplog_info.text and "cvae: fold 2 done" in caplog_info.text
    report = (write_report(tmp_path, tmp_path / "report"), tmp_path / "report" / "report.md")[1]
    assert "| cvae | 0.0 | 2 of 2 | 100% | 0.00 |" in report.read_text()


def test_same_seed_same_fold_outcomes_with_a_generator(compose_cfg):
    cfg = compose_cfg(
        "sampler=cvae", *FAST_GENERATOR, "baselines=[]", "evaluation.threshold.tune=false"
    )
    first = run(cfg)["methods"]["cvae"]["fold_outcomes"]
    assert first == run(cfg)["methods"]["cvae"]["fold_outcomes"]
    assert [o["synthetic_rows"] for o in first] == [o["sampler.requested_rows"] for o in first]


def test_generators_see_the_rows_as_given_and_scaling_comes_after(compose_cfg, monkeypatch):
    from genover.samplers import CVAESampler

    seen = []
    original = CVAESampler._fit_resample

    def spy(self, X, y):
        seen.append((np.array(X, copy=True), self.categorical_features))
        return original(self, X, y)

    monkeypatch.setattr(CVAESampler, "_fit_resample", spy)
    cfg = compose_cfg(
        "sampler=cvae",
        *FAST_GENERATOR,
        "data=keel:abalone9-18",
        "folds=2",
        "baselines=[]",
        "evaluation.threshold.tune=false",
    )
    result = run(cfg)
    data = load_dataset("keel:abalone9-18")
    train, _ = next(
        RepeatedStratifiedKFold(n_splits=2, n_repeats=1, random_state=0).split(data.X, data.y)
    )
    X, categorical = seen[0]
    numeric = ~data.categorical_mask
    # the user's values, numerics first and category codes last: not standardised
    np.testing.assert_allclose(X[:, : numeric.sum()], data.X[train][:, numeric])
    np.testing.assert_allclose(X[:, numeric.sum() :], data.X[train][:, ~numeric])
    assert list(categorical) == [int(numeric.sum())]
    assert result["methods"]["cvae"]["generation"]["mean_synthetic_rows"] > 0


def test_heldout_copy_share_counts_the_test_folds_minority_rows_seen_in_training():
    from genover.data.dataset import Column, Dataset
    from genover.experiment.crossval import heldout_copy_share

    # class 1 is the minority. Training rows (0,), (1,); the test fold holds minority rows
    # (1,) (seen) and (2,) (new), and a majority row (0,) that is seen but not counted.
    X = np.array([[0.0], [1.0], [0.0], [1.0], [2.0], [0.0], [0.0]])
    y = np.array([0, 1, 0, 1, 1, 0, 0])
    data = Dataset("toy", X, y, (Column("a", "numeric"),), ("no", "yes"))
    assert heldout_copy_share(data, X[[0, 1]], np.array([2, 3, 4])) == 1 / 2


def _strict_json(path):
    def refuse(constant):
        raise ValueError(f"{path.name} holds {constant}, which is not JSON")

    return json.loads(path.read_text(), parse_constant=refuse)


@pytest.mark.parametrize("data", ["balanced_binary", "sklearn:iris"])
def test_balanced_data_scores_the_first_class_as_the_minority(data, compose_cfg, tmp_path):
    """Balanced binary data crashed (no class rarer than the majority: IndexError), and
    balanced multiclass data gave an AP of NaN in a metrics.json that was not JSON."""
    target = []
    if data == "balanced_binary":
        rng = np.random.default_rng(0)
        frame = pd.DataFrame({"a": rng.normal(size=80), "y": ["no", "yes"] * 40})
        frame.loc[frame.y == "yes", "a"] += 1.0
        frame.to_csv(tmp_path / "bal.csv", index=False)
        data, target = f"file:{tmp_path / 'bal.csv'}", ["target=y"]
    cfg = compose_cfg(f"data={data}", *target, "sampler=random_over", "baselines=[]")
    payload = run(cfg, output_dir=tmp_path / "run")
    assert payload["methods"]["random_over"]["status"] == "ok"
    metrics = _strict_json(tmp_path / "run" / "metrics.json")
    ap = metrics["methods"]["random_over"]["metrics"]["ap"]["mean"]
    assert 0.5 < ap <= 1.0
    assert metrics["dataset"]["minority"] in ("no", "setosa")
