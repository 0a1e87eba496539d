# make test: set up everything on a fresh machine and pass all tests.
# make run:  set up everything and run the ledger on the embedded chain.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SOLC_VERSION := $(shell node -p "require('./package.json').dependencies.solc")

export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export SOLCX_BINARY_PATH := $(CURDIR)/.solcx

.PHONY: setup test test-contracts test-toolchain lint gas run compile clean

setup: $(VENV)/.installed node_modules/.installed .solcx/solc-v$(SOLC_VERSION)

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c requirements.lock -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

.solcx/solc-v$(SOLC_VERSION): scripts/toolchain/install_solc.py scripts/toolchain/solc_adapter.js node_modules/.installed $(VENV)/.installed
	$(PY) scripts/toolchain/install_solc.py

compile: setup
	ape compile

test: setup lint test-toolchain test-contracts gas

test-toolchain: setup
	$(PY) -m pytest -q -p no:ape_test tests/toolchain

test-contracts: setup
	ape test tests/contracts -q

lint: setup
	ruff check backend scripts tests

gas: setup
	ape run gas_report --network ethereum:local:foundry

run: setup
	$(PY) -m kpledger.localnet

clean:
	rm -rf .build contracts/.cache .solcx
