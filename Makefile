# The README's commands. `make demo` = set up + the main job; `make test` = set up + every test.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# checkov pins its own boto3: a venv of its own (requirements-checkov.txt).
CHECKOV_VENV := .venv-checkov

# pytest-xdist workers for `make test` and `make test-fast` (auto = one per core).
PYTEST_WORKERS ?= auto

.PHONY: setup lock services browser demo test test-fast lint typecheck bench clean

setup: $(VENV)/.installed $(CHECKOV_VENV)/.installed node_modules/.installed

# Every package from the hashed locks (pip refuses anything unpinned or whose hash differs); the
# project itself, editable, on top. The venv's lock holds the infra package with its dev and local
# extras, the bundled backend's requirements and the build backend.
$(VENV)/.installed: requirements/dev.lock pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

$(CHECKOV_VENV)/.installed: requirements/checkov.lock
	python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes \
		-r requirements/checkov.lock
	touch $@

# Rewrite the hashed locks from their sources (pyproject.toml, app_src/backend/requirements.txt,
# requirements-checkov.txt, requirements/build.in), keeping every pin that still fits; run it after
# changing a dependency. `make lock UPGRADE=--upgrade` moves every package to its newest version.
LOCK := $(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11.7 $(UPGRADE)
lock: | $(VENV)/.installed
	$(LOCK) --extra dev pyproject.toml app_src/backend/requirements.txt requirements/build.in \
		-o requirements/dev.lock
	$(LOCK) app_src/backend/requirements.txt -o app_src/backend/requirements.lock
	$(LOCK) requirements-checkov.txt -o requirements/checkov.lock

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	-$(PY) -c "from stacks.node_runtime import main; main()"
	touch $@

lint: setup typecheck
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy --strict over cdk_app, stacks, ops, localaws and the backend's app ([tool.mypy] names them).
typecheck: setup
	$(VENV)/bin/mypy

# Real PostgreSQL and Redis on loopback for the app tests (installed if missing, idempotent).
services:
	scripts/services.sh start

# The frontend tests' tools: Debian's chromium + chromium-driver (installed if missing) and an
# nginx binary to serve the image's nginx.conf (unpacked under .local/, nothing installed).
browser:
	scripts/install-chromium.sh
	scripts/fetch-nginx.sh >/dev/null

# pytest keeps the test modules and plugins it rewrites for its assertion messages as bytecode
# (__pycache__, ignored by git): with PYTHONDONTWRITEBYTECODE set in the shell, each worker of
# each run would rewrite them all again (some 460 modules, about 6 s of CPU per worker).
PYTEST := PYTHONDONTWRITEBYTECODE= $(PY) -m pytest

# Every tier in parallel; pytest prints the slowest steps and the run's wall time at the end.
test: setup services browser typecheck
	$(VENV)/bin/ruff check .
	$(PYTEST) -n $(PYTEST_WORKERS) --durations=10

# No server and no CDK synth: ops against in-process moto, runbooks, config (tests/conftest.py).
test-fast: $(VENV)/.installed
	$(PYTEST) -n $(PYTEST_WORKERS) -m "unit and not synth" --durations=5

demo: setup
	$(PY) -m localaws.demo

bench: setup services
	$(PY) bench/synth.py
	$(PY) bench/api.py
	$(PY) bench/cost.py
	$(PY) bench/ops_cli.py

clean:
	rm -rf cdk.out .pytest_cache
