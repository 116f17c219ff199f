"""``report.html``: the sweep report as one self-contained page (figures inlined as base64,
sortable tables), rendered from Jinja2 templates."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape


@dataclass
class Table:
    """One sortable table: a title, a note, column names and rows of display strings."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    note: str = ""
    anchor: str = ""


@dataclass
class Figure:
    """One inlined PNG with its caption."""

    caption: str
    data: str  # base64
    anchor: str = ""


@dataclass
class Page:
    """Everything the template shows."""

    title: str
    summary: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("genover.evaluation", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def inline_png(path: Path) -> str:
    """A PNG file as base64 text for a ``data:`` URI."""
    return base64.b64encode(Path(path).read_bytes()).decode("ascii")


def frame_table(frame: pd.DataFrame, title: str, note: str = "", digits: int = 4) -> Table:
    """A data frame as a :class:`Table`, floats rounded to ``digits`` significant digits."""

    def cell(value) -> str:
        if isinstance(value, float | np.floating):
            return "–" if np.isnan(value) else f"{value:.{digits}g}"
        return str(value)

    rows = [[cell(v) for v in row] for row in frame.itertuples(index=False)]
    anchor = "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")
    return Table(title, [str(c) for c in frame.columns], rows, note, anchor)


def render_page(page: Page) -> str:
    """The page's HTML (``report.html.j2``)."""
    return _environment().get_template("report.html.j2").render(page=page)
