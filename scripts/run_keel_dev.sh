#!/usr/bin/env bash
# The KEEL dev-suite benchmark: every classical baseline and every
# generator, 5 folds x 2 repeats, two jobs at a time, then the report.
#   bash scripts/run_keel_dev.sh [sweep dir] [extra overrides...]
# Threshold tuning is off here: it does not change AP and would double every generator fit.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VIRTUAL_ENV:-.venv}/bin
dir=${1:-outputs/multirun/keel_dev}
shift || true
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1   # one thread per joblib worker on 2 cores
start=$(date +%s)
"$BIN/genover" experiment=keel_dev \
  sampler=none,smote,adasyn,borderline1,cvae,ddpm,bagan \
  evaluation.threshold.tune=false evaluation.plots=false \
  hydra.sweep.dir="$dir" "$@"
end=$(date +%s)
echo "sweep wall time: $((end - start)) s" | tee "$dir/wall_time.txt"
"$BIN/genover-report" "$dir"
