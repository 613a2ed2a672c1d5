# `make run` starts the server, `make test` runs the whole suite; both set up .venv first.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Two installs: `make install` / `make test` install everything for development (test tools, the
# example plugins); `make run` installs what a server needs and removes the examples, which the server
# would otherwise load as plugins. Each marks itself done and clears the other's mark, so switching
# between them reinstalls; otherwise pip runs only when what it reads changed (the installs are
# editable, so code changes need none).
INSTALLED := $(VENV)/.installed
RUN_INSTALLED := $(VENV)/.installed-run
EXAMPLE_DISTRIBUTIONS := semaphore-hello semaphore-json-alert
PACKAGE_FILES := pyproject.toml $(wildcard plugins/*/pyproject.toml examples/*/pyproject.toml)
PIP := $(BIN)/python -m pip --disable-pip-version-check
PYTEST_ARGS ?=

.PHONY: install run test

install: $(INSTALLED)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): requirements.txt requirements-test.txt $(PACKAGE_FILES) | $(BIN)/python
	$(PIP) install -r requirements-test.txt
	rm -f $(RUN_INSTALLED)
	touch $@

$(RUN_INSTALLED): requirements.txt $(PACKAGE_FILES) | $(BIN)/python
	$(PIP) install -r requirements.txt
	$(PIP) uninstall -y $(EXAMPLE_DISTRIBUTIONS)
	rm -f $(INSTALLED)
	touch $@

run: $(RUN_INSTALLED)
	$(BIN)/semaphore server

# pytest-xdist spreads the tests over the CPUs (-n auto); each worker gets its own databases.
test: install
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

# The benchmarks of issue 3 (bench/README.md), not part of `test`: each prints its table; the target
# fails when any benchmark missed a target, after running them all.
.PHONY: bench
bench: install
	@status=0; for benchmark in log_throughput dispatch parallel_limit task_page output_memory web_pages \
		runner_dispatch runner_log_throughput cluster_latency; do \
		$(BIN)/python bench/$$benchmark.py || status=1; done; exit $$status
