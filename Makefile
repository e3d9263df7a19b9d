# Every target builds .venv on first use: a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install test lint format bench train sweep ui dashboard trials report findings atlas clean server bench-load docs

# The main job: the default sweep (Adam on moons), two local workers, embedded stores here.
WORKERS ?= 2

install: $(STAMP)

# PyTorch's CPU build (the tests' independent reference and Optuna's GP sampler): pinned to
# the release whose CPU wheel pip finds locally; a bare `torch` would fetch a CUDA build of GBs.
TORCH := torch==2.13.0

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet '$(TORCH)'
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# loadgroup: tests marked xdist_group("name") share one worker, so a module's expensive fixture
# (a sweep, a server) is built once; unmarked tests spread as before
test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadgroup -q --durations=15

# ruff, and the layers of pyproject.toml's [tool.importlinter] (no cycle, data flows one way)
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	$(PY) bench/core_bench.py
	$(PY) bench/population_bench.py
	$(PY) bench/sweep_bench.py
	$(PY) bench/population_sweep_bench.py
	$(PY) bench/tracking_bench.py

# 8 workers, 400 short trials on the PostgreSQL at 127.0.0.1:5432, with and without a server.
bench-load: $(STAMP)
	$(PY) bench/load_bench.py --workers 8 --trials 400

train: $(STAMP)
	$(VENV)/bin/optsweep train --data moons --layers 5,2 --optimizer adam --alpha 0.0007 --batch-size 64 --epochs 2000

sweep: $(STAMP)
	$(VENV)/bin/optsweep sweep sweeps/default.toml --workers $(WORKERS)

ui: $(STAMP)
	$(VENV)/bin/optsweep ui

# An MLflow tracking server on 127.0.0.1:$(PORT) over mlflow.db here, for workers on any machine
# (docs/distributed.md); MLFLOW_BACKEND_STORE_URI=postgresql://... make server for PostgreSQL.
PORT ?= 5000
server: $(STAMP)
	$(VENV)/bin/optsweep server --port $(PORT)

# optuna-dashboard on the same study (STUDY=name for another one), http://127.0.0.1:8080
STUDY ?= default
dashboard: $(STAMP)
	$(VENV)/bin/optsweep dashboard $(STUDY)

trials: $(STAMP)
	$(VENV)/bin/optsweep trials default

# The defaults report of a study (default: the one `make sweep` runs), 5 seeds.
STUDY ?= default
report: $(STAMP)
	$(VENV)/bin/optsweep report $(STUDY) --workers $(WORKERS)

# The course note's claims, tested: findings/*.toml into findings-store/ (reused; delete it
# to start over), re-training over 20 seeds (as populations: ~10 minutes in all on 2 cores; 5
# seeds took 6 and left more verdicts undecided), then docs/findings.md and docs/findings/*.png.
FINDINGS_SEEDS ?= 20
findings: $(STAMP)
	$(VENV)/bin/optsweep findings --store findings-store --out docs/findings.md --workers $(WORKERS) --seeds $(FINDINGS_SEEDS)

# The defaults atlas (sweeps/atlas.toml): per task x optimizer a sweep and its defaults report
# into atlas-store/ (reused cell by cell; delete it to start over), then docs/atlas.md, its
# heatmap and the cells' reports in docs/atlas/, and an MLflow atlas run.
atlas: $(STAMP)
	$(VENV)/bin/optsweep atlas sweeps/atlas.toml --store atlas-store --out docs/atlas.md --workers $(WORKERS)

# docs/cli.md from the Typer app (tests/cli/test_cli_docs.py fails when it is stale)
docs: $(STAMP)
	$(VENV)/bin/typer optsweep.cli utils docs --name optsweep --title "optsweep command line" --output docs/cli.md

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
