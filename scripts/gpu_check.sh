#!/usr/bin/env bash
# One pass over genover's GPU paths, made to be run once on a machine with a CUDA GPU:
#   1. the GPU-gated tests (pytest -m gpu): every sampler in bf16-mixed and 32-true, the
#      torch SMOTE family against its CPU counts, the MLP with every loss;
#   2. the generator benchmark on the GPU (10k and 100k rows);
#   3. the SMOTE benchmark: torch on CUDA against imbalanced-learn on 2 CPU threads.
# Each stage has its own time limit; the whole check stays under 10 minutes.
# Outputs go to $OUT (default gpu_check/); copy the tables into BENCHMARKS.md.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python
OUT=${OUT:-gpu_check}
mkdir -p "$OUT"
status=0

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
"$PY" -c "import torch; assert torch.cuda.is_available(), 'torch sees no CUDA device'" || exit 1

echo "== 1/3 pytest -m gpu (limit 210 s)"
# test_gpu.py only: collecting the whole suite would import every optional library
timeout 210 "$PY" -m pytest -p no:xdist -q -m gpu -rs tests/test_gpu.py | tee "$OUT/pytest.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== 2/3 generators on the GPU (limit 150 s)"
timeout 150 "$PY" scripts/bench_generators.py --accelerator gpu --rows 10000 100000 \
    --out "$OUT/generators.json" | tee "$OUT/generators.md"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== 3/3 SMOTE family: torch on CUDA vs imblearn on 2 CPU threads (limit 200 s)"
timeout 200 "$PY" scripts/bench_smote.py --device cuda --threads 2 | tee "$OUT/smote.md"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "results in $OUT/ (exit status $status)"
exit $status
