# Two commands matter: `make run` (set up, generate the bundled sample, run the whole chain
# through Airflow) and `make test`. Both create .venv when it is missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE_SEED ?= 20261122
SAMPLE_CHILDREN ?= 2000
SAMPLE_YEARS ?= 5
# The sample service's own counting rule (kpis.md: configurable): its KPI 2 split by school age
# moves by more than the default 50% from Q1 to Q2 (the academic year turns at the end of June),
# which would keep the bundled return DRAFT on a warning. A setting of the service, not code.
run: export YJ_KPI_RULES ?= {"change_warning": 1.0}

.PHONY: setup run test test-corpus test-fast bench sample clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c constraints.txt -e ".[dev]"
	touch $(STAMP)

sample: $(STAMP)
	test -f var/landing/.complete || ( $(BIN)/yj sample --out var --children $(SAMPLE_CHILDREN) --years $(SAMPLE_YEARS) --seed $(SAMPLE_SEED) && touch var/landing/.complete )

run: sample
	$(BIN)/yj run --landing var/landing --out var/output

# Every test, the independent corpus of malformed deliveries (tests/corpus/) included, on every
# core (pytest-xdist; a test file stays on one worker, so its module fixtures are built once).
# TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

# The corpus alone: every case through the real loads.
test-corpus: $(STAMP)
	$(BIN)/python -m pytest -q -m corpus

# The inner loop: no DAG runs, no database servers, no corpus (about a minute).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile -m "not integration and not corpus and not celery"

bench: $(STAMP)
	$(BIN)/python -m benchmarks.chain
	$(BIN)/python -m benchmarks.chain --children 100000
	$(BIN)/python -m benchmarks.partnership
	$(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.custody_latency
	$(BIN)/python -m benchmarks.matching --county
	$(BIN)/python -m benchmarks.marts
	$(BIN)/python -m benchmarks.ingest
	$(BIN)/python -m benchmarks.memory --children 100000

clean:
	rm -rf var .airflow
