"""Every fold row of a sweep in one compressed CSV (the data behind a report), read with
genover-report's own reader: ``python scripts/collect_folds.py <sweep dir> <out.csv.gz>``."""

from __future__ import annotations

import sys
from pathlib import Path

from genover.evaluation.report import collect_runs


def main(sweep: str, out: str) -> None:
    runs = collect_runs(Path(sweep))
    keep = [c for c in runs.folds.columns if not c.startswith(("cm_", "sampler.filter_threshold"))]
    runs.folds[keep].to_csv(out, index=False, float_format="%.6g")


if __name__ == "__main__":
    main(*sys.argv[1:3])
