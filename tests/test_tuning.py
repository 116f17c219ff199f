"""Nested tuning: trials never see the outer test folds that the run reports."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import RepeatedStratifiedKFold

from genover.data import load_dataset
from genover.tuning import run_nested, search_space


def test_trials_use_inner_folds_of_each_outer_training_fold_only(compose_cfg, tmp_path):
    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame({"row_id": np.arange(n), "a": rng.normal(size=n)})
    frame["y"] = np.where(np.arange(n) % 6 == 0, "pos", "neg")
    path = tmp_path / "ids.csv"
    frame.to_csv(path, index=False)
    log = tmp_path / "fits.jsonl"
    cfg = compose_cfg(
        "experiment=tune_cvae",
        f"data=file:{path}",
        "target=y",
        "folds=2",
        "transform=none",
        "sampler=random_over",
        "sampler._target_=tests.spies.RecordingSampler",
        f"+sampler.log_path={log}",
        "classifier._target_=tests.spies.RecordingClassifier",
        f"+classifier.log_path={log}",
        "~classifier.C",
        "~classifier.max_iter",
        "~classifier.imbalance",
        "tune.n_trials=2",
        "tune.inner_folds=2",
        "~tune.params",
        "+tune.params={sampler.shrinkage: 'interval(0.0, 1.0)'}",
        tiny=False,
    )
    result = run_nested(cfg, tmp_path / "run")
    data = load_dataset(f"file:{path}", target="y")
    splits = list(
        RepeatedStratifiedKFold(n_splits=2, n_repeats=1, random_state=0).split(data.X, data.y)
    )
    fits = [json.loads(line) for line in log.read_text().splitlines() if '"sampler"' in line]
    # per outer fold: 2 trials x 2 inner folds, then the chosen settings on the outer fold
    assert len(fits) == 2 * (2 * 2 + 1)
    for outer, (train, _) in enumerate(splits):
        block = fits[outer * 5 : outer * 5 + 5]
        for inner in block[:4]:
            assert set(inner["ids"]) < set(train.tolist()), "a trial saw outer test rows"
            assert len(set(inner["ids"])) <= len(train) // 2 + 1
        assert set(block[4]["ids"]) == set(train.tolist())
    chosen = result["tuning"]["chosen"]
    assert [c["fold"] for c in chosen] == [0, 1]
    assert all(0.0 <= c["params"]["sampler.shrinkage"] <= 1.0 for c in chosen)
    trials = result["tuning"]["trials"]
    for c in chosen:  # the chosen settings are the fold's best inner score
        fold_trials = [t for t in trials if t["outer_fold"] == c["fold"]]
        assert c["inner_ap"] == max(t["inner_ap"] for t in fold_trials)
    outcomes = result["methods"]["random_over"]["fold_outcomes"]
    assert outcomes[0]["tuned.sampler.shrinkage"] == chosen[0]["params"]["sampler.shrinkage"]
    assert (tmp_path / "run" / "metrics.json").exists()


def test_search_space_reads_the_sweeper_grammar(compose_cfg):
    space = search_space(compose_cfg("experiment=tune_cvae"))
    assert space["sampler.model.latent_dim"].choices == (4, 8, 16)
    assert type(space["sampler.lr"]).__name__ == "LogUniformDistribution"
    assert space["sampler.lr"].low == pytest.approx(1e-4)
    with pytest.raises(ValueError, match="fixed values, not search ranges"):
        search_space(compose_cfg("experiment=tune_cvae", "tune.params={sampler.lr: 0.1}"))
