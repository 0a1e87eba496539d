# make test: set up everything on a fresh machine and pass all tests.
# make run:  set up everything and run the ledger on the embedded chain.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# the browser libraries of the viewer and the console, copied from node_modules (pinned in package-lock.json)
# into a gitignored folder that the API serves with the pages; deploy frontend-static/ after `make vendor`
VENDOR := frontend-static/vendor
VENDORED := node_modules/qrcode-generator/dist/qrcode.js node_modules/ethers/dist/ethers.min.js \
	node_modules/chart.js/dist/chart.umd.min.js
# the offline verifier's libraries (verify/vendor/, inside its service worker's scope so that its workers are served
# offline too): zxing-wasm's QR reader and its WebAssembly, pdf.js and its worker (to read a PDF's QR), ethers
VERIFY_VENDOR := frontend-static/verify/vendor
VERIFY_VENDORED := node_modules/zxing-wasm/dist/iife/reader/index.js node_modules/zxing-wasm/dist/reader/zxing_reader.wasm \
	node_modules/pdfjs-dist/build/pdf.min.mjs node_modules/pdfjs-dist/build/pdf.worker.min.mjs \
	node_modules/ethers/dist/ethers.min.js
# Swagger UI for the API's /docs (served from vendor/swagger-ui/: no CDN, works offline)
SWAGGER_UI := swagger-ui-bundle.js swagger-ui.css favicon-32x32.png
SOLC_VERSION := $(shell node -p "require('./package.json').dependencies.solc")

export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export SOLCX_BINARY_PATH := $(CURDIR)/.solcx
# MkDocs' own banner about its future (a notice, not a finding of the build)
export NO_MKDOCS_2_WARNING := 1


.PHONY: vendor console-actions selectors browser setup test test-contracts test-toolchain test-backend test-networks lint docs gas run demo compile clean bench bench-full soak

setup: $(VENV)/.installed node_modules/.installed .solcx/solc-v$(SOLC_VERSION) $(VENDOR)/.copied

vendor: $(VENDOR)/.copied

$(VENDOR)/.copied: node_modules/.installed Makefile
	@mkdir -p $(VENDOR)/swagger-ui
	@cp $(VENDORED) $(VENDOR)/
	@cp $(addprefix node_modules/swagger-ui-dist/,$(SWAGGER_UI)) $(VENDOR)/swagger-ui/
	@mkdir -p $(VERIFY_VENDOR)
	@cp $(VERIFY_VENDORED) $(VERIFY_VENDOR)/
	@mv $(VERIFY_VENDOR)/index.js $(VERIFY_VENDOR)/zxing-reader.js
	@touch $@

# the console's pinned copy of the action table (committed; test_console.py fails while it is stale)
console-actions: $(VENV)/.installed
	@$(PY) scripts/console_actions.py

# the viewer's pinned selectors and status names, from the build (committed; test_selectors.py fails while stale)
selectors: compile
	@$(PY) scripts/chain_selectors.py

# Debian's Chromium for the viewer's browser tests (Playwright cannot download its own browser here)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "install Debian's chromium package (apt-get install chromium) for the browser tests"; exit 1; fi; }

# installs say one line each; pip -qq and npm --loglevel=error still print every error (and why)
$(VENV)/.installed: pyproject.toml requirements.lock
	@echo "installing the Python packages into $(VENV)/ (a minute or two the first time) ..."
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -qq --upgrade pip
	@$(PY) -m pip install -qq -c requirements.lock -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	@echo "installing the npm packages into node_modules/ ..."
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

.solcx/solc-v$(SOLC_VERSION): scripts/toolchain/install_solc.py scripts/toolchain/solc_adapter.js node_modules/.installed $(VENV)/.installed
	@$(PY) scripts/toolchain/install_solc.py

compile: setup
	@ape compile -v WARNING

test: setup lint test-toolchain test-contracts gas test-backend test-networks

# (the documentation site's search is tried in Chromium from the file system)
test-toolchain: setup browser
	$(PY) -m pytest -q -p no:ape_test tests/toolchain

test-contracts: setup
	ape test tests/contracts -q

test-backend: setup compile browser
	$(PY) -m pytest -q -p no:ape_test tests --ignore=tests/contracts --ignore=tests/toolchain

# the relay, index and read tests again on what a production network does differently: a second EVM and JSON-RPC
# implementation (Hardhat's node, EDR) and a block every second whatever the load (QBFT's block period)
NETWORK_TESTS = tests/relay/test_writes.py tests/api/test_reads.py tests/relay/test_fees.py \
  tests/relay/test_fee_bump.py tests/relay/test_resend.py tests/relay/test_backends.py tests/indexer/test_follower.py
test-networks: setup compile
	KP_TEST_NODE=hardhat $(PY) -m pytest -q -p no:ape_test $(NETWORK_TESTS)
	# (the concurrent-signers test asserts batching, which needs its 13 requests within the batcher's 1 ms linger)
	KP_TEST_BLOCK_TIME=1 $(PY) -m pytest -q -p no:ape_test tests/relay/test_writes.py tests/relay/test_backends.py \
	  tests/e2e -k "not concurrent_duplicates_and_concurrent_signers"

# Slither on exactly what ape compiles (standard-JSON input from ape-config.yaml, the npm solc); fails on any
# finding of medium or higher impact that is not triaged (`// slither-disable-next-line <detector>` + reason);
# then the documentation: the site built with --strict (never --quiet: it silences the warnings --strict counts, so
# a broken link would pass) and scripts/check_docs.py (links, anchors and repository paths in the Markdown files)
lint: setup
	ruff check backend scripts tests bench docs
	mypy
	eslint -c scripts/eslint.config.mjs frontend-static
	$(PY) scripts/solc_input.py .build/solc-input.json
	slither .build/solc-input.json --compile-force-framework Solc-json --solc .solcx/solc-v$(SOLC_VERSION) \
	  --filter-paths "node_modules|contracts/test/" --fail-medium
	mkdocs build --strict -f docs/mkdocs.yml -d $(CURDIR)/.build/docs-site
	$(PY) scripts/check_docs.py

# the documentation site (docs/mkdocs.yml, pages in docs/pages/), built into docs/site/: it opens from the file system
docs: setup
	@mkdocs build --strict -f docs/mkdocs.yml
	@echo "the documentation site is in docs/site/: open docs/site/index.html (search works offline, from the file system)"

gas: setup
	ape run gas_report --network ethereum:local:foundry

# benchmarks: printed figures next to ceilings measured in the same run (not timed tests)
bench: setup compile
	$(PY) -m bench

bench-full: setup compile
	$(PY) -m bench --full

# soak: the stack under a realistic mix for SOAK_MINUTES (default an hour), read every minute, with a verdict
SOAK_MINUTES ?= 60
soak: setup compile
	$(PY) -m bench --only soak --soak-minutes $(SOAK_MINUTES)

DATA ?= $(CURDIR)/data
PORT ?= 8000
CHAIN_PORT ?= 8545
# BLOCK_TIME=2: the embedded chain mines a block every 2 s (as a QBFT network does) instead of one per transaction
BLOCK_TIME ?=
RUN_ARGS = --data $(DATA) --port $(PORT) --chain-port $(CHAIN_PORT) $(if $(BLOCK_TIME),--block-time $(BLOCK_TIME))

run: setup compile
	@$(PY) -m kpledger.dev run $(RUN_ARGS)

demo: setup compile
	@$(PY) -m kpledger.dev run $(RUN_ARGS) --demo

clean:
	rm -rf .build contracts/.cache .solcx
