"""``genover-report``: one ranked, significance-tested table from a multirun directory.

Every job directory under the sweep is read: ``metrics.json`` + ``folds.csv`` for finished
runs, ``error.json`` for runs that failed, and a ``.hydra`` folder alone for runs still going
(or killed). Failed and unfinished runs are listed, never silently dropped.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from genover.evaluation.ceiling import write_ceiling
from genover.evaluation.scarcity import (
    ScarcityCurve,
    cap_label,
    cap_order,
    comparisons_frame,
    plot_scarcity_curve,
    render_scarcity,
    scarcity_curve,
)
from genover.evaluation.stats import (
    average_ranks,
    compare_to_baseline,
    friedman,
    holm,
    nemenyi_cd,
)

log = logging.getLogger(__name__)
DEFAULT_BASELINE = "smote"


@dataclass
class SweepRuns:
    """Fold scores of the finished runs, plus the runs that failed or have not finished."""

    folds: pd.DataFrame
    quality: list[dict] = field(default_factory=list)  # per job and method: sample quality
    failed: list[dict] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    finished: int = 0
    shared_fit: bool = False  # runs trained several classifiers on one sampler fit per fold
    reused: list[dict] = field(default_factory=list)  # finished runs that read folds of others


def _natural(path: Path) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(path))]


def _overrides(job: Path) -> str:
    path = job / ".hydra" / "overrides.yaml"
    try:
        return " ".join(yaml.safe_load(path.read_text()) or []) or job.name
    except (OSError, TypeError, yaml.YAMLError):
        return job.name


def _classifier_label(metrics: dict) -> str:
    """The classifier's config name, with its loss and any non-default training strategy or
    class weighting (so that a sweep over them keeps each arm apart)."""
    clf, choices = metrics.get("classifier", {}), metrics.get("choices", {})
    name = str(choices.get("classifier") or clf.get("name", "classifier"))
    if clf.get("imbalance", "none") != "none":  # the gradient boosters' native weighting
        name = f"{name}[imbalance={clf['imbalance']}]"
    loss = clf.get("loss")
    if not isinstance(loss, dict):
        return name
    parts = [str(choices.get("loss") or loss.get("name", "loss"))]
    if clf.get("decoupled"):
        parts.append(str(clf["decoupled"]))
    if clf.get("sampling", "instance") != "instance":
        parts.append(str(clf["sampling"]))
    return f"{name}[{', '.join(parts)}]"


def collect_runs(root: Path) -> SweepRuns:
    """Read every job under ``root`` (a multirun directory, or one run directory)."""
    if not root.is_dir():
        raise ValueError(f"{root} is not a directory; pass a Hydra multirun directory.")
    jobs = sorted(
        {p.parent for p in root.rglob("metrics.json")}
        | {p.parent for p in root.rglob("error.json")}
        | {p.parent.parent for p in root.rglob(".hydra/config.yaml")},
        key=_natural,
    )
    frames, runs = [], SweepRuns(pd.DataFrame())
    for job in jobs:
        try:
            _read_job(job, root, runs, frames)
        except UnreadableJob as err:
            log.warning("%s: %s", job, err)
            runs.failed.append(
                {"run": str(job.relative_to(root)), "what": _overrides(job), "error": str(err)}
            )
    runs.incomplete += missing_jobs(root, {str(job.relative_to(root)) for job in jobs})
    if frames:
        folds = pd.concat(frames, ignore_index=True)
        labels = dataset_labels(folds[["dataset", "data_path"]].drop_duplicates())
        pairs = zip(folds["dataset"], folds["data_path"], strict=True)
        folds["dataset"] = [labels[k] for k in pairs]
        for row in runs.quality:
            row["dataset"] = labels[(row["dataset"], row.pop("data_path"))]
        folds = folds.drop(columns="data_path")
        keys = ["dataset", "classifier", "seed", "cap", "method", "repeat", "fold"]
        runs.folds = folds.drop_duplicates(subset=keys, keep="first")  # shared baselines
    return runs


def missing_jobs(root: Path, present: set[str]) -> list[str]:
    """The jobs that the sweep's ``multirun.yaml`` launches (Hydra's basic sweeper, job
    folders named by number) that have no folder under ``root``: deleted, or never started."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    path = root / "multirun.yaml"
    if not path.is_file():
        return []
    try:
        hydra = OmegaConf.to_container(OmegaConf.load(path).hydra, resolve=False)
        if (
            not str(hydra["sweeper"]["_target_"]).endswith("BasicSweeper")
            or hydra["sweep"]["subdir"] != "${hydra.job.num}"
        ):
            return []
        params = [f"{k}={v}" for k, v in (hydra["sweeper"].get("params") or {}).items()]
        parsed = OverridesParser.create().parse_overrides(params + hydra["overrides"]["task"])
        jobs = [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]
    except (OSError, KeyError, TypeError, HydraException, OmegaConfBaseException) as err:
        log.warning("%s: cannot tell which jobs the sweep launched (%s)", path, err)
        return []
    shown = [" ".join(job).replace("\\:", ":") for job in jobs]  # Hydra escapes ':'
    return [
        f"{i} ({text}): no job folder (deleted, or never started)"
        for i, text in enumerate(shown)
        if str(i) not in present
    ]


def dataset_labels(pairs: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(dataset name, data file path) -> the name the report shows: the name, or, when
    different files share it (``file:A/d.csv`` and ``file:B/d.csv`` are both ``file:d.csv``),
    ``file:`` and the shortest tail of each path that tells them apart."""
    labels = {}
    for name, group in pairs.groupby("dataset", sort=False):
        paths = [p for p in group["data_path"].unique() if p]
        tails = {p: str(p) for p in paths}
        for k in range(1, max((len(Path(p).parts) for p in paths), default=0) + 1):
            if len(paths) < 2 or len({Path(p).parts[-k:] for p in paths}) == len(paths):
                tails = {p: "/".join(Path(p).parts[-k:]) for p in paths}
                break
        for path in group["data_path"]:
            labels[(name, path)] = f"file:{tails[path]}" if len(paths) > 1 and path else name
        if len(paths) > 1:
            log.warning(
                "%s names %d different files; the report shows each by its path: %s",
                name,
                len(paths),
                ", ".join(tails.values()),
            )
    return labels


class UnreadableJob(ValueError):
    """A job directory whose files cannot be read; the report lists it with the reason."""


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UnreadableJob(f"{path.name} is unreadable ({type(err).__name__}: {err})") from err
    if not isinstance(data, dict):
        raise UnreadableJob(f"{path.name} holds {type(data).__name__}, not a JSON object")
    return data


def _read_job(job: Path, root: Path, runs: SweepRuns, frames: list) -> None:
    """Add one job's folds, failures or unfinished state to ``runs`` (and ``frames``)."""
    run = str(job.relative_to(root))
    if (job / "metrics.json").exists() and (job / "folds.csv").exists():
        metrics = _read_json(job / "metrics.json")
        missing = [k for k in ("dataset", "cv", "methods") if k not in metrics]
        if missing:
            raise UnreadableJob(f"metrics.json lacks {missing} (an incomplete or foreign file)")
        methods = metrics["methods"]
        for name, result in methods.items():
            if result.get("status") != "ok":
                error = result.get("error", "no error recorded")
                runs.failed.append({"run": run, "what": name, "error": error})
        if not any(r.get("status") == "ok" for r in methods.values()):
            return  # every method failed: nothing to score, each failure listed above
        try:
            folds = pd.read_csv(job / "folds.csv")
        except (
            OSError,
            UnicodeDecodeError,
            pd.errors.ParserError,
            pd.errors.EmptyDataError,
        ) as err:
            raise UnreadableJob(f"folds.csv is unreadable ({type(err).__name__}: {err})") from err
        if not {"method", "repeat", "fold"} <= set(folds.columns):
            raise UnreadableJob("folds.csv lacks the method, repeat and fold columns")
        folds["dataset"] = metrics["dataset"]["name"]
        folds["data_path"] = (metrics.get("data_fingerprint") or {}).get("path", "")
        folds["seed"] = metrics["cv"]["seed"]
        folds["cap"] = cap_label(metrics["cv"].get("minority_cap"))
        label = _classifier_label(metrics)
        if "classifier" in folds.columns:  # several classifiers fed by one sampler fit
            runs.shared_fit = True
            first = (metrics.get("classifiers") or [None])[0]
            folds["classifier"] = folds["classifier"].where(folds["classifier"] != first, label)
        else:
            folds["classifier"] = label
        frames.append(folds)
        runs.finished += 1
        _note_reuse(metrics, run, _overrides(job), runs)
        for name, result in methods.items():
            quality = result.get("sample_quality") or {}
            if quality:  # the job's mean over folds of each sample-quality measure
                runs.quality.append(
                    {
                        "dataset": metrics["dataset"]["name"],
                        "data_path": folds["data_path"].iat[0],
                        "cap": folds["cap"].iat[0],
                        "method": name,
                        **{k: v["mean"] for k, v in quality.items()},
                    }
                )
    elif (job / "error.json").exists():
        error = _read_json(job / "error.json").get("error", "unknown error")
        runs.failed.append({"run": run, "what": _overrides(job), "error": error})
    else:
        runs.incomplete.append(f"{run} ({_overrides(job)})")


def _note_reuse(metrics: dict, run: str, what: str, runs: SweepRuns) -> None:
    """Record a finished run whose folds were (partly) read from other jobs' fits: its
    numbers are those fits' numbers, the same as if computed here."""
    reuse = metrics.get("reuse") or {}
    if reuse.get("folds_reused"):
        runs.reused.append(
            {
                "run": run,
                "what": what,
                "cap": cap_label(metrics["cv"].get("minority_cap")),
                "folds": f"{reuse['folds_reused']} of {reuse.get('folds', '?')}",
                "from": ", ".join(reuse.get("reused_from") or []),
                "why": reuse.get("why", ""),
            }
        )


def reuse_lines(runs: SweepRuns) -> list[str]:
    """The report's "Reused results" section: each finished run that read folds from
    another job's fit on the same training rows, rather than fitting them again."""
    lines = [
        "",
        "## Reused results",
        "",
        "Runs whose folds kept the same training rows as folds another job of the sweep had "
        "already fitted (e.g. a cap at or above every training fold's minority rows keeps "
        "all rows) read those results instead of fitting again. Their numbers are the same "
        "as if computed, and they count as finished runs.",
        "",
    ]
    if not runs.reused:
        return [*lines, "none"]
    per_cap = pd.Series([r["cap"] for r in runs.reused]).value_counts()
    counts = ", ".join(f"cap {c}: {per_cap[c]}" for c in cap_order(per_cap.index))
    lines += [f"{len(runs.reused)} of {runs.finished} finished runs ({counts}).", ""]
    return lines + [
        f"- `{r['run']}` {r['what']}: {r['folds']} folds from {r['from']} ({r['why']})"
        for r in runs.reused
    ]


def method_labels(folds: pd.DataFrame, shared_fit: bool = False) -> pd.Series:
    """The sampler name, qualified by the classifier when a sweep used several in separate
    runs; runs that fed several classifiers from one sampler fit compare the samplers, each
    scored by its mean over the classifiers."""
    if not shared_fit and folds["classifier"].nunique() > 1:
        return folds["method"] + " + " + folds["classifier"]
    return folds["method"]


@dataclass
class Report:
    summary: pd.DataFrame  # dataset x method: mean, std, n
    scores: pd.DataFrame  # complete datasets x methods: mean score
    ranks: pd.Series
    friedman: tuple[float, float]
    cd: float
    versus: pd.DataFrame
    baseline: str | None
    metric: str
    runs: SweepRuns
    generation: pd.DataFrame = field(default_factory=pd.DataFrame)
    cap: str | None = None  # the cap the main tables use, when the sweep has several
    scarcity: ScarcityCurve | None = None
    per_classifier: pd.DataFrame = field(default_factory=pd.DataFrame)


def build_report(
    runs: SweepRuns,
    metric: str = "ap",
    baseline: str | None = None,
    alpha: float = 0.05,
    tie_tol: float = 1e-3,
) -> Report:
    """Per-dataset means, average ranks, Friedman/Nemenyi and Wilcoxon-Holm vs ``baseline``
    (None: ``smote`` when the sweep has it; a named baseline the sweep lacks is an error)."""
    if runs.folds.empty:
        listed = "".join(f"\n  {f['run']} {f['what']}: {f['error']}" for f in runs.failed[:10])
        raise ValueError(
            "no finished runs (metrics.json + folds.csv) found under that directory"
            + (f"; failed or unreadable:{listed}" if listed else ".")
        )
    folds = runs.folds.assign(label=method_labels(runs.folds, runs.shared_fit))
    if metric not in folds.columns:
        raise ValueError(
            f"metric {metric!r} is not in the runs; available: "
            f"{sorted(c for c in folds.columns if folds[c].dtype.kind == 'f')}."
        )
    caps = cap_order(folds["cap"].unique())
    curve = (
        scarcity_curve(
            folds, generator_methods(runs.folds), metric, quality=pd.DataFrame(runs.quality)
        )
        if len(caps) > 1
        else None
    )
    cap = caps[-1] if len(caps) > 1 else None
    if cap is not None:  # main tables: the most rows (all rows when the sweep has them)
        folds = folds[folds["cap"] == cap]
    grouped = folds.groupby(["dataset", "label"])[metric]
    summary = grouped.agg(["mean", "std", "count"]).reset_index()
    table = summary.pivot(index="dataset", columns="label", values="mean")
    scores = table.dropna(axis=0, how="any")
    if baseline is not None and baseline not in set(folds["label"]):
        raise ValueError(
            f"--baseline {baseline!r} is not a method of these runs; choose one of "
            f"{sorted(set(folds['label']))}."
        )
    chosen = baseline or DEFAULT_BASELINE
    chosen = chosen if chosen in scores.columns else None
    if baseline is not None and chosen is None:
        log.warning("baseline %s did not finish on every dataset: no Wilcoxon tests", baseline)
    versus = compare_to_baseline(scores, chosen, tie_tol) if chosen else pd.DataFrame()
    per_classifier = (
        versus_per_classifier(folds, chosen, metric, alpha, tie_tol)
        if chosen and runs.shared_fit
        else pd.DataFrame()
    )
    return Report(
        summary=summary,
        scores=scores,
        ranks=average_ranks(scores).sort_values(),
        friedman=friedman(scores),
        cd=nemenyi_cd(scores.shape[1], scores.shape[0], alpha),
        versus=versus,
        baseline=chosen,
        metric=metric,
        runs=runs,
        generation=generation_table(folds),
        cap=cap,
        scarcity=curve,
        per_classifier=per_classifier,
    )


def versus_per_classifier(
    folds: pd.DataFrame,
    baseline: str,
    metric: str = "ap",
    alpha: float = 0.05,
    tie_tol: float = 1e-3,
) -> pd.DataFrame:
    """Each method against ``baseline`` on each classifier of a shared-fit sweep: Wilcoxon
    over the datasets complete for that classifier, Holm-corrected over the classifiers of
    that method (the question "is it significantly worse on any classifier?"). ``worse``
    marks a negative mean difference with a Holm p below ``alpha``. Empty with one
    classifier, where the main table already answers it."""
    if folds["classifier"].nunique() < 2:
        return pd.DataFrame()
    frames = []
    for clf, rows in folds.groupby("classifier", sort=True):
        table = rows.groupby(["dataset", "label"])[metric].mean().unstack("label")
        table = table.dropna(axis=0, how="any")
        if baseline not in table.columns or table.shape[1] < 2 or len(table) < 2:
            continue
        versus = compare_to_baseline(table, baseline, tie_tol).drop(columns="p_holm")
        frames.append(versus.assign(classifier=clf, datasets=len(table)))
    if not frames:
        return pd.DataFrame()
    frame = pd.concat(frames, ignore_index=True)
    frame["p_holm"] = frame.groupby("method")["p"].transform(lambda p: holm(p.tolist()))
    frame["worse"] = (frame["mean_diff"] < 0) & (frame["p_holm"] < alpha)
    columns = ["method", "classifier", "datasets", "wins", "ties", "losses", "mean_diff"]
    return frame[[*columns, "p", "p_holm", "worse"]].sort_values(
        ["method", "classifier"], ignore_index=True
    )


# A generator records what it trained in every fold's outcome: the Lightning generators their
# training run (``sampler.stop_reason``), wrapped generative models their kind
# (``sampler.generator``, e.g. ForestFlow). Classical samplers and AutoSampler (which records
# its choice instead) train nothing.
TRAINING_OUTCOMES = ("sampler.stop_reason", "sampler.generator")


def generator_methods(folds: pd.DataFrame) -> list[str]:
    """The methods whose folds record a generator's fit (``TRAINING_OUTCOMES``), read from the
    jobs' recorded outcomes rather than from the sampler classes."""
    recorded = [c for c in TRAINING_OUTCOMES if c in folds.columns]
    if not recorded:
        return []
    trained = folds.loc[folds[recorded].notna().any(axis=1), "method"]
    return sorted(set(trained.astype(str)))


def generation_table(folds: pd.DataFrame) -> pd.DataFrame:
    """Per method: mean synthetic rows per fold and the share of folds that generated none
    (on those folds the method's scores are those of no resampling)."""
    if "synthetic_rows" not in folds.columns:
        return pd.DataFrame()
    rows = folds.dropna(subset=["synthetic_rows"])
    table = rows.groupby("label")["synthetic_rows"].agg(
        mean_rows="mean", folds="count", folds_without=lambda r: int((r == 0).sum())
    )
    table["share_without"] = table["folds_without"] / table["folds"]
    if "sampler.amount" in rows.columns:
        table["mean_amount"] = rows.groupby("label")["sampler.amount"].mean()
    return table.reset_index().rename(columns={"label": "method"})


def _table_markdown(report: Report) -> list[str]:
    methods = list(report.ranks.index)
    cells = report.summary.set_index(["dataset", "label"])
    lines = ["| dataset | " + " | ".join(methods) + " |", "|---" * (len(methods) + 1) + "|"]
    for dataset in sorted(report.summary["dataset"].unique()):
        best = report.scores.loc[dataset].max() if dataset in report.scores.index else None
        row = []
        for m in methods:
            if (dataset, m) not in cells.index:
                row.append("–")
                continue
            mean, std = cells.loc[(dataset, m), "mean"], cells.loc[(dataset, m), "std"]
            text = f"{mean:.3f} ± {0.0 if np.isnan(std) else std:.3f}"
            row.append(f"**{text}**" if best is not None and np.isclose(mean, best) else text)
        lines.append(f"| {dataset} | " + " | ".join(row) + " |")
    lines.append(
        "| **average rank** | " + " | ".join(f"{report.ranks[m]:.2f}" for m in methods) + " |"
    )
    lines.append(
        "| mean over datasets | "
        + " | ".join(f"{report.scores[m].mean():.3f}" for m in methods)
        + " |"
    )
    return lines


def render_markdown(report: Report, cd_png: str | None, scarcity_png: str | None = None) -> str:
    runs = report.runs
    stat, p = report.friedman
    lines = [
        f"# genover report: minority {report.metric.upper()} ({report.metric})",
        "",
        f"{runs.finished} finished runs"
        + (f" ({len(runs.reused)} read from other runs' fits)" if runs.reused else "")
        + f", {len(runs.failed)} failures, "
        f"{len(runs.incomplete)} unfinished. Statistics use the {report.scores.shape[0]} "
        f"datasets on which all {report.scores.shape[1]} methods finished. Cells: mean ± std "
        "(sample std, n−1) over all folds and seeds"
        + (" and classifiers (one sampler fit fed them all)" if runs.shared_fit else "")
        + "; bold = best on the dataset."
        + (
            f" Tables use minority_cap {report.cap}; the scarcity curve below has every cap."
            if report.cap
            else ""
        ),
        "",
        *_table_markdown(report),
        "",
        f"**Friedman test:** chi² = {stat:.3f}, p = {p:.4g}. "
        f"**Nemenyi critical difference** (alpha = 0.05): CD = {report.cd:.3f}.",
    ]
    if cd_png:
        lines += ["", f"![critical difference diagram]({cd_png})"]
    if report.baseline and not report.versus.empty:
        lines += [
            "",
            f"## Against {report.baseline} (Wilcoxon signed-rank over datasets, Holm)",
            "",
            "| method | wins | ties | losses | mean diff | p | p (Holm) |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in report.versus.itertuples():
            lines.append(
                f"| {row.method} | {row.wins} | {row.ties} | {row.losses} | "
                f"{row.mean_diff:+.4f} | {row.p:.4g} | {row.p_holm:.4g} |"
            )
    if not report.per_classifier.empty:
        frame = report.per_classifier
        worse = frame[frame["worse"]]
        verdict = (
            "significantly worse (Holm p < 0.05): "
            + ", ".join(f"{r.method} on {r.classifier}" for r in worse.itertuples())
            if len(worse)
            else "no method is significantly worse than "
            f"{report.baseline} on any classifier (Holm p < 0.05)"
        )
        lines += [
            "",
            f"## Against {report.baseline}, per classifier"
            + (f" (minority_cap {report.cap})" if report.cap else ""),
            "",
            "Each classifier on its own: Wilcoxon over datasets, Holm over the classifiers of "
            f"each method. {verdict[0].upper()}{verdict[1:]}.",
            "",
            "| method | classifier | datasets | wins | ties | losses | mean diff | p | p (Holm) |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for row in frame.itertuples():
            mark = " **worse**" if row.worse else ""
            lines.append(
                f"| {row.method} | {row.classifier} | {row.datasets} | {row.wins} | {row.ties} "
                f"| {row.losses} | {row.mean_diff:+.4f} | {row.p:.4g} | {row.p_holm:.4g}{mark} |"
            )
    if not report.generation.empty:
        lines += [
            "",
            "## Synthetic rows (a fold without any scores as no resampling)",
            "",
            "| method | synthetic rows per fold | folds without any | share | mean amount |",
            "|---|---|---|---|---|",
        ]
        for row in report.generation.itertuples():
            amount = getattr(row, "mean_amount", float("nan"))
            lines.append(
                f"| {row.method} | {row.mean_rows:.1f} | {row.folds_without} of {row.folds} | "
                f"{row.share_without:.0%} | {'–' if pd.isna(amount) else f'{amount:.2f}'} |"
            )
    if report.scarcity is not None:
        lines += render_scarcity(report.scarcity, scarcity_png)
    lines += reuse_lines(runs)
    lines += ["", "## Failed runs", ""]
    lines += [f"- `{f['run']}` {f['what']}: {f['error']}" for f in runs.failed] or ["none"]
    lines += ["", "## Unfinished runs", ""]
    lines += [f"- {item}" for item in runs.incomplete] or ["none"]
    return "\n".join(lines) + "\n"


def write_report(
    root: Path, out: Path | None = None, metric: str = "ap", baseline: str | None = None
) -> Report:
    """Write report.md, report.html, report.csv and cd_diagram.png for the sweep under
    ``root``."""
    from genover.atomic import atomic_write_text
    from genover.evaluation.plots import plot_cd_diagram

    out = out or root
    report = build_report(collect_runs(root), metric, baseline)
    cd_png = None
    if len(report.ranks) >= 2 and report.scores.shape[0] >= 1:
        plot_cd_diagram(
            report.ranks.to_dict(),
            report.cd,
            out / "cd_diagram.png",
            f"average rank by {report.metric} over {report.scores.shape[0]} datasets",
        )
        cd_png = "cd_diagram.png"
    scarcity_png = None
    if report.scarcity is not None:
        if not report.scarcity.curve.empty:
            plot_scarcity_curve(report.scarcity, out / "scarcity_curve.png")
            scarcity_png = "scarcity_curve.png"
        atomic_write_text(
            out / "scarcity.csv", comparisons_frame(report.scarcity).to_csv(index=False)
        )
    if not report.per_classifier.empty:
        atomic_write_text(out / "per_classifier.csv", report.per_classifier.to_csv(index=False))
    ceiling = write_ceiling(root, out, report.runs.folds, metric)  # no lines unless ceiling
    text = render_markdown(report, cd_png, scarcity_png)
    atomic_write_text(out / "report.md", text + ("\n".join(ceiling) + "\n" if ceiling else ""))
    atomic_write_text(out / "report.html", render_html(report, out, cd_png, scarcity_png))
    csv = report.summary.rename(columns={"label": "method"}).assign(metric=metric)
    atomic_write_text(out / "report.csv", csv.to_csv(index=False))
    return report


def _scores_frame(report: Report) -> pd.DataFrame:
    """Dataset x method cells as "mean ± std" text (the report's main table)."""
    cells = report.summary.assign(
        cell=[
            f"{m:.3f} ± {0.0 if np.isnan(s) else s:.3f}"
            for m, s in zip(report.summary["mean"], report.summary["std"], strict=True)
        ]
    )
    table = cells.pivot(index="dataset", columns="label", values="cell")
    return table.reindex(columns=list(report.ranks.index)).fillna("–").reset_index()


def render_html(
    report: Report, folder: Path, cd_png: str | None, scarcity_png: str | None = None
) -> str:
    """``report.html``: the report's figures (inlined) and tables (sortable) on one page."""
    from genover.evaluation.html import Figure, Page, frame_table, inline_png, render_page

    metric = report.metric
    figures = [
        Figure(caption, inline_png(folder / name), anchor)
        for name, caption, anchor in (
            (scarcity_png, f"Scarcity curve: mean minority {metric} against the cap", "curve"),
            (cd_png, "Critical difference diagram (average ranks)", "cd-diagram"),
        )
        if name
    ]
    stat, p = report.friedman
    ranks = pd.DataFrame(
        {
            "method": list(report.ranks.index),
            "average rank": report.ranks.to_numpy(),
            f"mean {metric} over datasets": [report.scores[m].mean() for m in report.ranks.index],
        }
    )
    tables = [
        frame_table(
            _scores_frame(report),
            f"Minority {metric} per dataset",
            "Mean ± sample std over folds"
            + (" and classifiers" if report.runs.shared_fit else "")
            + (f"; minority_cap {report.cap}" if report.cap else ""),
        ),
        frame_table(
            ranks,
            "Average ranks",
            f"Friedman chi² = {stat:.3f}, p = {p:.4g}; Nemenyi CD (alpha 0.05) = {report.cd:.3f}.",
        ),
    ]
    if report.baseline and not report.versus.empty:
        title = f"Against {report.baseline} (Wilcoxon signed-rank over datasets, Holm)"
        tables.append(frame_table(report.versus, title))
    if not report.per_classifier.empty:
        tables.append(
            frame_table(report.per_classifier, f"Against {report.baseline}, per classifier")
        )
    if not report.generation.empty:
        tables.append(frame_table(report.generation, "Synthetic rows per fold"))
    if report.scarcity is not None:
        tables.append(frame_table(comparisons_frame(report.scarcity), "Scarcity curve, per cap"))
    runs = report.runs
    page = Page(
        title=f"genover report: minority {metric.upper()}",
        summary=(
            f"{runs.finished} finished runs, {len(runs.failed)} failures, "
            f"{len(runs.incomplete)} unfinished; statistics over the {report.scores.shape[0]} "
            f"datasets on which all {report.scores.shape[1]} methods finished."
        ),
        figures=figures,
        tables=tables,
        problems=[f"{f['run']} {f['what']}: {f['error']}" for f in runs.failed]
        + [f"unfinished: {r}" for r in runs.incomplete],
    )
    return render_page(page)
