"""The printed text of ``genover advise``: the profile, the advice, the ranking and ``--help``."""

from __future__ import annotations

from collections.abc import Sequence

from genover.advise.guidelines import BANDS, DOMAINS, Advice, Recommendation
from genover.advise.profile import Profile
from genover.advise.ranking import Ranked


def format_profile(profile: Profile) -> list[str]:
    lines = [
        f"dataset {profile.name}: {profile.rows} rows, {profile.features} features "
        f"({profile.categorical_share:.0%} categorical, {profile.missing_share:.1%} missing "
        f"values), {len(profile.class_names)} classes",
        f"  {'class':<24}{'rows':>8}{'ratio to majority':>20}",
    ]
    for (name, ratio), count in zip(profile.ratios.items(), profile.class_counts, strict=True):
        lines.append(f"  {name:<24}{count:>8}{ratio:>19.2f}:1")
    lines.append(
        f"imbalance ratio {profile.imbalance_ratio:.2f}:1; minority {profile.minority_name!r} "
        f"with {profile.minority_rows} rows"
    )
    return lines


def _format_recommendations(recs: Sequence[Recommendation]) -> list[str]:
    lines = []
    for i, rec in enumerate(recs, 1):
        lines += [f"  {i}. {rec.title}: {rec.reason}", f"     {rec.command}"]
    return lines


def format_advice(advice: Advice) -> str:
    """The printed report of :func:`advise`."""
    lines = format_profile(advice.profile)
    lines += ["", f"guideline for {advice.band.label}: {advice.band.advice}"]
    lines += _format_recommendations(advice.recommendations)
    if advice.domain:
        lines += ["", f"domain {advice.domain}: {advice.domain_advice}"]
        lines += _format_recommendations(advice.domain_recommendations)
    if advice.warnings:
        lines += ["", "warnings:"]
        for note in advice.warnings:
            lines.append(f"  - {note.message}")
            if note.command:
                lines.append(f"    {note.command}")
    return "\n".join(lines) + "\n"


def format_ranking(ranked: Sequence[Ranked], folds: int, repeats: int) -> str:
    lines = [
        "",
        f"paired {folds}-fold x {repeats} cross-validation, ranked by minority AP:",
        f"  {'rank':<6}{'AP':>15}{'vs none':>10}{'folds won':>11}  candidate",
    ]
    for i, r in enumerate(ranked, 1):
        if r.error:
            lines.append(f"  {'-':<6}{'failed':>15}{'':>10}{'':>11}  {r.title}: {r.error}")
            continue
        lines.append(
            f"  {i:<6}{r.ap_mean:>8.3f} ± {r.ap_std:.3f}{r.delta_vs_none:>+10.3f}"
            f"{f'{r.wins}/{r.folds}':>11}  {r.title}"
        )
        lines.append(f"  {'':<42}{r.command}")
    return "\n".join(lines) + "\n"


USAGE = (
    "usage: genover advise data=<spec> [target=<column>] [impute=median] "
    "[domain=medical|fraud|manufacturing] [advise.run=true advise.folds=3 advise.repeats=1]\n"
)


def usage() -> str:
    """The ``--help`` text: the command line and the guideline table."""
    rows = [f"  {b.label:<16}{b.advice}" for b in BANDS]
    domains = [f"  {name:<16}{text}" for name, text in DOMAINS.items()]
    return (
        USAGE
        + "\nimbalance ratio guideline:\n"
        + "\n".join(rows)
        + "\ndomains:\n"
        + ("\n".join(domains) + "\n")
    )
