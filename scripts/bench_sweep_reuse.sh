#!/usr/bin/env bash
# Wall time of a small scarcity sweep with and without fold reuse (reuse=false: every job
# fits every fold; reuse=true: a fold already fitted on the same kept rows is read). Same
# sweep, same machine, one after the other; prints the load average before each and checks
# that both sweeps' fold scores are identical.
#   bash scripts/bench_sweep_reuse.sh [data list] [sampler list] [more overrides ...]
#   (default: keel:glass2,keel:zoo-3 and none,random_over,smote; 4 caps, 7 classifiers;
#   e.g. add 'classifiers=[]' for the run's classifier alone). OUT=<dir> keeps the sweeps.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VIRTUAL_ENV:-.venv}/bin
data=${1:-keel:glass2,keel:zoo-3}
samplers=${2:-none,random_over,smote}
shift $(( $# < 2 ? $# : 2 ))
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
for reuse in false true; do
  echo "reuse=$reuse: load average $(cut -d' ' -f1-3 /proc/loadavg)"
  start=$(date +%s.%N)
  "$BIN/genover" experiment=scarcity_confirm "data=$data" "sampler=$samplers" "reuse=$reuse" "$@" \
    "hydra.sweep.dir=$out/reuse_$reuse" > "$out/reuse_$reuse.log" 2>&1
  echo "reuse=$reuse: $(echo "$(date +%s.%N) - $start" | bc) s wall"
  "$BIN/python" scripts/collect_folds.py "$out/reuse_$reuse" "$out/reuse_$reuse.csv"
done
"$BIN/python" - "$out" <<'PY'
import json
import sys
from pathlib import Path

import pandas as pd

keys = ["dataset", "cap", "method", "classifier", "fold"]
a, b = (pd.read_csv(f"{sys.argv[1]}/reuse_{r}.csv").sort_values(keys) for r in ("false", "true"))
scores = [c for c in ("ap", "roc_auc", "f1", "mcc") if c in a]
same = a[keys + scores].reset_index(drop=True).equals(b[keys + scores].reset_index(drop=True))
reused = b["reused_from"].notna().groupby(b["method"]).mean() if "reused_from" in b else None
sys.stdout.write(f"fold rows: {len(a)} / {len(b)}; scores identical: {same}\n")
sys.stdout.write(f"share of fold rows read from another job, per method:\n{reused}\n")
for r in ("false", "true"):  # time inside the jobs' fold loops (timings.json), summed
    total = sum(
        sum(m["seconds"] for m in json.loads(p.read_text()).values())
        for p in Path(f"{sys.argv[1]}/reuse_{r}").glob("*/timings.json")
    )
    sys.stdout.write(f"reuse={r}: {total:.1f} s of fold fitting and scoring in all jobs\n")
PY
echo "outputs in $out"
