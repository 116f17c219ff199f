#!/usr/bin/env bash
# The minority-scarcity curve (issue 16) on both KEEL suites: none, ROS, ROSE, SMOTE,
# smote-variants' polynom_fit_SMOTE_star and ProWSyn, and genover's CVAE, DDPM and BAGAN at
# their shipped defaults, x minority_cap 10/20/50/all rows, 5 folds, with lr, knn, rf, hgb,
# XGBoost, LightGBM and CatBoost all fed by one sampler fit per fold. Two jobs at a time, one
# thread each. Every job is a Hydra run; `resume=true` skips finished ones, so the script
# can be stopped and started again. The reports go to benchmarks/scarcity/<suite>/.
#   bash scripts/run_scarcity.sh [suite ...]      (default: confirm dev)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VIRTUAL_ENV:-.venv}/bin
suites=${*:-confirm dev}
for suite in $suites; do
  start=$(date +%s)
  sweep=outputs/multirun/scarcity_$suite
  "$BIN/genover" "experiment=scarcity_$suite" resume=true "hydra.sweep.dir=$sweep"
  wall=$(( $(date +%s) - start ))
  echo "{\"suite\": \"$suite\", \"wall_s\": $wall, \"finished\": \"$(date -u +%FT%TZ)\"}" \
    >> "benchmarks/scarcity/wall_times.jsonl"
  mkdir -p "benchmarks/scarcity/$suite"
  "$BIN/genover-report" "$sweep" --out "benchmarks/scarcity/$suite" --baseline none
  "$BIN/python" scripts/collect_folds.py "$sweep" "benchmarks/scarcity/$suite/folds.csv.gz"
done
