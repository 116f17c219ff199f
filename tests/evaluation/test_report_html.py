"""report.html: one self-contained page (figures inlined, sortable tables) that a real
browser renders without console errors."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess

import pandas as pd
import pytest

from genover.evaluation.report import write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]


def _fake_sweep(root) -> None:
    """Five datasets x caps 10 and all rows x none, smote and a generator (its folds record
    a training run), two folds each: enough for every table and the scarcity curve."""
    job = 0
    for d, dataset in enumerate(["d1", "d2", "d3", "d4", "d5"]):
        for cap in (10, None):
            folder = root / str(job)
            folder.mkdir(parents=True)
            job += 1
            scores = {"none": 0.5, "smote": 0.45 + 0.01 * d, "cvae": 0.55 - 0.02 * d}
            rows = [
                {
                    "method": m,
                    "repeat": 0,
                    "fold": f,
                    "ap": v + 0.01 * f + (0.05 if cap is None else 0.0),
                    "n_train": 10,
                    "n_test": 5,
                    "sampler.stop_reason": "budget" if m == "cvae" else None,
                }
                for m, v in scores.items()
                for f in range(2)
            ]
            pd.DataFrame(rows).to_csv(folder / "folds.csv", index=False)
            metrics = {
                "dataset": {"name": dataset},
                "cv": {"seed": 0, "minority_cap": cap},
                "classifier": {"name": "lr"},
                "methods": {m: {"status": "ok"} for m in scores},
            }
            (folder / "metrics.json").write_text(json.dumps(metrics))


@pytest.fixture
def report_page(tmp_path):
    sweep = tmp_path / "sweep"
    _fake_sweep(sweep)
    write_report(sweep, baseline="none")
    return sweep


def test_the_page_is_self_contained_with_every_table(report_page):
    html = (report_page / "report.html").read_text()
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    inlined = {base64.b64decode(data) for data in images}
    assert (report_page / "scarcity_curve.png").read_bytes() in inlined
    assert (report_page / "cd_diagram.png").read_bytes() in inlined
    assert not re.search(r'(src|href)="(?!data:|#)', html), "the page links an outside file"
    for title in ("Minority ap per dataset", "Average ranks", "Against none (Wilcoxon"):
        assert f">{title}" in html
    assert "Scarcity curve, per cap" in html and html.count('<table class="sortable">') >= 4


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (make install installs it where apt-get runs "
    "as root); the page's rendering in a browser is not checked here",
)
def test_chromium_renders_the_curve_and_the_tables_without_console_errors(report_page, tmp_path):
    profile = tmp_path / "profile"
    proc = subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={profile}",
            "--dump-dom",
            (report_page / "report.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    assert not console, f"console messages: {console}"
    dom = proc.stdout
    assert re.search(r'<figure id="curve">\s*<img alt="Scarcity curve', dom)
    body_rows = re.findall(r"<tr><td>(d\d)</td>", dom)
    assert sorted(body_rows) == ["d1", "d2", "d3", "d4", "d5"]  # the per-dataset table
    assert '<th scope="col">average rank</th>' in dom
