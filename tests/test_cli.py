"""The console scripts, run as a user would: short errors, non-zero exits, listings."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

GENOVER = [sys.executable, "-c", "from genover.cli import main; main()"]


def _run(args, cwd):
    return subprocess.run([*GENOVER, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_bad_dataset_is_a_short_error_with_exit_2(tmp_path):
    proc = _run(["data=keel:yeats4"], tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2
    assert "unknown KEEL dataset 'yeats4'. Closest: yeast4" in out
    assert "Traceback" not in out


def test_run_from_any_directory_writes_outputs(tmp_path):
    proc = _run(
        ["experiment=debug", "sampler=adasyn", "baselines=[none]", "hydra.run.dir=out"], tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert set(metrics["methods"]) == {"adasyn", "none"}
    assert (tmp_path / "out" / "folds.csv").exists()


def test_multirun_keeps_going_past_a_bad_job(tmp_path):
    proc = _run(
        [
            "-m",
            "experiment=debug",
            "sampler=smote",
            "baselines=[]",
            "data=synthetic:n300,keel:nope",
            "hydra.sweep.dir=sweep",
        ],
        tmp_path,
    )
    assert proc.returncode == 1, proc.stderr  # every job ran; the sweep says one failed
    assert "keel:nope" in proc.stderr or "nope" in proc.stderr
    # every failed job named, no traceback (it printed genover.cli.JobFailed's)
    assert "1 sweep job(s) failed" in proc.stderr and "unknown KEEL dataset 'nope'" in proc.stderr
    assert "Traceback" not in proc.stderr and "JobFailed" not in proc.stderr
    assert (tmp_path / "sweep" / "0" / "metrics.json").exists()
    error = json.loads((tmp_path / "sweep" / "1" / "error.json").read_text())
    assert "unknown KEEL dataset 'nope'" in error["error"]


def test_help_and_dataset_listing(tmp_path):
    help_text = _run(["--help"], tmp_path).stdout
    assert "genover datasets" in help_text and "sampler:" in help_text
    listing = _run(["datasets"], tmp_path)
    assert listing.returncode == 0
    lines = [row for row in listing.stdout.splitlines() if row.startswith("keel:")]
    assert len(lines) == 100
    yeast4 = next(row for row in lines if row.split()[0] == "keel:yeast4").split()
    assert yeast4[1:3] == ["1484", "8"] and float(yeast4[-1]) == pytest.approx(28.10, abs=0.01)


def test_every_method_failed_exits_1_and_a_partial_failure_exits_0(tmp_path):
    """A run in which nothing worked once exited 0 (issue 18)."""
    base = ["experiment=debug", "evaluation.plots=false", "sampler=sv", "sampler.name=nosuch"]
    proc = _run([*base, "baselines=[]", "hydra.run.dir=all"], tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "every method failed (sv)" in proc.stdout + proc.stderr
    partial = _run([*base, "baselines=[none]", "hydra.run.dir=some"], tmp_path)
    assert partial.returncode == 0, partial.stderr
    assert (
        "failed: ValueError: smote-variants has no oversampler" in partial.stdout + partial.stderr
    )


def test_ctrl_c_prints_a_message_and_exits_130(tmp_path):
    import signal
    import time

    proc = subprocess.Popen(
        [
            *GENOVER,
            "experiment=debug",
            "sampler=cvae",
            "sampler.trainer.max_steps=100000",
            "sampler.trainer.patience=100000",
            "baselines=[]",
            "hydra.run.dir=out",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # even if we ignore it
    )
    deadline = time.time() + 120
    while not (tmp_path / "out" / ".hydra").exists() and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(3.0)  # the job has started: inside the generator's (Lightning) training loop
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "genover: interrupted (Ctrl-C)" in err


def test_generate_help_is_its_own():
    proc = subprocess.run(
        [sys.executable, "-c", "from genover.cli import generate_app; generate_app()", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith("genover-generate: fit a sampler on a dataset")
    assert "genover-generate data=keel:yeast4 sampler=ddpm" in proc.stdout


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("sampler=bogus", r"sampler=bogus: no such option\. Choose from: adasyn, arae"),
        ("baselines=[none,smot]", r"baselines=smot: no such option\. Closest: smote"),
        ("classifiers=[nonexist]", r"classifiers=nonexist: no such option.*knn, lightgbm"),
    ],
)
def test_an_unknown_option_exits_2_naming_the_valid_ones(capsys, monkeypatch, override, message):
    """Hydra's own errors exited 1 (documented: 2) and listed no valid names for a list group."""
    import re

    from genover import cli

    monkeypatch.setattr(sys, "argv", ["genover", "experiment=debug", override])
    with pytest.raises(SystemExit) as stop:
        cli.main()
    assert stop.value.code == 2 and re.search(message, capsys.readouterr().err)


def test_a_setting_the_config_lacks_exits_2_without_a_traceback(tmp_path):
    proc = _run(["experiment=debug", "classifier.no_such=1", "hydra.run.dir=out"], tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "classifier.no_such" in proc.stderr and "the chosen config has no such" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_bad_imbalance_value_exits_2_before_any_fit_naming_the_choices(tmp_path):
    """lr/rf/hgb take ``imbalance`` too: a bad value is refused by its parameter constraint."""
    proc = _run(["experiment=debug", "classifier.imbalance=bogus", "hydra.run.dir=out"], tmp_path)
    said = proc.stdout + proc.stderr
    assert proc.returncode == 2, said
    assert "imbalance" in said and "balanced" in said and "Traceback" not in said
    assert not (tmp_path / "out" / "metrics.json").exists()


def test_ctrl_c_in_generate_does_not_suggest_resume(capsys, monkeypatch):
    """genover-generate has neither resume=true nor a metrics.json."""
    from genover import cli

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_generate_app", interrupted)
    monkeypatch.setattr(sys, "argv", ["genover-generate", "out=a.csv"])
    with pytest.raises(SystemExit) as stop:
        cli.generate_app()
    err = capsys.readouterr().err
    assert stop.value.code == 130
    assert "Nothing was written" in err and "resume" not in err and "metrics.json" not in err


def test_an_unwritable_run_directory_exits_2(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    proc = _run(["experiment=debug", "hydra.run.dir=afile/run"], tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "cannot write" in proc.stderr and "hydra.run.dir" in proc.stderr
    assert "Traceback" not in proc.stderr
