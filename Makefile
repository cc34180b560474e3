# The course in two commands:  `make lab`  opens it,  `make test`  proves it.
# Everything is installed into .venv next to this file; nothing outside it is touched.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Chainer builds from an sdist that needs setuptools<70 (see constraints.txt).
export PIP_CONSTRAINT       := $(CURDIR)/constraints.txt
export PIP_BUILD_CONSTRAINT := $(CURDIR)/constraints.txt
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export CHAINER_WARN_VERSION_MISMATCH := 0

.PHONY: lab test test-suite test-compat release clean gpu-check

# Jupyter refuses to run as root (containers, cloud notebooks) unless told it may.
AS_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

# The course's own server: no "official Jupyter news" question and no news fetched
# (jupyter/lab-settings/overrides.json), and lessons that open without being marked modified
# (mlkit.lab adds the kernel's Python version on opening and takes it out on saving).
LAB_FLAGS := --ServerApp.root_dir=lessons --LabApp.app_settings_dir=$(CURDIR)/jupyter/lab-settings \
             --LabApp.news_url=None --ServerApp.contents_manager_class=mlkit.lab.LessonContentsManager

lab: $(VENV)/.lab-installed
	$(BIN)/mlkit doctor
	$(BIN)/jupyter lab $(LAB_FLAGS) $(AS_ROOT)

test: test-suite test-compat

# The whole suite on the newest NumPy 2: mlkit, the grader, and every lesson in smoke mode.
test-suite: $(VENV)/.test-installed
	MLKIT_MODE=smoke $(BIN)/python -m pytest

# The same compatibility layer on NumPy 1.26 and on Python 3.10, 3.12 and 3.13 (setuptools 82+).
test-compat: $(VENV)/.test-installed
	$(BIN)/python tests/compat/run_matrix.py

# Every lesson's core on NumPy and on CuPy from the same seed: agreement and speed (needs a GPU
# and CuPy: pip install -e ".[cuda12]" or ".[cuda13]"; without a GPU it runs the CPU half).
gpu-check: $(VENV)/.lab-installed
	$(BIN)/mlkit doctor
	$(BIN)/mlkit selftest

release: $(VENV)/.lab-installed
	$(BIN)/mlkit release

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.lab-installed: pyproject.toml constraints.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install -e ".[lab]"
	touch $@

$(VENV)/.test-installed: pyproject.toml constraints.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install -e ".[test]"
	touch $@ $(VENV)/.lab-installed

clean:
	rm -rf $(VENV) .venv-* .pytest_cache
