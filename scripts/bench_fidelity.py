"""Fidelity of genover's generators against ctgan's TVAE and CTGAN.

On a stratified 70/30 split of each dataset, every generator learns the training table
(features and class) for the same number of epochs (passes over the training rows; genover
trains by optimiser steps, so its step budget is set to those epochs at its batch size, early
stopping on), then draws a synthetic table with the training class counts. Reported:

- detection AUC: a gradient-boosting classifier told real training rows from as many synthetic
  rows, 5-fold cross-validated ROC-AUC (0.5 = indistinguishable);
- closest-record ratio: median distance of a synthetic row to its closest real training row
  over that of a real row to its closest other real row (near 0 = copies; the draws around
  real rows of genover's defaults are judged against the very rows they start from, so this
  column says how much of their detection AUC is closeness to those rows);
- TSTR minority AP: a random forest trained on the synthetic table only, scored on the real
  test rows (TRTR, the same forest on the real training rows, is the reference);
- fit seconds (training), on this machine's 2 cores.

Run through ``bash scripts/bench_fidelity.sh`` (ctgan lives in its own virtualenv).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.metrics import average_precision_score
from sklearn.model_selection import cross_val_score, train_test_split

from genover import BAGANSampler, CVAESampler, DDPMSampler, FlowSampler, ForestFlowSampler
from genover.data import load_dataset

ROOT = Path(__file__).resolve().parents[1]
GENOVER = {"cvae": CVAESampler, "ddpm": DDPMSampler, "bagan": BAGANSampler, "flow": FlowSampler}
# The configs' defaults (conf/sampler/*.yaml: draws around real rows and the confidence
# filter), and the bare models drawing from their prior / from noise, without the filter.
SETTINGS = {
    "cvae": {"filter_confidence": 0.25, "model": {"posterior_share": 1.0}},
    "ddpm": {"filter_confidence": 0.25, "model": {"anchor_share": 1.0, "anchor_noise": 0.5}},
    "bagan": {},
    "flow": {},  # its config defaults: draws from noise, no filter
    "cvae_prior": {},
    "ddpm_noise": {},
}


def features(frame: pd.DataFrame, cat_cols: list[str]) -> np.ndarray:
    """Numeric columns as they are, categorical columns one-hot (fixed category lists)."""
    parts = [frame.drop(columns=cat_cols).to_numpy(dtype=float)]
    for c in cat_cols:
        cats = frame[c].cat.categories
        parts.append((frame[c].to_numpy()[:, None] == np.asarray(cats)[None, :]).astype(float))
    return np.hstack(parts)


def closest_record_ratio(real: np.ndarray, synth: np.ndarray) -> float:
    """Median distance of a synthetic row to its closest real row, over the median distance
    of a real row to its closest other real row (standardised features). Near 0: copies of
    training rows; near 1: as far from the training rows as they are from each other."""
    from sklearn.neighbors import NearestNeighbors
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(real)
    real, synth = scaler.transform(real), scaler.transform(synth)
    nn = NearestNeighbors(n_neighbors=2).fit(real)
    real_gap = np.median(nn.kneighbors(real)[0][:, 1])
    synth_gap = np.median(nn.kneighbors(synth, n_neighbors=1)[0][:, 0])
    return float(synth_gap / max(real_gap, 1e-12))


def fit_genover(name, train: pd.DataFrame, cat_cols, epochs, seed):
    X, y = train.drop(columns="class"), train["class"].astype(str).to_numpy()
    batch = 256
    steps = epochs * math.ceil(len(X) / batch)
    cls = GENOVER[name.split("_")[0]]
    settings = dict(SETTINGS[name])
    if cls is BAGANSampler:  # each stage (autoencoder, adversarial) gets the epochs
        settings["model"] = {"ae_steps": steps}
    sampler = cls(
        **settings,
        random_state=seed,
        batch_size=batch,
        categorical_features=cat_cols or None,
        # one new row per class, so that every class is over-sampled and keeps its anchors
        # (posterior/anchored draws exist only for those); the table is drawn below
        sampling_strategy={
            label: int(n) + 1 for label, n in zip(*np.unique(y, return_counts=True), strict=True)
        },
        trainer={"max_steps": steps},  # validation every 50 steps, early stopping on
    )
    start = time.perf_counter()
    sampler.fit_resample(X, y)
    seconds = time.perf_counter() - start
    parts = []
    for label, n in zip(*np.unique(y, return_counts=True), strict=True):
        rows = sampler.sample(int(n), label)
        rows["class"] = label
        parts.append(rows)
    synth = pd.concat(parts, ignore_index=True)
    passes = sampler.outcome_.get("steps", 0) * batch / len(X)  # BAGAN: adversarial stage
    return synth, seconds, round(passes, 1), sampler.outcome_.get("stop_reason")


def fit_forest_flow(name, train: pd.DataFrame, cat_cols, epochs, seed):
    """ForestFlow at its config defaults (``epochs`` does not apply): as many new rows of each
    class as it has, each class drawn by its own model."""
    X, y = train.drop(columns="class"), train["class"].astype(str).to_numpy()
    labels, counts = np.unique(y, return_counts=True)
    sampler = ForestFlowSampler(
        random_state=seed,
        categorical_features=cat_cols or None,
        sampling_strategy={label: 2 * int(n) for label, n in zip(labels, counts, strict=True)},
    )
    start = time.perf_counter()
    Xr, yr = sampler.fit_resample(X, y)
    seconds = time.perf_counter() - start
    synth = Xr.iloc[len(X) :].reset_index(drop=True)
    synth["class"] = yr[len(X) :]
    return synth, seconds, None, "n/a"


def fit_ctgan(name, train: pd.DataFrame, cat_cols, epochs, seed):
    import torch
    from ctgan import CTGAN, TVAE

    torch.manual_seed(seed)
    np.random.seed(seed)
    model = {"tvae": TVAE, "ctgan": CTGAN}[name](epochs=epochs)
    frame = train.copy()
    for c in [*cat_cols, "class"]:
        frame[c] = frame[c].astype(str)
    start = time.perf_counter()
    model.fit(frame, discrete_columns=[*cat_cols, "class"])
    seconds = time.perf_counter() - start
    synth = model.sample(len(train))
    return synth, seconds, epochs, "budget"


def detection_auc(train, synth, feat_cols: list[str], cat_cols: list[str], seed: int) -> float:
    """Mean 5-fold ROC-AUC of gradient boosting telling real training rows from synthetic
    ones (0.5 = indistinguishable)."""
    both = pd.concat([train[feat_cols], synth[feat_cols]], ignore_index=True)
    for c in cat_cols:
        both[c] = pd.Categorical(both[c], categories=train[c].cat.categories)
    is_synth = np.r_[np.zeros(len(train)), np.ones(len(synth))]
    detector = HistGradientBoostingClassifier(max_iter=100, random_state=seed)
    auc = cross_val_score(detector, features(both, cat_cols), is_synth, cv=5, scoring="roc_auc")
    return float(auc.mean())


def restore_types(synth: pd.DataFrame, train: pd.DataFrame) -> pd.DataFrame:
    out = synth[train.columns].copy()
    for c in train.columns:
        if isinstance(train[c].dtype, pd.CategoricalDtype):
            out[c] = pd.Categorical(out[c].astype(str), categories=train[c].cat.categories)
        else:
            out[c] = pd.to_numeric(out[c])
    return out


def evaluate(dataset_name: str, methods: list[str], epochs: int, seed: int) -> list[dict]:
    data = load_dataset(f"keel:{dataset_name}")
    frame = data.to_frame()
    cat_cols = [c.name for c in data.columns if c.is_categorical]
    train, test = train_test_split(frame, test_size=0.3, stratify=frame["class"], random_state=seed)
    minority = data.class_names[data.minority_class]
    feat_cols = [c for c in frame.columns if c != "class"]

    def tstr(table: pd.DataFrame) -> float:
        clf = RandomForestClassifier(200, random_state=seed, n_jobs=2)
        clf.fit(features(table[feat_cols], cat_cols), table["class"].astype(str) == minority)
        proba = clf.predict_proba(features(test[feat_cols], cat_cols))
        score = proba[:, 1] if proba.shape[1] == 2 else np.zeros(len(test))
        return float(average_precision_score(test["class"].astype(str) == minority, score))

    rows = [{"dataset": dataset_name, "method": "real (TRTR)", "tstr_ap": tstr(train)}]
    for name in methods:
        fit = (
            fit_forest_flow
            if name == "forest_flow"
            else (fit_genover if name in SETTINGS else fit_ctgan)
        )
        synth, seconds, used_epochs, stop = fit(name, train, cat_cols, epochs, seed)
        synth = restore_types(synth, train)
        auc = detection_auc(train, synth, feat_cols, cat_cols, seed)
        dcr = closest_record_ratio(
            features(train[feat_cols], cat_cols), features(synth[feat_cols], cat_cols)
        )
        rows.append(
            {
                "dataset": dataset_name,
                "method": name,
                "detection_auc": auc,
                "dcr_ratio": dcr,
                "tstr_ap": tstr(synth),
                "fit_seconds": round(seconds, 2),
                "epochs": used_epochs,
                "stop": stop,
                "minority_share": float((synth["class"].astype(str) == minority).mean()),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["pima", "abalone9-18"])
    parser.add_argument(
        "--methods",
        nargs="+",
        default=[
            *("cvae", "cvae_prior", "ddpm", "ddpm_noise", "bagan", "flow", "forest_flow"),
            *("tvae", "ctgan"),
        ],
    )
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "fidelity.json"))
    args = parser.parse_args()
    rows = [r for d in args.datasets for r in evaluate(d, args.methods, args.epochs, args.seed)]
    Path(args.out).write_text(json.dumps(rows, indent=1))
    print(markdown(pd.DataFrame(rows)))


def markdown(table: pd.DataFrame) -> str:
    cols = [
        "dataset",
        "method",
        "detection_auc",
        "dcr_ratio",
        "tstr_ap",
        "fit_seconds",
        "epochs",  # passes over the training rows
        "stop",
        "minority_share",
    ]
    lines = ["| " + " | ".join(cols) + " |", "|---" * len(cols) + "|"]
    for _, r in table.iterrows():
        cells = []
        for c in cols:
            v = r.get(c)
            if v is None or (isinstance(v, float) and np.isnan(v)):
                cells.append("–")
            elif isinstance(v, float):
                cells.append(f"{v:.3f}")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
