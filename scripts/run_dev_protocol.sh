#!/usr/bin/env bash
# The dev benchmark protocol: the 9 samplers (none, smote, borderline1, adasyn,
# smote-variants' polynom_fit_SMOTE_star and ProWSyn, cvae, ddpm, bagan at their config
# defaults) x lr/knn/rf/hgb on the 10 KEEL dev datasets, stratified 5-fold x 2 repeats, in
# three regimes: all training rows, and minority_cap=50 and 20. Two worker processes, one
# torch thread each. Results are cached per sampler and dataset under
# benchmarks/dev_protocol/<regime>/ (delete a sampler's folder to re-run it); the reports
# (ranks, Friedman/Nemenyi, Wilcoxon-Holm against none and SMOTE) go beside them.
#   bash scripts/run_dev_protocol.sh [regime ...]     (default: full cap50 cap20)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VIRTUAL_ENV:-.venv}/bin
regimes=${*:-full cap50 cap20}
for regime in $regimes; do
  start=$(date +%s)
  "$BIN/python" scripts/dev_protocol.py run --regime "$regime"
  echo "$regime: $(( $(date +%s) - start )) s"
  "$BIN/python" scripts/dev_protocol.py report --regime "$regime" \
    --title "Regime $regime" --write "benchmarks/dev_protocol/$regime/report.md"
done
