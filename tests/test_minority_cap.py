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
