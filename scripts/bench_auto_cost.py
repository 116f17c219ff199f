"""The cost of ``sampler=auto`` against one CVAE fit: both fitted on all rows of a dataset
(default keel:yeast4) with one torch thread, auto choosing with a logistic regression.
    python scripts/bench_auto_cost.py [dataset]"""

from __future__ import annotations

import logging
import os
import sys
import time

import torch
from sklearn.linear_model import LogisticRegression

from genover import AutoSampler, CVAESampler, load_dataset

log = logging.getLogger("bench_auto_cost")


def main(spec: str = "keel:yeast4") -> None:
    """Log each fit's wall seconds, their ratio and the 1-minute load average."""
    torch.set_num_threads(1)
    data = load_dataset(spec)
    seconds = {}
    for name, sampler in (
        ("cvae", CVAESampler(random_state=0)),
        ("auto", AutoSampler(random_state=0, estimator=LogisticRegression(max_iter=1000))),
    ):
        start = time.perf_counter()
        sampler.fit_resample(data.X, data.y)
        seconds[name] = time.perf_counter() - start
        log.info("%s: %.1f s (load %.1f)", name, seconds[name], os.getloadavg()[0])
    log.info("auto / cvae: %.2f", seconds["auto"] / seconds["cvae"])


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main(*sys.argv[1:])
