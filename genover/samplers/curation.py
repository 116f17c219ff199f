"""Curation of synthetic rows by learning dynamics (the idea of CLLM, Seedat et al. ICML
2024: keep what a classifier of the real rows learns confidently and consistently, with the
training-dynamics measures of Data Maps, Swayamdipta et al. 2020, and Data-IQ, Seedat et al.
NeurIPS 2022)."""

from __future__ import annotations

import logging

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold

from genover.samplers.filtering import RedrawFilter

log = logging.getLogger(__name__)


class LearningDynamicsFilter(RedrawFilter):
    """Keeps the synthetic rows that a classifier of the real rows learns as confidently and
    consistently their class as most real rows of that class.

    A gradient-boosting classifier is trained on the real rows and checkpointed every few
    boosting rounds. A row's *confidence* is its probability of its own class averaged over
    the checkpoints; its *variability* is the standard deviation of that probability across
    them (how consistently it is learnt). The model is cross-fitted over ``folds`` stratified
    folds seeded by ``random_state``: each real row is scored by the fold model that did not
    see it, which sets the bars of class c: the ``quantile`` of its real rows' confidences,
    and the ``1 - quantile`` quantile of the variabilities of the real rows that clear it (a
    rare class's confident rows climb furthest from the prior, so they are the reference
    for how much a confident row may vary). A synthetic row of class c is
    kept if it clears both; an anchored draw is scored by the fold model that held its
    anchor out, so a copy of a real row is judged as that row is, and a draw without an
    anchor by the model of every real row. A class whose confidence bar is 0 is recorded as
    ``curation_inactive[c]``.

    Data-IQ's aleatoric uncertainty, the mean of p (1 - p), is not the second criterion: for
    a rare class whose best rows are scored near 0.5 it is highest on exactly those rows, and
    a bar on it rejected the class's core on the overlapping toy of the tests. It is kept
    as a recorded diagnostic (``aleatoric``).
    """

    description = "learning-dynamics curation"

    def __init__(
        self,
        quantile: float = 0.25,
        checkpoints: int = 10,
        rounds: int = 60,
        folds: int = 5,
        random_state=None,
    ):
        self.quantile, self.checkpoints, self.rounds = quantile, checkpoints, rounds
        self.folds, self.random_state = folds, random_state
        super().__init__()

    def _model(self):
        return HistGradientBoostingClassifier(
            max_iter=self.rounds,
            learning_rate=0.1,
            max_leaf_nodes=15,
            early_stopping=False,
            random_state=self.random_state,
        )

    def fit(self, X: np.ndarray, y: np.ndarray) -> LearningDynamicsFilter:
        X, y = np.asarray(X), np.asarray(y)
        self.classes_, counts = np.unique(y, return_counts=True)
        scored = counts >= 2
        folds = int(min(self.folds, counts[scored].min())) if scored.any() else 0
        self.bars_, self.fold_models_ = {}, []
        self.fold_of_ = np.full(len(y), -1)
        if folds >= 2:
            rows = np.flatnonzero(np.isin(y, self.classes_[scored]))
            cv = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
            conf, vary = np.zeros(len(y)), np.zeros(len(y))
            for f, (fit_at, held_at) in enumerate(cv.split(X[rows], y[rows])):
                model = clone(self._model()).fit(X[rows[fit_at]], y[rows[fit_at]])
                self.fold_models_.append(model)
                at = rows[held_at]
                self.fold_of_[at] = f
                conf[at], vary[at], _ = self._dynamics(model, X[at], y[at])
            for c in self.classes_[scored]:
                own = y == c
                bar = float(np.quantile(conf[own], self.quantile))
                confident = own & (conf >= bar)
                self.bars_[int(c)] = (bar, float(np.quantile(vary[confident], 1 - self.quantile)))
        for c in self.classes_[~scored]:
            log.warning("curation: class %s has one row; its rows are not curated.", c)
        self.model_ = self._model().fit(X, y)
        return self

    def _dynamics(self, model, rows: np.ndarray, labels: np.ndarray):
        """(confidence, variability, aleatoric) of ``rows`` as ``labels`` over checkpoints."""
        every = max(1, self.rounds // self.checkpoints)
        column = np.searchsorted(model.classes_, labels)
        found = model.classes_[np.minimum(column, len(model.classes_) - 1)] == labels
        probs = []
        for i, stage in enumerate(model.staged_predict_proba(rows), start=1):
            if i % every == 0:
                p = stage[np.arange(len(rows)), np.minimum(column, stage.shape[1] - 1)]
                probs.append(np.where(found, p, 0.0))
        p = np.vstack(probs)
        return p.mean(axis=0), p.std(axis=0), (p * (1 - p)).mean(axis=0)

    def dynamics(self, rows: np.ndarray, label: int, anchors: np.ndarray | None = None):
        """Each row's (confidence, variability, aleatoric) as ``label``, from the fold model
        that held its anchor out, or from the model of every real row."""
        folds = np.full(len(rows), -1)
        if anchors is not None:
            anchors = np.asarray(anchors)
            folds = np.where(anchors >= 0, self.fold_of_[np.maximum(anchors, 0)], -1)
        labels = np.full(len(rows), label)
        out = np.empty((3, len(rows)))
        for f in np.unique(folds):
            at = folds == f
            model = self.model_ if f < 0 else self.fold_models_[f]
            out[:, at] = np.vstack(self._dynamics(model, rows[at], labels[at]))
        return out[0], out[1], out[2]

    def badness(self, rows, label, anchors=None):
        conf, vary, _ = self.dynamics(rows, label, anchors)
        bar_conf, bar_vary = self.bars_.get(int(label), (0.0, np.inf))
        return (conf >= bar_conf) & (vary <= bar_vary), -conf

    def outcome(self) -> dict:
        out = super().outcome()
        drawn = sorted(self.labels_drawn_) or sorted(self.bars_)
        for c in drawn:
            bar_conf, bar_vary = self.bars_.get(c, (0.0, np.inf))
            out[f"curation_confidence_bar[{c}]"] = round(bar_conf, 4)
            out[f"curation_variability_bar[{c}]"] = round(float(bar_vary), 4)
            out[f"curation_inactive[{c}]"] = bool(bar_conf <= 0.0)
        out["curation_inactive"] = bool(drawn) and all(
            self.bars_.get(c, (0.0, 0.0))[0] <= 0.0 for c in drawn
        )
        return out
