#!/usr/bin/env bash
# The ceiling (experiment=ceiling) on both KEEL suites: per outer training fold, an inner
# 3-fold cross-validation on that fold's rows chooses one pipeline, classifier (lr,
# CatBoost) x imbalance (none, balanced) x sampler (none, ROSE, SMOTE, the CVAE) x
# synthetic_weight (conf/experiment/ceiling.yaml), once without generation (sampler none only)
# and once with it; the choice is refitted on the training fold and scores the untouched test
# fold. minority_cap 10/20/all rows, 5 outer folds, two jobs at a time, one thread each.
# Every job is a Hydra run; `resume=true` skips finished ones, and a job's inner predictions
# are cached in its inner_cache/, so the script can be stopped and started again
# (wall_times.jsonl then records each session's part). A failed job makes the sweep exit 1;
# the report is written anyway and lists it. The reports go to benchmarks/ceiling/<suite>/.
#   bash scripts/run_ceiling.sh [suite ...]      (default: dev confirm: decide on dev first)
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${VIRTUAL_ENV:-.venv}/bin
suites=${*:-dev confirm}
status=0
for suite in $suites; do
  out=benchmarks/ceiling/$suite
  sweep=outputs/multirun/ceiling_$suite
  mkdir -p "$out"
  start=$(date +%s)
  "$BIN/genover" "experiment=ceiling_$suite" resume=true "hydra.sweep.dir=$sweep" || status=$?
  wall=$(( $(date +%s) - start ))
  echo "{\"suite\": \"$suite\", \"wall_s\": $wall, \"exit\": $status, \"finished\": \"$(date -u +%FT%TZ)\"}" \
    >> benchmarks/ceiling/wall_times.jsonl
  "$BIN/genover-report" "$sweep" --out "$out" --baseline without || exit 2
  "$BIN/python" scripts/collect_folds.py "$sweep" "$out/folds.csv.gz" || exit 2
  # every job's results without TensorBoard files or inner caches: unpacked into
  # outputs/multirun, resume works
  tar czf "$out/runs.tar.gz" --exclude=tensorboard --exclude=inner_cache --exclude='*.log' \
    -C "$(dirname "$sweep")" "$(basename "$sweep")" || exit 2
done
exit "$status"
