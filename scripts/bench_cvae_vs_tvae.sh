#!/usr/bin/env bash
# genover's CVAE against ctgan's TVAE at equal work, in one process (ctgan's virtualenv:
# scripts/fidelity_venv.sh).   bash scripts/bench_cvae_vs_tvae.sh [--rows 10000 --epochs 20 ...]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=$(bash scripts/fidelity_venv.sh)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
"$VENV/bin/python" scripts/bench_cvae_vs_tvae.py "$@"
