#!/usr/bin/env bash
# Every class-balanced loss with the MLP on the KEEL dev suite, through the experiment
# pipeline (no resampling, 5-fold CV), then the report against plain cross-entropy.
#   bash scripts/bench_losses.sh [sweep dir]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VIRTUAL_ENV:-.venv}/bin
dir=${1:-outputs/multirun/losses}
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
datasets=keel:ecoli1,keel:glass1,keel:pima,keel:yeast3,keel:vehicle0,keel:wisconsin,keel:haberman,keel:new_thyroid1,keel:yeast4,keel:abalone9-18
start=$(date +%s)
"$BIN/genover" -m hydra/launcher=joblib hydra.launcher.n_jobs=2 \
  data=$datasets sampler=none baselines=[] classifier=mlp \
  loss=ce,weighted_ce_inverse,weighted_ce_sqrt_inverse,weighted_ce_effective_number,focal,cb_focal,balanced_softmax,ldam_drw,lmcl \
  folds=5 repeats=1 evaluation.threshold.tune=false evaluation.plots=false evaluation.quality=false \
  hydra.sweep.dir="$dir/losses"
# Decoupled (cRT) and curriculum training with plain CE.
"$BIN/genover" -m hydra/launcher=joblib hydra.launcher.n_jobs=2 \
  data=$datasets sampler=none baselines=[] classifier=mlp loss=ce \
  classifier.decoupled=crt,tau_norm \
  folds=5 repeats=1 evaluation.threshold.tune=false evaluation.plots=false evaluation.quality=false \
  hydra.sweep.dir="$dir/decoupled"
"$BIN/genover" -m hydra/launcher=joblib hydra.launcher.n_jobs=2 \
  data=$datasets sampler=none baselines=[] classifier=mlp loss=ce classifier.sampling=curriculum \
  folds=5 repeats=1 evaluation.threshold.tune=false evaluation.plots=false evaluation.quality=false \
  hydra.sweep.dir="$dir/curriculum"
# The best generator (CVAE, keel_dev) with the best-ranked loss (balanced softmax).
"$BIN/genover" -m hydra/launcher=joblib hydra.launcher.n_jobs=2 \
  data=$datasets sampler=cvae baselines=[] classifier=mlp loss=balanced_softmax \
  folds=5 repeats=1 evaluation.threshold.tune=false evaluation.plots=false evaluation.quality=false \
  hydra.sweep.dir="$dir/combo"
end=$(date +%s)
echo "sweep wall time: $((end - start)) s" | tee "$dir/wall_time.txt"
"$BIN/genover-report" "$dir" --baseline "none + mlp[ce]"
