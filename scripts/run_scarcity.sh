#!/usr/bin/env bash
# The minority-scarcity curve on both KEEL suites: none, ROS, ROSE, SMOTE,
# smote-variants' polynom_fit_SMOTE_star and ProWSyn, and genover's CVAE, DDPM and BAGAN at
# their shipped defaults, x minority_cap 10/20/50/all rows, 5 folds, with lr, knn, rf, hgb,
# XGBoost, LightGBM and CatBoost all fed by one sampler fit per fold. Two jobs at a time, one
# thread each. Every job is a Hydra run; `resume=true` skips finished ones, so the script
# can be stopped and started again (wall_times.jsonl then records each part's wall time).
# A job in which the sampler failed makes the sweep exit 1; the report is written anyway
# and lists it. The reports go to benchmarks/scarcity/<suite>/.
#   bash scripts/run_scarcity.sh [suite ...]      (default: confirm dev)
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${VIRTUAL_ENV:-.venv}/bin
suites=${*:-confirm dev}
status=0
for suite in $suites; do
  out=benchmarks/scarcity/$suite
  sweep=outputs/multirun/scarcity_$suite
  mkdir -p "$out"
  start=$(date +%s)
  "$BIN/genover" "experiment=scarcity_$suite" resume=true "hydra.sweep.dir=$sweep" || status=$?
  wall=$(( $(date +%s) - start ))
  echo "{\"suite\": \"$suite\", \"wall_s\": $wall, \"exit\": $status, \"finished\": \"$(date -u +%FT%TZ)\"}" \
    >> benchmarks/scarcity/wall_times.jsonl
  "$BIN/genover-report" "$sweep" --out "$out" --baseline none || exit 2
  "$BIN/python" scripts/collect_folds.py "$sweep" "$out/folds.csv.gz" || exit 2
  "$BIN/python" scripts/scarcity_tables.py "$sweep" > "$out/per_classifier.md" || exit 2
  # every job's results without TensorBoard files: unpacked into outputs/multirun, resume works
  tar czf "$out/runs.tar.gz" --exclude=tensorboard --exclude='*.log' \
    -C "$(dirname "$sweep")" "$(basename "$sweep")" || exit 2
done
exit "$status"
