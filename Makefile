# patchpilot: one named command per chore.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEVSTAMP := $(VENV)/.installed-dev-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_WORKERS ?= 2

.PHONY: up test test-quick lint eval bench install install-dev clean ui-models browser

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv

$(STAMP): pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e .
	touch $@

$(DEVSTAMP): pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $@ $(STAMP)

install: $(STAMP)
install-dev: $(DEVSTAMP)

## browser: Debian's chromium for the UI tests, installed when missing and this user can (.ci/browser)
browser:
	@bash .ci/browser

## up: start the whole local stack with demo data and print the URLs (Ctrl-C stops it)
up: $(STAMP)
	$(BIN)/patchpilot up

## test: the full suite (unit, integration, e2e, lint)
test: $(DEVSTAMP) browser
	$(MAKE) --no-print-directory lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup; status=$$?; $(BIN)/python -m tests.services stop; exit $$status

## test-quick: everything but the slow tier
test-quick: $(DEVSTAMP) browser
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not slow"; status=$$?; $(BIN)/python -m tests.services stop; exit $$status

lint: $(DEVSTAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy core kb workers tools agent api cli evals ui bench

eval: $(STAMP)
	$(BIN)/patchpilot eval failures --cases evals/logs
	$(BIN)/patchpilot eval intents --cases evals/intents.jsonl

bench: $(DEVSTAMP)
	$(BIN)/patchpilot bench

## ui-models: regenerate ui/api_models.py from the API's OpenAPI document (a unit test fails when it is stale)
ui-models: $(STAMP)
	$(BIN)/patchpilot gen-ui-models

clean:
	rm -rf $(VENV) .patchpilot test-artifacts
