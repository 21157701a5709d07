# Entry points for people and CI. Every target works on a fresh clone: it creates .venv and installs what it needs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
SCENARIO ?= sept2024
SANDBOX_DIR ?= $(CURDIR)/.sandbox
COLLECTION_LINK := $(CURDIR)/.cache/collections/ansible_collections/coder/ai_platform

# Everything below runs with the venv first on PATH (molecule shells out to ansible-config) and this ansible.cfg.
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export CODER_AI_SANDBOX_DIR := $(SANDBOX_DIR)

.PHONY: help venv system-packages demo sandbox-up sandbox-down test test-fast unit integration contract lint sanity molecule bench clean

help:
	@echo "make demo [SCENARIO=name]               run the pre-workshop gate against the local sandbox, one of:"
	@echo "    sept2024 (default)  the Sept 2024 incident: stale proxy mirrors and pods, too few provisioners, full disks"
	@echo "    healthy             everything in order: every check passes"
	@echo "    baseline_gaps       healthy, with data-protection gaps: unversioned state bucket, RDS key, open SSH"
	@echo "    stale_pods          mirrors current, but us-west-2's proxy pods still run the previous build"
	@echo "    platform_only       healthy Coder platform without the state backend and baseline (for molecule)"
	@echo "make test                                run every test (unit, sandbox integration, lint, sanity, molecule)"
	@echo "make test-fast                           the inner loop, under 2 min: unit tests (parallel) and ansible-lint"
	@echo "make sandbox-up SCENARIO=... / sandbox-down   start or stop the sandbox alone"
	@echo "make bench                               measure the gate, the capacity model and a 100-user rehearsal"

venv: $(VENV)/.installed $(COLLECTION_LINK)

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

# ansible finds this collection as coder.ai_platform through this link (see collections_path in ansible.cfg).
$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../../.. $@

system-packages:
	scripts/system-packages.sh

demo: venv
	scripts/demo.sh $(SCENARIO)

sandbox-up: venv
	$(BIN)/python tests/sandbox/launcher.py start --scenario $(SCENARIO) --state-dir $(SANDBOX_DIR)

sandbox-down: venv
	$(BIN)/python tests/sandbox/launcher.py stop --state-dir $(SANDBOX_DIR)

# pytest runs in PYTEST_WORKERS processes (pytest-xdist; each worker starts its own sandboxes, a file's tests stay
# in one worker, in order) and prints the 25 slowest tests; every test has a timeout (pytest.ini, conftest.py).
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist loadfile

test: venv system-packages
	PYTEST_WORKERS=$(PYTEST_WORKERS) scripts/test.sh

test-fast: venv
	PYTEST_WORKERS=$(PYTEST_WORKERS) scripts/test.sh --fast

unit: venv
	$(BIN)/python -m pytest tests/unit -q $(PYTEST_PARALLEL) --durations=10

integration: venv
	$(BIN)/python -m pytest tests/integration -q $(PYTEST_PARALLEL) --durations=25

lint: venv
	scripts/lint.sh

sanity: venv
	scripts/sanity.sh

bench: venv
	scripts/bench.sh

clean:
	-$(BIN)/python tests/sandbox/launcher.py stop --state-dir $(SANDBOX_DIR) 2>/dev/null
	rm -rf .cache reports tests/output .pytest_cache
