"""``experiment=ceiling``: an inner CV on each outer training fold chooses a pipeline per arm;
the test fold never reaches the choice; the refit is the chosen pipeline fitted by hand."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf
from sklearn.metrics import average_precision_score

from genover.evaluation.report import write_report
from genover.evaluation.rundir import completed_run
from genover.experiment import Method, fold_pipeline, fold_splits, load_configured_dataset
from genover.experiment.ceiling import InnerCache, build_menu, outer_fold, run_ceiling
from genover.experiment.config import config_choices, experiment_classifiers, experiment_methods
from tests.test_config import CONFIRM, DEV, _swept

# rf (none | balanced) x {none, random oversampling at weight 0.5}: 2 + 2 pipelines
CEILING = [
    "experiment=ceiling",
    "classifier=rf",
    "classifier.n_estimators=10",
    "classifiers=[]",
    "baselines=[random_over]",
    "ceiling.synthetic_weights=[0.5]",
]


def _setup(cfg):
    dataset = load_configured_dataset(cfg)
    choices = config_choices(cfg)
    methods = experiment_methods(cfg, choices)
    classifiers = experiment_classifiers(cfg, choices)
    return dataset, methods, classifiers, build_menu(classifiers, methods, cfg.ceiling)


def test_the_menu_and_the_arms(compose_cfg):
    cfg = compose_cfg(*CEILING, "classifiers=[knn]", "ceiling.synthetic_weights=[1.0,0.5]")
    _, _, _, menu = _setup(cfg)
    keys = [e.key for e in menu]
    assert keys[:3] == [
        "rf[imbalance=none] + none (w=1)",
        "rf[imbalance=balanced] + none (w=1)",
        "knn[imbalance=none] + none (w=1)",
    ]
    # knn has no class weighting and takes no sample_weight: one pipeline per sampler
    assert [k for k in keys if k.startswith("knn")] == [
        "knn[imbalance=none] + none (w=1)",
        "knn[imbalance=none] + random_over (w=1)",
    ]
    assert len(menu) == 3 + 2 * 2 + 1


def _choices(dataset, cfg, setup, split) -> tuple[dict, list]:
    _, methods, classifiers, menu = setup
    arms, rows = outer_fold(dataset, cfg, menu, methods, classifiers, split, 0, InnerCache(None))
    chosen = {
        arm: {k: v for k, v in o.items() if k.startswith("ceiling.")}
        for arm, (_, o, _) in arms.items()
    }
    return chosen, [(r["ceiling.sampler"], r["ceiling.imbalance"], r["inner_ap"]) for r in rows]


def test_the_test_fold_never_influences_the_inner_choice(compose_cfg):
    cfg = compose_cfg(*CEILING)
    setup = _setup(cfg)
    dataset = setup[0]
    train, test = fold_splits(dataset, cfg)[0]
    rng = np.random.default_rng(1)
    y, X = dataset.y.copy(), dataset.X.copy()
    y[test] = rng.permutation(y[test])  # other labels, same class counts
    X[test] = rng.normal(size=X[test].shape)
    changed = dataclasses.replace(dataset, X=X, y=y)
    before, inner_before = _choices(dataset, cfg, setup, (train, test))
    after, inner_after = _choices(changed, cfg, setup, (train, test))
    assert before == after and inner_before == inner_after
    assert set(before) == {"without", "with"} and before["without"]["ceiling.sampler"] == "none"


def _hand_fit_ap(cfg, dataset, outcome, train, test) -> float:
    """The chosen pipeline built and fitted by hand on the whole training fold."""
    name = outcome["ceiling.sampler"]
    node = cfg.sampler if name == "none" else cfg.baselines[name]
    classifier = {**OmegaConf.to_container(cfg.classifier, resolve=True)}
    classifier["imbalance"] = outcome["ceiling.imbalance"]
    method = Method(name, OmegaConf.to_container(node, resolve=True))
    pipe, _ = fold_pipeline(dataset, method, cfg, classifier=classifier)
    X_fit, y_fit = pipe[:-1].fit_resample(dataset.X[train], dataset.y[train])
    weight = outcome["ceiling.synthetic_weight"]
    weights = np.where(np.arange(len(y_fit)) >= len(train), weight, 1.0)  # appended: w
    params = {"sample_weight": weights} if weight != 1 else {}  # w = 1: no weights at all
    pipe.steps[-1][1].fit(X_fit, y_fit, **params)
    minority = dataset.minority_class
    proba = pipe.predict_proba(dataset.X[test])[:, list(pipe.classes_).index(minority)]
    return average_precision_score(dataset.y[test] == minority, proba)


def test_the_refit_is_the_chosen_pipeline_fitted_by_hand_on_the_training_fold(compose_cfg):
    cfg = compose_cfg(*CEILING, "ceiling.hindsight=false")
    payload = run_ceiling(cfg)
    dataset = load_configured_dataset(cfg)
    splits = fold_splits(dataset, cfg)
    records = pd.DataFrame(payload["folds"])
    samplers = []
    for arm in ("without", "with"):
        for outcome in payload["methods"][arm]["fold_outcomes"]:
            train, test = splits[outcome["fold"]]
            mine = records[(records["method"] == arm) & (records["fold"] == outcome["fold"])]
            expected = _hand_fit_ap(cfg, dataset, outcome, train, test)
            assert mine["ap"].item() == pytest.approx(expected, abs=1e-12)
            samplers.append(outcome["ceiling.sampler"])
    assert "random_over" in samplers  # a weighted, resampled choice was among those checked


def test_a_ceiling_sweep_reports_its_section_csv_and_curve(compose_cfg, tmp_path):
    for job, cap in enumerate(("10", "null")):
        cfg = compose_cfg(*CEILING, f"minority_cap={cap}")
        run_ceiling(cfg, tmp_path / "sweep" / str(job))
        assert completed_run(tmp_path / "sweep" / str(job), cfg) is not None  # resume=true skips
    write_report(tmp_path / "sweep", tmp_path / "report")
    text = (tmp_path / "report" / "report.md").read_text()
    assert "## Ceiling" in text and "best in hindsight" not in text.split("## Ceiling")[0]
    table = pd.read_csv(tmp_path / "report" / "ceiling.csv", dtype={"cap": str})
    assert list(table.columns) == ["dataset", "cap", "arm", "ap"]
    assert list(zip(table["cap"], table["arm"], strict=True)) == [
        ("10", "without"),
        ("10", "with"),
        ("all", "without"),
        ("all", "with"),
    ]
    assert (tmp_path / "report" / "ceiling_curve.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("experiment", "suite"), [("ceiling_confirm", CONFIRM), ("ceiling_dev", DEV)]
)
def test_ceiling_suites_are_the_scarcity_suites_at_caps_10_20_and_all(
    compose_cfg, experiment, suite
):
    swept = _swept(compose_cfg, experiment)
    assert swept["data"] == [f"keel:{name}" for name in suite]
    assert swept["minority_cap"] == ["10", "20", "null"]
    cfg = compose_cfg(f"experiment={experiment}", tiny=False)
    assert cfg.folds == 5 and cfg.ceiling.inner_folds == 3 and cfg.sampler._target_
    assert list(cfg.baselines) == ["rose", "smote", "cvae"]
    assert cfg.classifier._target_.endswith("LogisticRegression")
    assert [c._target_.rsplit(".", 1)[-1] for c in cfg.classifiers.values()] == [
        "CatBoostClassifier"
    ]


def test_a_menu_without_no_resampling_is_refused(compose_cfg):
    cfg = compose_cfg(*CEILING, "sampler=smote")
    with pytest.raises(ValueError, match="use sampler=none"):
        _setup(cfg)


def test_an_early_stopping_classifier_in_the_menu_is_refused_naming_the_fix(compose_cfg):
    """One sampler fit feeds the whole menu, so no pipeline can hold out its own rows for an
    MLP's early stopping: refused up front (it used to fail every inner split, then crash)."""
    cfg = compose_cfg(*CEILING, "classifiers=[mlp]")
    with pytest.raises(ValueError, match=r"classifiers\.mlp\.val_fraction=0"):
        _setup(cfg)
    cfg = compose_cfg(*CEILING, "classifiers=[mlp]", "classifiers.mlp.val_fraction=0")
    assert any(e.classifier.startswith("mlp") for e in _setup(cfg)[3])


def test_an_arm_with_no_fitted_pipeline_is_a_named_error():
    from genover.experiment.ceiling import Entry, choose

    menu = [Entry("rf", "none", "none", 1.0), Entry("rf", "none", "smote", 1.0)]
    with pytest.raises(ValueError, match="'without' arm"):
        choose({menu[1].key: 0.5}, menu)


def test_a_rerun_reuses_the_cached_inner_predictions(compose_cfg, tmp_path, monkeypatch):
    from genover.experiment import ceiling

    fits = []
    fit_entries = ceiling.fit_entries

    def counted(dataset, method, cfg, entries, classifiers, train, seed):
        fits.append(len(train))
        return fit_entries(dataset, method, cfg, entries, classifiers, train, seed)

    monkeypatch.setattr(ceiling, "fit_entries", counted)
    cfg = compose_cfg(*CEILING, "ceiling.hindsight=false")
    first = run_ceiling(cfg, tmp_path)
    outer = sorted(len(train) for train, _ in fold_splits(load_configured_dataset(cfg), cfg))
    assert len(fits) > 2 * 3 * 2  # 2 outer folds x 3 inner splits x 2 samplers, then the refits
    fits.clear()
    second = run_ceiling(cfg, tmp_path)
    assert set(fits) <= set(outer)  # only the refits on whole training folds
    assert second["folds"] == first["folds"]


def test_the_balanced_scarcity_suite_weights_every_classifier_under_its_own_name(compose_cfg):
    swept = _swept(compose_cfg, "scarcity_balanced_confirm")
    assert swept["data"] == [f"keel:{name}" for name in CONFIRM]
    cfg = compose_cfg("experiment=scarcity_balanced_confirm", tiny=False)
    named = experiment_classifiers(cfg, config_choices(cfg))
    assert list(named) == ["lr"] + [
        f"{c}[imbalance=balanced]" for c in ("rf", "hgb", "xgboost", "lightgbm", "catboost")
    ]
    assert {node["imbalance"] for node in named.values()} == {"balanced"}
