"""``genover advise``: the guideline bands, domain advice, warnings, and commands that run."""

from __future__ import annotations

import shlex
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hydra.core.hydra_config import HydraConfig
from omegaconf import OmegaConf
from sklearn.base import is_classifier

from genover.advise import (
    Profile,
    advise,
    advise_main,
    data_overrides,
    format_advice,
    rank_candidates,
    ratio_band,
)
from genover.experiment import build, run

TINY_DATA = "data=synthetic:n300:d5:ir8"


def profile(counts, categorical_share=0.0, missing_share=0.0, names=None) -> Profile:
    names = names or tuple(f"c{i}" for i in range(len(counts)))
    return Profile(
        "toy", sum(counts), 6, tuple(names), tuple(counts), categorical_share, missing_share
    )


def methods(recs) -> list[tuple[str, ...]]:
    """Each recommendation's overrides without the data ones."""
    return [tuple(o for o in r.overrides if not o.startswith("data=")) for r in recs]


def printed_commands(text: str) -> list[list[str]]:
    """The overrides of every ``genover ...`` command line in printed advice."""
    lines = [line.strip() for line in text.splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("genover ")]


BAND_CASES = [
    # (majority, minority), band label, advice, the band's methods
    (
        (150, 100),
        "below 2:1",
        "near balance: stratified splits, no resampling",
        [("sampler=none", "classifier=lr")],
    ),
    (
        (300, 100),
        "2:1 to 5:1",
        "class weights and stratified splits",
        [
            ("sampler=none", "classifier=lr", "classifier.imbalance=balanced"),
            ("sampler=none", "classifier=rf", "classifier.imbalance=balanced"),
        ],
    ),
    (
        (500, 100),
        "5:1 to 20:1",
        "SMOTE and cost-sensitive learning",
        [
            ("sampler=smote", "classifier=lr"),
            ("sampler=none", "classifier=lr", "classifier.imbalance=balanced"),
            ("sampler=none", "classifier=rf", "classifier.imbalance=balanced"),
        ],
    ),
    (
        (3000, 100),
        "20:1 to 100:1",
        "ADASYN, focal loss and ensembles",
        [
            ("sampler=adasyn", "classifier=lr"),
            ("sampler=none", "classifier=mlp", "loss=focal"),
            ("sampler=none", "classifier=brf"),
            ("sampler=none", "classifier=easy_ensemble"),
        ],
    ),
    (
        (10000, 20),
        "above 100:1",
        "anomaly detection and one-class learning",
        [
            ("sampler=none", "classifier=isolation_forest"),
            ("sampler=none", "classifier=one_class_svm"),
            ("sampler=none", "classifier=lof"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("counts", "label", "text", "expected"), BAND_CASES, ids=[c[1] for c in BAND_CASES]
)
def test_each_ratio_band_gives_the_documented_advice(counts, label, text, expected):
    advice = advise(profile(counts), ("data=x:y",))
    assert advice.band.label == label and advice.band.advice == text
    assert methods(advice.recommendations) == expected
    assert f"guideline for {label}: {text}" in format_advice(advice)


@pytest.mark.parametrize(
    ("ratio", "label"),
    [
        (1.99, "below 2:1"),
        (2.0, "2:1 to 5:1"),
        (4.99, "2:1 to 5:1"),
        (5.0, "5:1 to 20:1"),
        (20.0, "20:1 to 100:1"),
        (100.0, "20:1 to 100:1"),
        (100.01, "above 100:1"),
    ],
)
def test_band_edges(ratio, label):
    assert ratio_band(ratio).label == label


MEDICAL = (
    "evaluation.beta=2",
    "evaluation.threshold.objective=cost",
    "evaluation.threshold.cost=[[0,1],[20,0]]",
)
DOMAIN_CASES = [
    (
        "medical",
        "recall first: F2 and asymmetric costs for threshold tuning",
        [("sampler=smote", "classifier=lr", *MEDICAL)],
    ),
    (
        "fraud",
        "efficient methods (under-sampling and ensembles) and scoring latency",
        [("sampler=random_under", "classifier=lr"), ("sampler=none", "classifier=easy_ensemble")],
    ),
    (
        "manufacturing",
        "interpretable, rule-based ensembles",
        [
            ("sampler=none", "classifier=rusboost"),
            ("sampler=none", "classifier=brf", "+classifier.max_depth=3"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("domain", "text", "expected"), DOMAIN_CASES, ids=[c[0] for c in DOMAIN_CASES]
)
def test_each_domain_gives_the_documented_advice(domain, text, expected):
    advice = advise(profile((500, 100)), ("data=x:y",), domain)
    assert advice.domain_advice == text
    assert methods(advice.domain_recommendations) == expected
    assert f"domain {domain}: {text}" in format_advice(advice)


def test_medical_puts_the_cost_threshold_on_the_bands_first_method():
    advice = advise(profile((10000, 20)), ("data=x:y",), "medical")
    assert methods(advice.domain_recommendations) == [
        ("sampler=none", "classifier=isolation_forest", *MEDICAL)
    ]
    # The threshold variant fits the same model: it is not run twice by advise.run=true.
    assert len(advice.candidates()) == len(advice.recommendations)


def test_unknown_domain_is_refused():
    with pytest.raises(ValueError, match="unknown domain 'law'; use one of medical, fraud"):
        advise(profile((500, 100)), ("data=x:y",), "law")


def test_multiclass_above_100_gets_ensembles_and_a_warning():
    advice = advise(profile((5000, 400, 20)), ("data=x:y",))
    assert methods(advice.recommendations) == [
        ("sampler=none", "classifier=brf"),
        ("sampler=none", "classifier=easy_ensemble"),
    ]
    assert "multiclass" in {n.kind for n in advice.warnings}


@pytest.mark.parametrize(("minority", "warned"), [(7, True), (8, False)])
def test_smote_k_warning_at_its_edge(minority, warned):
    # 8 rows leave 8 - ceil(8/5) = 6 in the smallest training fold: just enough for k=5.
    advice = advise(profile((400, minority)), ("data=x:y",))
    notes = {n.kind: n for n in advice.warnings}
    assert ("smote_k" in notes) is warned
    if warned:
        assert (
            "keeps as few as 5, fewer than the 6 rows SMOTE's k_neighbors=5 needs"
            in notes["smote_k"].message
        )
        assert "sampler=random_over" in notes["smote_k"].command


@pytest.mark.parametrize(
    ("minority", "categorical_share", "warned"),
    [(100, 0.5, True), (101, 0.5, False), (50, 0.0, False), (50, 1.0, False)],
)
def test_generator_warning_needs_few_minority_rows_and_mixed_types(
    minority, categorical_share, warned
):
    advice = advise(profile((1000, minority), categorical_share), ("data=x:y",))
    notes = {n.kind: n for n in advice.warnings}
    assert ("generators" in notes) is warned
    if warned:
        assert "sampler=cvae" in notes["generators"].command
        assert "baselines=[none,smote_nc]" in notes["generators"].command


def test_too_few_minority_rows_for_five_folds_lowers_folds():
    cfg = OmegaConf.create({"data": "x:y", "seed": 0})
    base = data_overrides(cfg, profile((100, 3)))
    assert base == ("data=x:y", "folds=3")
    assert "folds" in {n.kind for n in advise(profile((100, 3)), base).warnings}


def test_profile_of_a_mixed_file_with_missing_values(tmp_path, capsys):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=40), "colour": rng.choice(["r", "g"], 40)})
    frame.loc[:3, "x"] = np.nan
    frame["label"] = ["bad"] * 8 + ["good"] * 32
    path = tmp_path / "parts.csv"
    frame.to_csv(path, index=False)
    assert advise_main([f"data=file:{path}", "target=label"]) == 0
    out = capsys.readouterr().out
    assert "2 features (50% categorical, 5.0% missing values)" in out
    assert "imbalance ratio 4.00:1; minority 'bad' with 8 rows" in out
    assert f"genover data=file:{path} target=label impute=median sampler=none" in out
    assert "few minority rows (8) and mixed column types (50% categorical)" in out


def _check_composes(compose_cfg, overrides):
    cfg = compose_cfg(*overrides, tiny=False)
    given = dict(o.lstrip("+").split("=", 1) for o in overrides)
    assert HydraConfig.get().runtime.choices["sampler"] == given["sampler"]
    assert HydraConfig.get().runtime.choices["classifier"] == given["classifier"]
    classifier = build(OmegaConf.to_container(cfg.classifier, resolve=True))
    assert is_classifier(classifier)
    for key, value in given.items():
        if key.startswith("classifier."):
            assert str(classifier.get_params()[key.split(".", 1)[1]]) == value
        elif key.startswith("evaluation."):
            node = OmegaConf.select(cfg, key)
            plain = OmegaConf.to_container(node) if OmegaConf.is_config(node) else node
            assert str(plain).replace(" ", "") == value
        elif key == "loss":
            assert HydraConfig.get().runtime.choices["loss"] == value
    return cfg


@pytest.mark.parametrize("domain", ["medical", "fraud", "manufacturing"])
@pytest.mark.parametrize("counts", [c[0] for c in BAND_CASES], ids=[c[1] for c in BAND_CASES])
def test_every_printed_command_composes(compose_cfg, counts, domain):
    advice = advise(profile(counts), ("data=keel:yeast4",), domain)
    commands = printed_commands(format_advice(advice))
    assert len(commands) == len(advice.recommendations) + len(advice.domain_recommendations)
    for overrides in commands:
        _check_composes(compose_cfg, overrides)


def test_a_printed_command_runs_end_to_end(compose_cfg, capsys):
    assert advise_main([TINY_DATA, "domain=medical"]) == 0
    commands = printed_commands(capsys.readouterr().out)
    medical = next(c for c in commands if "evaluation.threshold.objective=cost" in c)
    cfg = _check_composes(compose_cfg, medical)
    assert list(cfg.evaluation.threshold.cost) == [[0, 1], [20, 0]]
    shrink = ["folds=2", "repeats=1", "baselines=[none]", "evaluation.plots=false"]
    payload = run(compose_cfg(*medical, *shrink, tiny=False))
    assert payload["methods"]["smote"]["status"] == "ok"
    assert payload["evaluation"]["threshold"]["objective"] == "cost"
    assert {"recall_tuned", "fbeta_tuned"} <= set(payload["methods"]["smote"]["metrics"])


def test_ranking_runs_paired_folds_and_sorts_by_ap(compose_cfg):
    cfg = OmegaConf.create({"data": TINY_DATA.split("=", 1)[1], "seed": 0})
    prof = profile((267, 33))
    advice = advise(prof, data_overrides(cfg, prof))
    lr_only = [r for r in advice.recommendations if "classifier=lr" in r.overrides]
    assert [r.title for r in lr_only] == ["SMOTE", "cost-sensitive logistic regression"]
    ranked = rank_candidates(advice, lambda o: compose_cfg(*o, tiny=False), 2, 1, lr_only)
    assert len(ranked) == 3 and [r.error for r in ranked] == [None] * 3
    aps = [r.ap_mean for r in ranked]
    assert aps == sorted(aps, reverse=True)
    by_title = {r.title: r for r in ranked}
    assert by_title["none (reference)"].delta_vs_none == 0.0
    # Paired: the same folds as a direct run of the SMOTE command with none as its baseline.
    direct = run(
        compose_cfg(
            TINY_DATA,
            "sampler=smote",
            "classifier=lr",
            "folds=2",
            "repeats=1",
            "baselines=[none]",
            "evaluation.threshold.tune=false",
            "evaluation.quality=false",
            "evaluation.plots=false",
            tiny=False,
        )
    )
    smote = direct["methods"]["smote"]["metrics"]["ap"]["mean"]
    none = direct["methods"]["none"]["metrics"]["ap"]["mean"]
    assert by_title["SMOTE"].ap_mean == pytest.approx(smote)
    assert by_title["SMOTE"].delta_vs_none == pytest.approx(smote - none)


def test_advise_run_true_prints_the_ranking(capsys):
    # The tiny data's band (5:1 to 20:1) has SMOTE, weighted lr and weighted rf candidates.
    assert advise_main([TINY_DATA, "advise.run=true", "advise.folds=2"]) == 0
    out = capsys.readouterr().out
    assert "paired 2-fold x 1 cross-validation, ranked by minority AP:" in out
    ranking = out.split("ranked by minority AP:")[1]
    rows = [line.split() for line in ranking.splitlines() if line.strip()[:1].isdigit()]
    assert [int(r[0]) for r in rows] == [1, 2, 3, 4]
    aps = [float(r[1]) for r in rows]
    assert aps == sorted(aps, reverse=True)
    assert "none (reference)" in ranking


def test_bad_input_is_a_short_error_with_exit_2(capsys):
    assert advise_main(["data=keel:yeats4"]) == 2
    assert "genover advise: unknown KEEL dataset 'yeats4'" in capsys.readouterr().err
    assert advise_main(["data=keel:yeast4", "domain=law"]) == 2
    assert advise_main(["data=keel:yeast4", "bogus=1"]) == 2


def test_genover_advise_is_a_subcommand(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from genover.cli import main; main()",
            "advise",
            "data=keel:yeast4",
            "domain=fraud",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "guideline for 20:1 to 100:1: ADASYN, focal loss and ensembles" in proc.stdout
    assert "genover data=keel:yeast4 sampler=random_under classifier=lr" in proc.stdout
    assert not (tmp_path / "outputs").exists()  # advice alone writes nothing


def test_help_lists_the_guideline_and_domains(capsys):
    assert advise_main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: genover advise data=<spec>")
    assert "above 100:1     anomaly detection and one-class learning" in out
    assert "medical         recall first: F2 and asymmetric costs for threshold tuning" in out


def test_two_minority_rows_advice_and_its_check_use_the_same_folds(tmp_path, capsys, compose_cfg):
    """advise printed folds=2 while advise.run=true ran folds=3 and failed every candidate;
    and the printed commands failed on the threshold-tuning split (issue 18)."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40)})
    frame["y"] = ["pos"] * 2 + ["neg"] * 38
    path = tmp_path / "two.csv"
    frame.to_csv(path, index=False)
    data = [f"data=file:{path}", "target=y"]
    assert advise_main([*data, "advise.run=true"]) == 0
    out = capsys.readouterr().out
    assert "paired 2-fold x 1 cross-validation" in out
    ranking = out.split("ranked by minority AP:")[1]
    assert "none (reference)" in ranking and "fewer than folds" not in ranking
    commands = printed_commands(out.split("paired 2-fold")[0])
    assert commands and all("folds=2" in c for c in commands)
    for overrides in commands:
        payload = run(compose_cfg(*overrides, "evaluation.plots=false", tiny=False))
        assert any(m["status"] == "ok" for m in payload["methods"].values()), overrides


def test_a_sampler_that_cannot_run_is_not_recommended():
    """At 30:1 with 2 minority rows a training fold keeps 1: advise ranked ADASYN first while
    its own warning said ADASYN cannot run there."""
    advice = advise(profile((60, 2)), ("data=x:y",))
    assert "cannot run" in {n.kind: n for n in advice.warnings}["smote_k"].message
    recommended = [o for r in advice.recommendations for o in r.overrides]
    assert "sampler=adasyn" not in recommended and "sampler=smote" not in recommended
    assert methods(advice.recommendations)[0] == ("sampler=none", "classifier=mlp", "loss=focal")
