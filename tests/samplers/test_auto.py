"""AutoSampler: none or a sampler per training set, chosen by inner cross-validation."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest
from hydra.utils import get_class
from imblearn import FunctionSampler
from imblearn.base import BaseSampler
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import Pipeline
from imblearn.utils.estimator_checks import parametrize_with_checks
from omegaconf import OmegaConf
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from genover import AutoSampler, CVAESampler
from genover.experiment import Method, build, fold_pipeline, run
from tests.spies import RecordingSampler, _record

D, SIGNAL, SHIFT = 20, 2, 1.5  # 20 columns; the minority is shifted in the first 2


def sparse_signal(seed: int, n: int = 300, n_minor: int = 15):
    """Few minority rows whose signal hides among 18 noise columns: a logistic regression
    fitted on them picks up noise, and rows from the minority's true distribution help."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 1, (n, D))
    y = (np.arange(n) >= n - n_minor).astype(int)
    X[y == 1, :SIGNAL] += SHIFT
    return X, y


class Planted(BaseSampler):
    """Appends ``n`` minority rows from the minority's true distribution (``sign=1``) or
    its mirror image (``sign=-1``, mislabelled rows). With ``only_without`` (a row), it
    does so only when that row is not in its input, and returns the input as it is else."""

    _sampling_type = "bypass"
    _parameter_constraints: dict = {}

    def __init__(
        self, sign=1.0, n=400, only_without=None, categorical_features=None, random_state=None
    ):
        super().__init__()
        self.sign = sign
        self.n = n
        self.only_without = only_without
        self.categorical_features = categorical_features  # recorded, as a generator is told
        self.random_state = random_state

    def _fit_resample(self, X, y):
        self.outcome_ = {"appended": 0, "categorical_features": self.categorical_features}
        if self.only_without is not None and (X == self.only_without).all(axis=1).any():
            return X, y
        new = np.random.default_rng(self.random_state).normal(0, 1, (self.n, X.shape[1]))
        new[:, :SIGNAL] += self.sign * SHIFT
        self.outcome_ = {"appended": self.n, "categorical_features": self.categorical_features}
        return np.vstack([X, new]), np.r_[y, np.ones(self.n, dtype=y.dtype)]


class Failing(BaseSampler):
    _sampling_type = "bypass"
    _parameter_constraints: dict = {}

    def _fit_resample(self, X, y):
        raise ValueError("planted failure")


class RecordingProba(ClassifierMixin, BaseEstimator):
    """A logistic regression logging (column 0, exactly) the rows it fits and scores."""

    def __init__(self, log_path=None):
        self.log_path = log_path

    def fit(self, X, y):
        _record(self.log_path, "fit", X, exact=True)
        self.model_ = LogisticRegression(max_iter=500).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        _record(self.log_path, "predict", X, exact=True)
        return self.model_.predict_proba(X)


class CodesOnly(ClassifierMixin, BaseEstimator):
    """A logistic regression that, like a boosting model with native categories, rejects a
    value in the last column that is not one of the category codes 0, 1, 2."""

    def _check(self, X):
        if not np.isin(X[:, -1], [0.0, 1.0, 2.0]).all():
            raise ValueError("the last column holds a value that is not a category code")

    def fit(self, X, y):
        self._check(X)
        self.model_ = LogisticRegression(max_iter=500).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        self._check(X)
        return self.model_.predict_proba(X)


# nearest codes 0, 1, 2, 0, 1 (a tie: the lower), 2, 0 (beyond the range: the end code)
NOISY_CODES = np.array([0.4, 0.6, 7.3, -5.0, 1.5, np.inf, -np.inf])


def append_signal_with_noisy_codes(X, y):
    """400 minority rows from the minority's true distribution whose category-code column
    (the last) holds values that are not codes, as noise or interpolation leaves it."""
    new = np.random.default_rng(0).normal(0, 1, (400, X.shape[1]))
    new[:, :SIGNAL] += SHIFT
    new[:, -1] = np.resize(NOISY_CODES, 400)
    return np.vstack([X, new]), np.r_[y, np.ones(400, dtype=y.dtype)]


def test_a_candidates_category_code_cells_are_snapped_to_real_codes_and_counted():
    X, y = sparse_signal(2)
    X[:, -1] = np.random.default_rng(1).integers(0, 3, len(X))  # a category-code column
    noisy = FunctionSampler(func=append_signal_with_noisy_codes, validate=False)
    # without categorical_features the candidate's rows break the classifier: not chosen
    plain = AutoSampler(candidates={"noisy": noisy}, estimator=CodesOnly(), random_state=2)
    X_out, _ = plain.fit_resample(X, y)
    assert plain.choice_ == "none" and "not a category code" in plain.failed_["noisy"]
    assert "auto_codes_snapped" not in plain.outcome_
    auto = AutoSampler(
        candidates={"noisy": noisy},
        estimator=CodesOnly(),
        categorical_features=[D - 1],
        random_state=2,
    )
    X_out, y_out = auto.fit_resample(X, y)
    assert auto.choice_ == "noisy" and not auto.failed_
    assert np.array_equal(X_out[: len(X)], X)
    assert np.array_equal(X_out[len(X) :, -1], np.resize([0.0, 1.0, 2.0, 0.0, 1.0, 2.0, 0.0], 400))
    appended = append_signal_with_noisy_codes(X, y)[0][len(X) :]
    assert np.array_equal(X_out[len(X) :, :-1], appended[:, :-1])  # numerics as they were
    assert auto.outcome_["auto_codes_snapped"] == 400
    assert auto.outcome_["auto_codes_snapped[noisy]"] == 3 * 400  # every inner fold
    # a candidate that takes categorical_features and has none is told auto's
    told = AutoSampler(
        candidates={"oracle": Planted()}, categorical_features=[D - 1], random_state=2
    )
    X_told = np.c_[X[:, :-1], np.round(np.clip(X[:, -1], -1, 1)) + 1]
    told.fit_resample(X_told, y)
    assert told.choice_ == "oracle"
    assert told.outcome_["chosen.categorical_features"] == [D - 1]
    with pytest.raises(ValueError, match=r"categorical_features=\[20\].*positions"):
        AutoSampler(candidates={"noisy": noisy}, categorical_features=[20]).fit_resample(X, y)


def test_a_candidate_that_clearly_helps_is_chosen_and_returned():
    X, y = sparse_signal(2)
    auto = AutoSampler(candidates={"none": FunctionSampler(), "oracle": Planted()}, random_state=2)
    X_out, y_out = auto.fit_resample(X, y)
    assert auto.choice_ == "oracle" and auto.outcome_["auto_choice"] == "oracle"
    none, oracle = (np.mean(auto.inner_scores_[k]) for k in ("none", "oracle"))
    assert oracle - none > 0.1  # measured: 0.63 against 0.39
    assert auto.outcome_["auto_gain"] == pytest.approx(oracle - none)
    assert auto.outcome_["auto_score[oracle]"] == pytest.approx(oracle)
    assert auto.outcome_["auto_wins[oracle]"] == 3 and auto.outcome_["auto_inner_folds"] == 3
    assert auto.outcome_["auto_estimator"] == "LogisticRegression"
    assert ">= 0.01 higher" in auto.outcome_["auto_rule"]
    # the chosen sampler, refitted on every row, gives the output and its own outcome
    assert len(y_out) == len(y) + 400 and np.array_equal(X_out[: len(X)], X)
    assert isinstance(auto.chosen_, Planted) and auto.outcome_["chosen.appended"] == 400


def test_candidates_that_hurt_or_add_nothing_leave_the_input_unchanged():
    X, y = sparse_signal(2)
    same = FunctionSampler(func=lambda X, y: (X, y), validate=False)
    auto = AutoSampler(candidates={"mislabelled": Planted(sign=-1.0), "same": same})
    X_out, y_out = auto.fit_resample(X, y)
    assert auto.choice_ == "none" and auto.outcome_["auto_choice"] == "none"
    assert auto.outcome_["auto_gain"] == 0.0
    assert np.array_equal(X_out, X) and np.array_equal(y_out, y)
    scores = {k: np.mean(v) for k, v in auto.inner_scores_.items()}
    assert scores["mislabelled"] < scores["none"] - 0.1 and scores["same"] == scores["none"]
    assert auto.outcome_["auto_wins[same]"] == 0  # a tie is not a win


def test_a_gain_below_min_gain_keeps_none():
    X, y = sparse_signal(2)
    candidates = {"oracle": Planted()}
    gain = AutoSampler(candidates=candidates, min_gain=0.0, random_state=2)
    gain.fit_resample(X, y)
    measured = gain.outcome_["auto_gain"]
    above = AutoSampler(candidates=candidates, min_gain=measured + 1e-3, random_state=2)
    above.fit_resample(X, y)
    assert above.choice_ == "none" and above.outcome_["auto_score[oracle]"] == pytest.approx(
        gain.outcome_["auto_score[oracle]"]
    )
    below = AutoSampler(candidates=candidates, min_gain=measured - 1e-3, random_state=2)
    below.fit_resample(X, y)
    assert below.choice_ == "oracle"


def test_a_gain_in_a_minority_of_inner_folds_keeps_none():
    X, y = sparse_signal(2)
    # the planted rows arrive only in the inner fold that validates on row 0
    lucky = Planted(only_without=X[0])
    auto = AutoSampler(candidates={"lucky": lucky}, random_state=2)
    auto.fit_resample(X, y)
    assert auto.outcome_["auto_gain"] == 0.0 and auto.choice_ == "none"
    mean_gain = np.mean(auto.inner_scores_["lucky"]) - np.mean(auto.inner_scores_["none"])
    # the mean gain alone would pass min_gain (measured 0.034); one win in three does not
    assert mean_gain > 2 * auto.min_gain and auto.outcome_["auto_wins[lucky]"] == 1


def test_no_outer_test_row_reaches_an_inner_fit_and_validation_rows_are_real(tmp_path):
    rng = np.random.default_rng(0)
    n = 120
    X = np.column_stack([np.arange(n), rng.normal(size=(n, 2))])
    y = (np.arange(n) % 6 == 0).astype(int)
    train, test = next(StratifiedKFold(4, shuffle=True, random_state=0).split(X, y))
    log = tmp_path / "fits.jsonl"
    rose = RecordingSampler(shrinkage=1.0, log_path=str(log))  # noise: synthetic ids are fractional
    auto = AutoSampler(
        candidates={"rose": rose}, estimator=RecordingProba(str(log)), min_gain=0.0, cv=3
    )
    auto.fit_resample(X[train], y[train])
    fits = [json.loads(line) for line in log.read_text().splitlines()]
    stages = [f["stage"] for f in fits]
    # none: (fit, predict) x 3; rose: (sampler, fit, predict) x 3; the refit on all rows
    assert (
        stages[:6] == ["fit", "predict"] * 3 and stages[6:15] == ["sampler", "fit", "predict"] * 3
    )
    own = set(train.tolist())
    for fit in fits:
        if fit["stage"] != "fit":  # the classifier alone may see synthetic rows
            assert set(fit["ids"]) <= own, f"{fit['stage']} saw a row outside the training fold"
    for k in range(3):
        sampler, fitted, predicted = fits[6 + 3 * k : 9 + 3 * k]
        assert all(float(i).is_integer() for i in predicted["ids"]), "synthetic row validated"
        assert not set(predicted["ids"]) & set(sampler["ids"]), "a validation row was resampled"
        assert any(not float(i).is_integer() for i in fitted["ids"])  # synthetic rows trained
    validated = [set(fits[8 + 3 * k]["ids"]) for k in range(3)]
    assert set().union(*validated) == {float(i) for i in own}


class RecordingScaler(StandardScaler):
    """A standard scaler logging (column 0, exactly) the rows it is fitted on."""

    def __init__(self, log_path=None):
        super().__init__()
        self.log_path = log_path

    def fit(self, X, y=None, sample_weight=None):
        _record(self.log_path, "transformer", X, exact=True)
        return super().fit(X, y, sample_weight)


def test_the_inner_transformer_is_fitted_on_the_resampled_inner_training_rows_only(tmp_path):
    rng = np.random.default_rng(1)
    n = 90
    X = np.column_stack([np.arange(n), rng.normal(size=(n, 2))])
    y = (np.arange(n) % 5 == 0).astype(int)
    log = tmp_path / "fits.jsonl"
    auto = AutoSampler(
        candidates={"rose": RecordingSampler(shrinkage=1.0, log_path=str(log))},
        estimator=RecordingProba(str(log)),
        transformer=RecordingScaler(str(log)),
        min_gain=0.0,
        cv=3,
        random_state=0,
    )
    auto.fit_resample(X, y)
    fits = [json.loads(line) for line in log.read_text().splitlines()]
    stages = [f["stage"] for f in fits]
    # none: (transformer, fit, predict) x 3; rose: (sampler, transformer, fit, predict) x 3
    assert stages[:9] == ["transformer", "fit", "predict"] * 3
    assert stages[9:21] == ["sampler", "transformer", "fit", "predict"] * 3
    parts = [fits[3 * k : 3 * k + 3] for k in range(3)]
    parts += [fits[9 + 4 * k + 1 : 9 + 4 * k + 4] for k in range(3)]
    for transformer, fitted, predicted in parts:
        assert not set(transformer["ids"]) & set(predicted["ids"]), "fitted on validation rows"
        assert len(transformer["ids"]) == len(fitted["ids"])  # the classifier's rows
    for k in range(3):
        sampled, scaled = fits[9 + 4 * k]["ids"], fits[9 + 4 * k + 1]["ids"]
        assert set(sampled) < set(scaled)  # the inner training part and rose's new rows
        assert all(not float(i).is_integer() for i in set(scaled) - set(sampled))


def test_same_seed_same_choice_and_scores():
    X, y = sparse_signal(3)
    candidates = {"rose": RandomOverSampler(shrinkage=1.0), "random_over": RandomOverSampler()}
    runs = [AutoSampler(candidates=candidates, random_state=s) for s in (5, 5, 6)]
    for auto in runs:
        auto.fit_resample(X, y)
    strip = [{k: v for k, v in a.outcome_.items() if k != "auto_seconds"} for a in runs]
    assert strip[0] == strip[1] and runs[0].inner_scores_ == runs[1].inner_scores_
    assert runs[0].inner_scores_ != runs[2].inner_scores_  # the seed matters


def test_a_failing_candidate_is_recorded_and_not_chosen(caplog):
    X, y = sparse_signal(2)
    auto = AutoSampler(candidates={"broken": Failing(), "oracle": Planted()}, random_state=2)
    with caplog.at_level(logging.WARNING):
        auto.fit_resample(X, y)
    assert auto.choice_ == "oracle" and "broken" not in auto.inner_scores_
    assert auto.failed_ == {"broken": "ValueError: planted failure"}
    assert auto.outcome_["auto_failed[broken]"] == "ValueError: planted failure"
    assert auto.outcome_["auto_score[broken]"] is None
    assert "candidate broken failed" in caplog.text


def test_a_numbers_only_candidate_meeting_undeclared_text_is_left_out_before_the_cv(caplog):
    X, y = sparse_signal(2)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(D)])
    frame["plan"] = np.where(np.arange(len(frame)) % 3, "basic", "gold")
    auto = AutoSampler(
        candidates={"rose": RandomOverSampler(shrinkage=1.0), "oracle": Planted(n=50)},
        random_state=2,
    )
    with caplog.at_level(logging.INFO):
        with pytest.raises(ValueError):  # none's own classifier cannot read text either
            auto.fit_resample(frame, y)
    assert list(auto.left_out_) == ["rose"] and "['plan'] hold text" in auto.left_out_["rose"]
    assert "categorical_features" in auto.left_out_["rose"]
    assert caplog.text.count("candidate rose left out") == 1
    # declared, the text column reaches every candidate as codes and returns as text
    auto = AutoSampler(
        candidates={"rose": RandomOverSampler(shrinkage=1.0), "oracle": Planted(n=400)},
        categorical_features=["plan"],
        transformer=StandardScaler(),
        random_state=2,
    )
    X_out, _ = auto.fit_resample(frame, y)
    assert auto.left_out_ == {} and auto.failed_ == {} and auto.choice_ == "oracle"
    assert auto.outcome_["auto_candidates"] == "none, rose, oracle"
    assert auto.outcome_["auto_codes_snapped"] > 0  # the oracle's noise on the codes
    pd.testing.assert_frame_equal(X_out.iloc[: len(frame)], frame)
    assert set(X_out["plan"]) == {"basic", "gold"} and len(X_out) > len(frame)


def test_too_few_minority_rows_is_an_error_naming_the_fix_and_few_rows_fewer_folds(caplog):
    X, y = sparse_signal(0, n=60, n_minor=1)
    with pytest.raises(ValueError, match=r"class 1 has 1 row.*at least 2 rows.*sampler=none"):
        AutoSampler(candidates={"ros": RandomOverSampler()}).fit_resample(X, y)
    X, y = sparse_signal(0, n=60, n_minor=2)
    auto = AutoSampler(candidates={"ros": RandomOverSampler()}, cv=3)
    with caplog.at_level(logging.WARNING):
        auto.fit_resample(X, y)
    assert auto.outcome_["auto_inner_folds"] == 2 and len(auto.inner_scores_["none"]) == 2
    assert "fewer than cv=3; using 2 inner folds" in caplog.text


def test_works_in_an_imblearn_pipeline_under_sklearn_cross_validation():
    X, y = sparse_signal(1)
    auto = AutoSampler(
        candidates={"ros": RandomOverSampler()}, transformer=StandardScaler(), random_state=0
    )
    pipe = Pipeline([("auto", auto), ("scale", StandardScaler()), ("clf", LogisticRegression())])
    scores = cross_val_score(pipe, X, y, cv=3, scoring="average_precision")
    assert scores.shape == (3,) and np.all((scores > 0) & (scores <= 1))
    fitted = pipe.fit(X, y)
    assert fitted.named_steps["auto"].choice_ in ("none", "ros")
    assert fitted.predict_proba(X).shape == (len(y), 2)  # the sampler acts in fit only


def test_a_small_cvae_competes_and_repeats_with_its_seed():
    X, y = sparse_signal(2, n=150, n_minor=12)
    cvae = CVAESampler(
        model={"hidden": [16], "latent_dim": 2}, trainer={"max_steps": 4, "epoch_steps": 2}
    )
    runs = [AutoSampler(candidates={"cvae": cvae}, random_state=4) for _ in range(2)]
    for auto in runs:
        auto.fit_resample(X, y)
    assert not runs[0].failed_ and len(runs[0].inner_scores_["cvae"]) == 3
    assert runs[0].inner_scores_ == runs[1].inner_scores_
    if runs[0].choice_ == "cvae":
        assert runs[0].outcome_["chosen.synthetic_rows"] > 0


def test_default_candidates_are_the_shipped_sampler_configs(compose_cfg):
    candidates = AutoSampler(random_state=3).candidate_samplers()
    assert list(candidates) == ["rose", "cvae"]  # none is the baseline
    for name, sampler in candidates.items():
        shipped = build(compose_cfg(f"sampler={name}", "seed=3").sampler)
        assert sampler.get_params() == shipped.get_params(), name
    with pytest.raises(ValueError, match="'none' is the no-resampling baseline"):
        AutoSampler(candidates={"none": RandomOverSampler()}).candidate_samplers()
    with pytest.raises(ValueError, match="not a sampler config"):
        AutoSampler(candidates=["no_such_sampler"]).candidate_samplers()


def test_constructor_defaults_and_the_auto_config_agree(compose_cfg):
    node = OmegaConf.to_container(compose_cfg("sampler=auto").sampler, resolve=True)
    cls = get_class(node.pop("_target_"))
    assert cls is AutoSampler
    node.pop("random_state")  # ${seed}
    # the experiment's word for "the run's classifier"; AutoSampler() alone has none
    assert node.pop("estimator") == "downstream"
    defaults = AutoSampler().get_params()
    assert node == {key: defaults[key] for key in node}
    assert set(defaults) - set(node) == {
        "random_state",
        "estimator",
        "transformer",
        "categorical_features",  # set by the experiment, as transformer
    }


def test_the_experiment_scores_with_the_runs_classifier_through_its_transform(compose_cfg):
    from genover.data import load_dataset

    dataset = load_dataset("keel:abalone9-18")  # one categorical column (sex)
    cfg = compose_cfg("sampler=auto", "classifier=hgb", "data=keel:abalone9-18")
    pipe, _ = fold_pipeline(dataset, Method("auto", dict(cfg.sampler)), cfg)
    auto = pipe.named_steps["sampler"]
    codes_at = list(pipe.named_steps["classifier"].categorical_features)
    assert type(auto.estimator).__name__ == "HistGradientBoostingClassifier"
    assert list(auto.estimator.categorical_features) == codes_at  # native, as the run's
    outer = pipe.named_steps["transform"]
    assert auto.transformer.get_params() == outer.get_params() and not auto.transformer.one_hot
    assert list(auto.candidates["cvae"].categorical_features) == codes_at
    assert list(auto.categorical_features) == codes_at  # ROSE's noisy codes are snapped
    cfg = compose_cfg("sampler=auto", "classifier=knn", "classifier.n_neighbors=7")
    pipe, _ = fold_pipeline(dataset, Method("auto", dict(cfg.sampler)), cfg)
    auto = pipe.named_steps["sampler"]
    assert isinstance(auto.estimator, KNeighborsClassifier) and auto.estimator.n_neighbors == 7
    assert auto.transformer.one_hot


def test_an_auto_run_records_the_choice_and_scores_per_fold(compose_cfg, tmp_path):
    cfg = compose_cfg(
        "sampler=auto",
        "sampler.candidates=[none,rose,random_over]",
        "baselines=[]",
        "evaluation.threshold.tune=false",
    )
    result = run(cfg, output_dir=tmp_path)
    assert result["methods"]["auto"]["status"] == "ok"
    folds = pd.read_csv(tmp_path / "folds.csv")
    assert len(folds) == 2
    assert set(folds["sampler.auto_choice"]) <= {"none", "rose", "random_over"}
    for name in ("none", "rose", "random_over"):
        assert folds[f"sampler.auto_score[{name}]"].between(0, 1).all()
    assert (folds["sampler.auto_estimator"] == "LogisticRegression").all()
    assert (folds["sampler.auto_inner_folds"] == 3).all()
    # what the classifier got follows the choice
    chose_none = folds["sampler.auto_choice"] == "none"
    assert ((folds["synthetic_rows"] == 0) == chose_none).all()


# -- imbalanced-learn's sampler contract -------------------------------------------------------
def _skips(estimator) -> dict:
    return {"check_samplers_sparse": "AutoSampler needs dense input and raises a TypeError"}


@parametrize_with_checks(
    [AutoSampler(candidates={"ros": RandomOverSampler()}, random_state=0)],
    expected_failed_checks=_skips,
)
def test_imblearn_sampler_contract(estimator, check):
    check(estimator)
