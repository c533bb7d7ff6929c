# Two entry points for a fresh machine (see README):
#   make demo   set up .venv, build spokenstyle, run the demo
#   make test   set up .venv, build spokenstyle (CUDA kernels too when nvcc is present), install the
#               first-party plugins in plugins/, run the tests of both
# Variables: PYTHON (the interpreter that creates .venv), TORCH (torch requirement; 2.14.1 is a
# CUDA build, which also runs on CPU-only machines), MAX_JOBS (parallel compile jobs).

PYTHON ?= python3
TORCH ?= torch==2.14.1
MAX_JOBS ?= 2
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check

.PHONY: demo test bench build setup clean

$(VENV)/.deps: pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel
	$(PIP) install -q "$(TORCH)" ninja pybind11 numpy
	touch $@

setup: $(VENV)/.deps

# --no-build-isolation: compile against the torch in .venv, the one that will run the extension.
build: setup
	MAX_JOBS=$(MAX_JOBS) $(PIP) install -q --no-build-isolation -e ".[test]"
	$(PY) -m spokenstyle.cli doctor

# The first-party plugins (plugins/*, each its own distribution) are installed and tested with the
# core: spokenstyle-clip and spokenstyle-speech pull in transformers (speech: soundfile too); their
# tests build tiny models, no network.
PLUGINS := plugins/spokenstyle-clip plugins/spokenstyle-example plugins/spokenstyle-speech

test: build
	$(PIP) install -q --no-build-isolation $(addprefix -e ,$(PLUGINS))
	$(PY) -m pytest tests $(PLUGINS) -q -p no:cacheprovider

demo: build
	$(PY) examples/demo.py

bench: build
	$(PY) -m pytest benchmarks --benchmark-only --benchmark-json=bench.json -q -p no:cacheprovider
	$(PY) benchmarks/report.py bench.json

clean:
	rm -rf build $(VENV) *.egg-info spokenstyle/_C*.so bench.json
