"""Sweeps through submitit's local launcher, and resuming a killed sweep."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from genover.cores import auto_threads, resolve_n_jobs, worker_threads

BIN = Path(sys.executable).parent
FAST_CVAE = [
    "experiment=debug",
    "sampler=cvae",
    "sampler.amount_grid=null",
    "sampler.model.hidden=[16]",
    "sampler.trainer.max_steps=300",
    "baselines=[]",
    "evaluation.threshold.tune=false",
    "evaluation.plots=false",
]


def _genover(args, cwd, **kwargs):
    return subprocess.Popen(
        [str(BIN / "genover"), "-m", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


@pytest.mark.slow
def test_submitit_local_sweep_then_report(tmp_path):
    sweep = tmp_path / "sweep"
    proc = _genover(
        [
            "hydra/launcher=local",
            "experiment=debug",
            "sampler=none,smote",
            "baselines=[]",
            "evaluation.plots=false",
            f"hydra.sweep.dir={sweep}",
        ],
        tmp_path,
    )
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    assert "Submitit 'local' sweep output dir" in out
    for job in ("0", "1"):
        metrics = json.loads((sweep / job / "metrics.json").read_text())
        assert metrics["methods"][["none", "smote"][int(job)]]["status"] == "ok"
    report = subprocess.run(
        [str(BIN / "genover-report"), str(sweep)], capture_output=True, text=True, timeout=300
    )
    assert report.returncode == 0, report.stderr
    text = (sweep / "report.md").read_text()
    assert "2 finished runs, 0 failures, 0 unfinished" in text


@pytest.mark.slow
def test_killed_sweep_resumes_only_the_missing_jobs(tmp_path):
    sweep = tmp_path / "sweep"
    args = [*FAST_CVAE, "seed=0,1,2", f"hydra.sweep.dir={sweep}"]
    proc = _genover(args, tmp_path, start_new_session=True)
    deadline = time.time() + 300
    while not (sweep / "0" / "metrics.json").exists():
        assert time.time() < deadline and proc.poll() is None, proc.stdout.read()
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # mid-way through job 1
    proc.wait()
    assert not (sweep / "2" / "metrics.json").exists()
    done_first = (sweep / "0" / "metrics.json").stat().st_mtime_ns
    killed = [j for j in ("1", "2") if not (sweep / j / "metrics.json").exists()]
    assert killed, "the sweep finished before it could be killed"

    proc = _genover([*args, "resume=true"], tmp_path)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    skipped = [line for line in out.splitlines() if "resume:" in line and "skipping" in line]
    expected = 3 - len(killed)
    assert len(skipped) == expected, out
    assert (sweep / "0" / "metrics.json").stat().st_mtime_ns == done_first
    for job in ("0", "1", "2"):
        assert json.loads((sweep / job / "metrics.json").read_text())["cv"]["seed"] == int(job)
    report = subprocess.run(
        [str(BIN / "genover-report"), str(sweep)], capture_output=True, text=True, timeout=300
    )
    assert report.returncode == 0, report.stderr
    assert "3 finished runs, 0 failures, 0 unfinished" in (sweep / "report.md").read_text()


def test_resume_reruns_a_job_whose_config_changed(compose_cfg, tmp_path):
    from genover.evaluation.rundir import completed_run
    from genover.experiment import run

    cfg = compose_cfg("sampler=smote", "baselines=[]", "evaluation.plots=false")
    run(cfg, output_dir=tmp_path)
    assert completed_run(tmp_path, cfg) is not None
    assert (
        completed_run(
            tmp_path,
            compose_cfg("sampler=smote", "baselines=[]", "resume=true", "evaluation.plots=false"),
        )
        is not None
    )
    assert (
        completed_run(
            tmp_path,
            compose_cfg("sampler=smote", "baselines=[]", "seed=3", "evaluation.plots=false"),
        )
        is None
    )
    (tmp_path / "folds.csv").unlink()
    assert completed_run(tmp_path, cfg) is None


def test_threads_follow_the_launcher():
    assert auto_threads(2, None) == 2
    assert auto_threads(2, {"n_jobs": 2}) == 1
    assert auto_threads(16, {"n_jobs": 3}) == 5
    assert auto_threads(16, {"cpus_per_task": 4, "n_jobs": None}) == 4


def test_resume_reruns_a_job_whose_file_data_changed(compose_cfg, tmp_path):
    """The config hash alone once let resume skip a job whose data file had changed."""
    from genover.data import file_sha256
    from genover.evaluation.rundir import completed_run
    from genover.experiment import run

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=60), "y": ["p"] * 12 + ["n"] * 48})
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    args = (f"data=file:{data}", "target=y", "sampler=none", "baselines=[]")
    cfg = compose_cfg(*args, "evaluation.plots=false")
    out = tmp_path / "job"
    metrics = run(cfg, output_dir=out)
    assert metrics["data_fingerprint"]["sha256"] == file_sha256(data)
    assert completed_run(out, cfg) is not None
    os.utime(data, (1, 1))  # touched or copied: same bytes, a new mtime
    assert completed_run(out, cfg) is not None
    frame.loc[0, "a"] += 1.0
    frame.to_csv(data, index=False)
    assert completed_run(out, cfg) is None


def test_resume_reruns_a_job_in_which_every_method_failed(compose_cfg, tmp_path):
    from genover.evaluation.rundir import completed_run
    from genover.experiment import run

    cfg = compose_cfg("sampler=sv", "sampler.name=nosuch", "baselines=[]", "evaluation.plots=false")
    assert run(cfg, output_dir=tmp_path)["methods"]["sv"]["status"] == "failed"
    assert (tmp_path / "metrics.json").exists() and completed_run(tmp_path, cfg) is None


def test_auto_threads_leave_busy_cores_alone():
    assert auto_threads(2, None, load=0.1) == 2
    assert auto_threads(2, None, load=2.3) == 1  # two busy neighbours: one thread
    assert auto_threads(8, None, load=3.0) == 5
    assert auto_threads(2, {"n_jobs": 2}, load=0.0) == 1
    assert auto_threads(16, {"cpus_per_task": 4}, load=15.0) == 4  # an allocation is ours


def test_worker_processes_follow_the_launcher(monkeypatch):
    monkeypatch.setattr("genover.cores.available_cores", lambda: 2)
    assert resolve_n_jobs("auto") == 2  # a single run: every core
    assert resolve_n_jobs("auto", {"n_jobs": 2}) == 1  # a 2-job sweep on 2 cores: no more
    assert resolve_n_jobs("auto", {"cpus_per_task": 4}) == 4
    assert resolve_n_jobs(3, {"n_jobs": 2}) == 3  # a number is the user's
    assert worker_threads(1, 2) == 1 and worker_threads(4, 2) == 2 and worker_threads(8, 1) == 8


def test_a_joblib_sweep_runs_each_job_in_one_process(tmp_path):
    sweep = tmp_path / "sweep"
    proc = _genover(
        [
            "hydra/launcher=joblib",
            "hydra.launcher.n_jobs=2",
            "experiment=debug",
            "sampler=none,smote",
            "baselines=[]",
            "evaluation.plots=false",
            "evaluation.threshold.tune=false",
            f"hydra.sweep.dir={sweep}",
        ],
        tmp_path,
    )
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    cores = len(os.sched_getaffinity(0))
    for job in ("0", "1"):
        metrics = json.loads((sweep / job / "metrics.json").read_text())
        assert metrics["runtime"] == {"n_jobs": max(1, cores // 2)}
