# autotariffs — the whole pipeline as a DAG of real file targets.
#
#   make            set up the pinned environment if needed, then run every notebook (papermill)
#   make test       ruff + pytest (unit, reproduction, browser, Jupyter) + nbval over notebooks/
#
# Every step runs with AUTOTARIFFS_ROOT = this Makefile's folder, so a copied or moved project
# writes only into itself; .venv records the folder it was built for and is rebuilt when moved.
# Only the runner (autotariffs run) writes data/processed and reports; a notebook run
# in JupyterLab writes to scratch/ (see autotariffs.paths).
#
# Reading top to bottom: environment -> raw-data check -> 01 data and 02 tariffs (independent)
# -> 03 descriptives, 04 estimates (one run per origin's params file) and 05 robustness (each builds the panel with
# autotariffs.panel from 01's and 02's outputs) -> 06 report. Each notebook run is one recipe that
# writes every output atomically, and a failed or interrupted step puts its previous outputs back
# (the runner's journal), so they are .PRECIOUS to make; .DELETE_ON_ERROR covers the other steps.

# the project root is where this Makefile is, whatever the current directory or the editable install
ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
export AUTOTARIFFS_ROOT := $(ROOT)

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := all
MAKEFLAGS += --no-builtin-rules --no-print-directory
# Two jobs by default (the reference machine has 2 cores): 01 beside 02, then 03, 04 (each origin),
# 05 and the validation step two at a time. Lines of parallel steps are kept whole.
# (`make lab` runs JupyterLab in the foreground: no output sync, or make would hold back its log,
# the URL with its token included, until the server exits)
ifeq ($(MAKELEVEL),0)
ifeq ($(filter lab,$(MAKECMDGOALS)),)
MAKEFLAGS += -j2 --output-sync=line
endif
endif

# One BLAS thread per process: on 2 cores, threaded BLAS in small regressions only adds contention
# (the test suite runs ~7x slower without this); fixed hash seed for byte-stable outputs.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export PYTHONHASHSEED := 0

PYTHON_BOOT ?= $(shell command -v python3.11 || command -v python3)
VENV    := .venv
PY      := $(VENV)/bin/python
ENV     := $(VENV)/.installed
VENV_AT := $(VENV)/.project-root
# the venv's Jupyter configuration (see the environment section)
JUPYTER_CFG := $(VENV)/etc/jupyter/jupyter_config.json
KERNEL  := autotariffs
# the `autotariffs` command (src/autotariffs/cli.py) of this venv; `$(PY) -m` so that PY=... overrides it
CLI     := $(PY) -m autotariffs
RUN     := $(CLI) run --kernel $(KERNEL)

NB      := notebooks
PAR     := notebooks/params
EXE     := reports/notebooks
PROC    := data/processed
RES     := reports/results

# ---- source prerequisites: computed from the imports, not kept by hand ---------------------------
# Each step depends on every source file it runs: the import closure (imports inside functions
# included) of its notebook's code cells or its subcommand, plus the runner Make calls (`autotariffs
# run`: cli, run, config and what they import), plus data files such as report/templates/.
# scripts/make_deps.py (stdlib ast) writes them as DEPS_<step> into $(DEPS_MK) (git-ignored); Make
# rewrites that file when a module, a source folder, a notebook or the script changes and then
# reads it again, so editing design.py reruns exactly the steps whose code imports it.
S       := src/autotariffs
# (absolute, so that `make -f <project>/Makefile` from another folder finds them too)
DEPS_MK := $(ROOT)/.make/deps.mk
# every folder below $(1) but __pycache__ (pure make, no shell: a no-op make stays fast)
subdirs  = $(foreach d,$(patsubst %/.,%,$(wildcard $(1)/*/.)),$(if $(filter __pycache__,$(notdir $(d))),,$(d) $(call subdirs,$(d))))
SRC_DIRS := $(ROOT)/$(S) $(call subdirs,$(ROOT)/$(S))
SRC_PY   := $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.py))

# (a folder's time stamp changes when a file in it is added, removed or renamed)
$(DEPS_MK): $(ROOT)/scripts/make_deps.py $(SRC_PY) $(SRC_DIRS) $(wildcard $(ROOT)/$(NB)/*.ipynb)
	@$(PYTHON_BOOT) $(ROOT)/scripts/make_deps.py $@

include $(DEPS_MK)

RAW_FILES   := $(shell find data/raw -type f ! -path 'data/raw/fetched/*' | LC_ALL=C sort)
EXT_FILES   := $(shell find data/external -type f | LC_ALL=C sort)

# ---- outputs -------------------------------------------------------------------------------------
DATA_OUT    := $(PROC)/flows.parquet $(PROC)/fx_monthly.parquet $(PROC)/macro_monthly.parquet \
               $(PROC)/coverage.csv $(PROC)/reconciliation.csv $(RES)/01_build_data.json
TARIFF_OUT  := $(PROC)/tariffs_monthly.parquet $(RES)/02_tariff_schedule.json
PANEL_OUT   := $(PROC)/panel.parquet $(RES)/03_descriptives.json
# one run of 04 per params file: adding an origin is adding notebooks/params/04_estimates_<O>.yaml
comma := ,
empty :=
space := $(empty) $(empty)
ORIGINS     := $(patsubst $(PAR)/04_estimates_%.yaml,%,$(sort $(wildcard $(PAR)/04_estimates_*.yaml)))
EST_NB      := $(foreach o,$(ORIGINS),$(EXE)/04_estimates_$(o).ipynb)
EST_RES     := $(foreach o,$(ORIGINS),$(RES)/04_estimates_$(o).json)
ROB_OUT     := $(RES)/05_robustness.json
REPORT_OUT  := reports/index.html reports/results.json reports/figures/registry.csv \
               reports/findings.json reports/findings.md
# a notebook step (autotariffs run) keeps its previous outputs together when it fails: make must not
# delete one of them (.DELETE_ON_ERROR would, leaving e.g. a notebook without its results)
.PRECIOUS: $(EXE)/%.ipynb $(DATA_OUT) $(TARIFF_OUT) $(PANEL_OUT) $(EST_RES) $(ROB_OUT) $(REPORT_OUT)

.PHONY: validation all help env data tariffs descriptives estimates robustness figures report test test-unit \
        test-nbval lint lab fetch clean notebooks-refresh notebooks-sync verify verify-quick bench lock check-raw \
        rehash-raw venv-moved readme mutation

all: report | $(JUPYTER_CFG) ## Run the whole analysis (default): data -> tariffs -> descriptives -> estimates -> robustness -> report

help: ## List the targets
	@awk -v origins="$(subst $(space),$(comma)$(space),$(ORIGINS))" 'BEGIN{FS=":.*## "} /^[a-zA-Z_-]+:.*## /{gsub(/[{]origins[}]/, origins, $$2); printf "  \033[1m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# ---- environment: .venv from the lock, with a named Jupyter kernel -------------------------------
env: $(ENV) $(JUPYTER_CFG) ## Create/refresh .venv from requirements.lock and register the 'autotariffs' kernel

# A venv is tied to its folder (editable install, kernel spec, script shebangs): one built for
# another folder (project copied or moved) is rebuilt here.
ifneq ($(wildcard $(ENV)),)
ifneq ($(file < $(VENV_AT)),$(ROOT))
$(ENV): venv-moved
venv-moved:
	@echo "[env ] $(VENV) was built for '$(file < $(VENV_AT))', not $(ROOT): rebuilding it"
endif
endif

$(ENV): requirements.lock pyproject.toml
	@echo "[env ] creating $(VENV) from requirements.lock with $(PYTHON_BOOT)"
	@$(PYTHON_BOOT) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 required, found {sys.version.split()[0]} at {sys.executable}; set PYTHON_BOOT=/path/to/python3.11"'
	@rm -rf $(VENV)
	@$(PYTHON_BOOT) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (autotariffs)" >/dev/null
	@printf '%s\n' "$(ROOT)" > $(VENV_AT)
	@touch $@

# The venv's Jupyter apps (jupyter lab, jupyter nbconvert) start kernels with CurveZMQ keys: the
# kernel spec declares Curve support, but jupyter_client provisions none by default, so ipykernel
# warns "Kernel is running over TCP without encryption" on every start. nbconvert's kernels are
# shut down without an interrupt when idle (no "KeyboardInterrupt caught in kernel"; see
# autotariffs.run.QuietShutdownKernelManager). (The runner uses IPC sockets and that manager.)
$(JUPYTER_CFG): $(ENV)
	@mkdir -p $(@D)
	@printf '%s\n' '{' \
	  '  "KernelManager": {"transport_encryption": "auto"},' \
	  '  "MappingKernelManager": {"transport_encryption": "auto"},' \
	  '  "NotebookClient": {"kernel_manager_class": "autotariffs.run.QuietShutdownKernelManager"}' \
	  '}' > $@

lock: ## Regenerate requirements.lock and environment.yml from pyproject.toml (needs network)
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock
	$(PY) scripts/write_environment_yml.py requirements.lock environment.yml

# ---- raw data: verified before anything reads it --------------------------------------------------
RAW_OK := $(PROC)/.raw-verified

check-raw: ## Verify data/raw against data/raw/SHA256SUMS
	@$(CLI) raw verify

# verified once before 01 and 02 (which both read data/raw): a mismatch prints one line, once
$(RAW_OK): $(RAW_FILES) $(DEPS_raw_verify) | $(ENV)
	@$(CLI) raw verify
	@mkdir -p $(@D) && touch $@

rehash-raw: ## Record a deliberate raw-file change: make rehash-raw FILE=data/raw/<dir>/<file> REASON='...'
	@if [ -z "$(FILE)" ]; then \
	  echo "[fail] rehash-raw: give FILE=data/raw/<folder>/<file> REASON='why it changed'" >&2; exit 2; fi
	@$(CLI) raw rehash "$(FILE)" --reason "$(REASON)" --date "$$(date -u +%F)"

# ---- 01 data --------------------------------------------------------------------------------------
data: $(EXE)/01_build_data.ipynb ## Build flows, FX, coverage and reconciliation from data/raw

$(EXE)/01_build_data.ipynb $(DATA_OUT) &: $(NB)/01_build_data.ipynb $(PAR)/01_build_data.yaml \
		$(DEPS_01_build_data) $(RAW_FILES) requirements.lock | $(ENV) $(RAW_OK)
	@$(RUN) $< $(PAR)/01_build_data.yaml $(EXE)/01_build_data.ipynb

# ---- 02 tariffs -----------------------------------------------------------------------------------
tariffs: $(EXE)/02_tariff_schedule.ipynb ## Build the monthly tariff schedule and effective rates

# (the statutory schedule needs only the event table, not 01's flows: -j2 runs 01 and 02 together)
$(EXE)/02_tariff_schedule.ipynb $(TARIFF_OUT) &: $(NB)/02_tariff_schedule.ipynb \
		$(PAR)/02_tariff_schedule.yaml $(DEPS_02_tariff_schedule) $(RAW_FILES) requirements.lock | $(ENV) $(RAW_OK)
	@$(RUN) $< $(PAR)/02_tariff_schedule.yaml $(EXE)/02_tariff_schedule.ipynb

# ---- 03 descriptives ------------------------------------------------------------------------------
descriptives: $(EXE)/03_descriptives.ipynb ## Analysis panel and descriptive figures

$(EXE)/03_descriptives.ipynb $(PANEL_OUT) &: $(NB)/03_descriptives.ipynb \
		$(PAR)/03_descriptives.yaml $(DEPS_03_descriptives) $(DATA_OUT) $(TARIFF_OUT) requirements.lock | $(ENV)
	@$(RUN) $< $(PAR)/03_descriptives.yaml $(EXE)/03_descriptives.ipynb

# ---- 04 estimates: one notebook, one run per params file -------------------------------------------
estimates: $(EST_NB) ## Elasticity, pass-through, event study for each origin with a params file ({origins})

# (04 and 05 build their panel with panel.py from flows, tariffs and FX, so they run beside 03)
$(EXE)/04_estimates_%.ipynb $(RES)/04_estimates_%.json &: $(NB)/04_estimates.ipynb \
		$(PAR)/04_estimates_%.yaml $(DEPS_04_estimates) $(DATA_OUT) $(TARIFF_OUT) requirements.lock | $(ENV)
	@$(RUN) $< $(PAR)/04_estimates_$*.yaml $(EXE)/04_estimates_$*.ipynb

# ---- 05 robustness --------------------------------------------------------------------------------
robustness: $(EXE)/05_robustness.ipynb ## Placebos, leave-one-out, content share, PPML, windows

$(EXE)/05_robustness.ipynb $(ROB_OUT) &: $(NB)/05_robustness.ipynb $(PAR)/05_robustness.yaml \
		$(DEPS_05_robustness) $(DATA_OUT) $(TARIFF_OUT) requirements.lock | $(ENV)
	@$(RUN) $< $(PAR)/05_robustness.yaml $(EXE)/05_robustness.ipynb

figures: $(EXE)/02_tariff_schedule.ipynb $(EXE)/03_descriptives.ipynb $(EST_NB) $(EXE)/05_robustness.ipynb ## Every figure (reports/figures/)

# ---- validation: published tables reproduced with our estimators (independent of 01-05) ------------
validation: $(PROC)/validation.csv ## Reproduce Yotov et al. (2016) and Santos Silva-Tenreyro (2006) tables

# (the raw-data check is an order-only prerequisite for scheduling alone: while it runs, -j2 would
# otherwise give its second slot to this step, which nothing but 06 waits for, and 02 would then
# wait for 01 to end; after it, 01 and 02 start side by side and this step fills a free slot later)
$(PROC)/validation.csv: $(DEPS_replicate) $(EXT_FILES) requirements.lock | $(ENV) $(RAW_OK)
	@$(CLI) replicate $@

# ---- 06 report ------------------------------------------------------------------------------------
report: reports/index.html ## HTML report, results.json and figure registry

# (03 and 05, the longest steps, are listed first so that -j2 starts them first)
$(EXE)/06_report.ipynb $(REPORT_OUT) &: $(NB)/06_report.ipynb $(PAR)/06_report.yaml $(DEPS_06_report) \
		$(RES)/01_build_data.json $(TARIFF_OUT) $(PANEL_OUT) $(ROB_OUT) $(EST_RES) $(PROC)/validation.csv \
		requirements.lock | $(ENV)
	@$(RUN) $< $(PAR)/06_report.yaml $(EXE)/06_report.ipynb

# ---- checks -----------------------------------------------------------------------------------------
NBVAL_OPTS := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
              -p no:cacheprovider -c pyproject.toml
# pytest on three workers for two cores (pytest-xdist): about a sixth of a worker's time is spent
# waiting (for a kernel's handshake, a server's idle exit, a Jupyter server's start), and a third
# worker runs in those gaps (make test, back to back on 2 cores: 206 s with 2 workers, 195 s with
# 3). --dist loadfile keeps each test module on one worker, so a module-scoped fixture (Yotov's 11
# fits, the fault pipeline's clean build, ...) is computed once; the run's shared project build
# (tests/project/conftest.py) is built once across workers (a lock).
PYTEST_N    ?= 3
PYTEST_OPTS := -n $(PYTEST_N) --dist loadfile

# After ruff, the three phases run side by side, two at a time (the jobserver's -j2): pytest (itself
# on both cores) beside nbval, then the quick determinism check when a slot frees. Each phase's
# output is printed whole when it ends. validation.csv (nbval's input) is made first, so that no
# phase rebuilds part of the build while pytest reads it.
test: $(ENV) ## ruff + pytest (unit, reproduction, browser, Jupyter) + nbval + quick determinism check
	$(PY) -m ruff check src tests scripts
	@$(MAKE) -q $(PROC)/validation.csv || $(MAKE) $(PROC)/validation.csv
	@echo "[test] pytest -n $(PYTEST_N), nbval and verify-quick side by side (each prints when it ends)"
	@$(MAKE) --output-sync=target test-unit test-nbval verify-quick

test-unit: $(ENV) ## pytest only (no nbval), on PYTEST_N workers (default 3)
	$(PY) -m pytest -q $(PYTEST_OPTS) tests

# nbval over notebooks/ (each with its own defaults), then over every other run of a notebook (04
# for JPN: scripts/nbval_variants.py writes the source notebook with that run's params and its
# checked outputs as stored by notebooks-refresh); in order, in one temp output root (03-06 read
# what 01 and 02 wrote there)
test-nbval: $(PROC)/validation.csv | $(ENV) ## Execute every notebook in notebooks/ and every other 04 run under nbval (outputs go to a temp dir)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  mkdir -p $$tmp/data/processed && cp $(PROC)/validation.csv $$tmp/data/processed/ && \
	  $(PY) scripts/nbval_variants.py write $$tmp/variants >/dev/null && \
	  AUTOTARIFFS_OUTPUT_ROOT=$$tmp $(PY) -m pytest -q $(NBVAL_OPTS) $(NB) $$tmp/variants

lint: $(ENV) ## ruff
	$(PY) -m ruff check src tests scripts

# LAB_ARGS passes options through, e.g. make lab LAB_ARGS="--port=8899 --no-browser"; as root
# (containers) --allow-root is added. JupyterLab opens at the project root, in notebooks/; its log
# streams to the terminal (the URL with its token included). Notebooks run there write to
# scratch/ (created here so that it can be browsed), never to the build.
LAB_ARGS ?=
lab: $(ENV) | $(JUPYTER_CFG) ## JupyterLab at the project root (notebooks/, scratch/), project kernel; prints its URL (LAB_ARGS="--port=N --no-browser")
	@mkdir -p scratch
	@echo "[lab ] JupyterLab on $(ROOT): sources in notebooks/, interactive runs write to scratch/; open the URL with ?token= below (Ctrl-C stops it)"
	@exec $(PY) -m jupyterlab --ServerApp.root_dir=$(ROOT) --ServerApp.default_url=/lab/tree/$(NB) \
	  --MappingKernelManager.default_kernel_name=$(KERNEL) \
	  $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

fetch: $(ENV) ## Opt-in live refresh into data/raw/fetched/ (Census, Comtrade, FRED; network needed)
	$(CLI) fetch --out data/raw/fetched

readme: reports/index.html ## Write the generated findings (reports/findings.md), output lists and runtimes (reports/benchmarks/) into README.md
	@$(CLI) readme

notebooks-refresh: all ## Re-execute notebooks and store their checked outputs in notebooks/ (other 04 runs: tests/nbval_variants/)
	@for nb in 01_build_data 02_tariff_schedule 03_descriptives 04_estimates_KOR:04_estimates 05_robustness 06_report; do \
	  src=$${nb#*:}; exe=$${nb%%:*}; \
	  $(CLI) refresh-notebook $(EXE)/$$exe.ipynb $(NB)/$$src.ipynb; \
	done
	@$(PY) scripts/nbval_variants.py store

# notebooks/*.ipynb are the source (edit them in `make lab`: with jupytext installed, JupyterLab
# saves the paired percent script notebooks/*.py too); tests/project/test_notebook_pairs.py checks the pairs
notebooks-sync: $(ENV) ## After editing notebooks/*.py (or *.ipynb) outside JupyterLab: update the other side of each pair
	$(PY) -m jupytext --sync $(NB)/*.ipynb

verify: $(ENV) ## Build from clean twice in temp copies and compare SHA-256 of every output
	$(PY) scripts/verify.py --runs 2

verify-quick: $(ENV) ## Run 01-02 twice into temp output roots and compare every output byte for byte
	$(PY) scripts/verify.py --quick

# BENCH_ARGS passes options through, e.g. make bench BENCH_ARGS="--only make --runs 1"
BENCH_ARGS ?=
bench: $(ENV) ## Benchmarks: clean/no-op make with a per-step profile, make test, estimators vs pyfixest (reports/benchmarks/; make readme quotes them)
	$(PY) scripts/bench.py $(BENCH_ARGS)

# mutmut over the modules behind published numbers ([tool.mutmut] in pyproject.toml), after a build
# (some selected tests read it); MUTATION_ARGS passes options on, e.g. "--only narrative --retest"
mutation: $(ENV) reports/index.html ## Mutation testing of the modules behind published numbers (reports/benchmarks/mutation.json; not part of make test)
	$(PY) scripts/mutation.py $(MUTATION_ARGS)

clean: ## Remove generated files (never touches data/raw/)
	rm -rf $(PROC)/* $(RAW_OK) reports/notebooks reports/figures reports/tables reports/results \
	  reports/index.html reports/results.json reports/screenshots
	@echo "[clean] generated files removed; data/raw untouched"

# ---- PDF versions of the figures: on demand, off the build's critical path ------------------------
# `make` saves each figure as a PNG sized for the report; `make pdf` re-runs the steps that draw
# figures (every step that reads figures/__init__.py, taken as changed with -W) with
# AUTOTARIFFS_FIGURE_PDF=1 so that autotariffs.figures.save also writes <id>.pdf, and the report
# links them. A later rebuild of a figure without the variable removes its PDF (it would be stale).
.PHONY: pdf
pdf: all ## Also write every figure as a vector PDF (re-runs the figure steps and the report)
	AUTOTARIFFS_FIGURE_PDF=1 $(MAKE) -W $(SRC_FIG) report
