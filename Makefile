# `make run` starts the server, `make test` runs the whole suite; both set up .venv first.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Reinstall only when what pip reads changed; the installs are editable, so code changes need none.
INSTALLED := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install run test

install: $(INSTALLED)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): requirements.txt pyproject.toml $(wildcard plugins/*/pyproject.toml examples/*/pyproject.toml) | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements.txt
	touch $@

run: install
	$(BIN)/semaphore server

# pytest-xdist spreads the tests over the CPUs (-n auto); each worker gets its own databases.
test: install
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

# The benchmarks of issue 3 (bench/README.md), not part of `test`: each prints its table; the target
# fails when any benchmark missed a target, after running them all.
.PHONY: bench
bench: install
	@status=0; for benchmark in log_throughput dispatch parallel_limit task_page output_memory web_pages; do \
		$(BIN)/python bench/$$benchmark.py || status=1; done; exit $$status
