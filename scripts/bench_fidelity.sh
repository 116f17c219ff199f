#!/usr/bin/env bash
# Fidelity against reference implementations: genover's generators vs ctgan's TVAE and CTGAN
# (ctgan's virtualenv: scripts/fidelity_venv.sh).
#   bash scripts/bench_fidelity.sh [extra args of bench_fidelity.py]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=$(bash scripts/fidelity_venv.sh)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
"$VENV/bin/python" scripts/bench_fidelity.py "$@"
