# The two commands a new user needs: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: setup run index test test-fast lint typecheck pytest bench load corpus clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# pip's errors only: its warnings are about the machine's own package sources, not about this project
	$(BIN)/pip install --quiet --quiet --upgrade pip
	# The CPU build of torch first: anything else pulls gigabytes of CUDA.
	$(BIN)/pip install --quiet --quiet torch==2.13.0
	$(BIN)/pip install --quiet --quiet -e '.[test]'
	touch $(STAMP)

# Serve the app on http://127.0.0.1:7860 at once; it indexes new and changed documents in the background.
run: setup
	$(BIN)/python app.py

# Index from the command line (only new and changed documents), without the app.
index: setup
	$(BIN)/qa index

lint: setup
	$(BIN)/ruff check qa tests tools benchmarks app.py
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy

pytest: setup
	$(BIN)/pytest -q

test: lint typecheck pytest

# The edit-test loop: every test that needs no real encoder and is not slow, on every core (about a
# minute on an idle 2-core machine); make test runs them all, one at a time.
test-fast: setup
	$(BIN)/pytest -q -n auto -m "not encoder and not slow"

bench: setup
	$(BIN)/python -m benchmarks.run

# 20 users x 10 questions against the app on loopback while a re-index runs (not part of make test).
load: setup
	$(BIN)/python -m benchmarks.load

# Regenerate the fictional sample study from tools/sample_corpus/sources (developers only).
corpus: setup
	$(BIN)/python tools/sample_corpus/build.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
