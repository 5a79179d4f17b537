# Build and test the executable companion book.
#
#   make book       build the HTML book (strict: warnings are errors) -> _build/html/index.html
#   make test       lint, unit tests, strict build (runs every chapter), broken-formula tests,
#                   browser test of every page, the chapters run in JupyterLab
#   make bench      run the benchmarks;  make bench-ui  slider redraw times in JupyterLab
#   make pdf        the book as PDF (and an instructors' PDF with the solutions) -> _build/pdf/
#   make clean      remove build output;  make distclean  also removes .venv

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := book
.DELETE_ON_ERROR:

PYTHON   ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium
HTML     := _build/html

# Kernel "python3" must resolve to the venv interpreter, not to a user-level kernelspec.
export JUPYTER_PREFER_ENV_PATH := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export CHROMIUM

LINT_DIRS := $(wildcard ssdlib tests benchmarks tools)

.PHONY: book test env lint unit chapters flips browser lab chromium poppler pdf pdf-test bench bench-ui mutation clean distclean

## Environment: created once; reinstalled only when requirements.txt or pyproject.toml change.
env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || { echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	$(BIN)/python -m pip install --disable-pip-version-check -q -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ssd-book)"
	@echo "Compiling the flow integrator once (numba, cached on disk)"
	$(BIN)/python -c "import ssdlib; ssdlib.simulate(ssdlib.Problem.random_blocks([2], 0), 0.1, 0.01)"
	@touch $@

## The book: executed with a cache (_build/.jupyter_cache), strict, nitpicky.
book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo
	@echo "Book: $(CURDIR)/$(HTML)/index.html"
	@echo "Serve it with: python3 -m http.server -d $(HTML)"

## Full test suite.
# The strict book build executes every chapter once (a failing cell or a flipped check fails
# it); `flips` then breaks formulas on purpose and checks that the chapters testing them fail.
# `make chapters` runs every chapter on a fresh kernel outside the book build.
test: $(STAMP) chromium
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory book
	@$(MAKE) --no-print-directory flips
	@$(MAKE) --no-print-directory browser
	@$(MAKE) --no-print-directory lab
	@echo "All tests passed."

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_DIRS)

# Exit status 5 means "no tests collected" (no unit tests exist yet); anything else non-zero fails.
unit: $(STAMP)
	@rc=0; $(BIN)/python -m pytest -m "not book and not browser and not pdf" || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "No unit tests collected."; rc=0; fi; exit $$rc

chapters: $(STAMP)
	$(BIN)/python -m pytest -m book tests/test_chapters.py

flips: $(STAMP)
	$(BIN)/python -m pytest -m book tests/test_chapters.py -k "broken or toc or kernel"

browser: $(STAMP) chromium
	$(BIN)/python -m pytest -m browser tests/test_browser.py tests/test_search.py

# The chapters with sliders opened, run and moved in JupyterLab, as a student in Binder would.
lab: $(STAMP) chromium
	$(BIN)/python -m pytest -m browser tests/test_lab.py

chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "$(CHROMIUM) not found: installing Debian's chromium with apt-get"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; \
	  else \
	    echo "error: the browser test needs Chromium at $(CHROMIUM)." >&2; \
	    echo "Install it (Debian/Ubuntu): sudo apt-get update && sudo apt-get install -y chromium" >&2; \
	    echo "or point to another binary: make test CHROMIUM=/path/to/chromium" >&2; \
	    exit 1; \
	  fi; \
	fi
	@test -x "$(CHROMIUM)" || { echo "error: $(CHROMIUM) still missing after install" >&2; exit 1; }

## PDF: the single-page HTML build (same execution cache), printed by Chromium once MathJax has
## typeset every formula; the instructors' PDF has every solution open.
pdf: $(STAMP) chromium
	$(BIN)/jupyter-book build . --builder singlehtml -W -n --keep-going
	$(BIN)/python tools/pdf.py _build/singlehtml _build/pdf
	@echo "PDF: $(CURDIR)/_build/pdf/ssd-book.pdf (instructors: ssd-book-instructors.pdf)"

pdf-test: $(STAMP) poppler
	$(BIN)/python -m pytest -m pdf tests/test_pdf.py

poppler:
	@if ! command -v pdftotext >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "pdftotext not found: installing Debian's poppler-utils with apt-get"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends poppler-utils; \
	  else \
	    echo "error: the PDF test needs pdftotext: sudo apt-get install -y poppler-utils" >&2; \
	    exit 1; \
	  fi; \
	fi

## Benchmarks: ssdlib against SciPy at matched error; writes benchmarks/ratios.json (commit it),
## which the reproducibility page shows.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

## Key press to repainted figure for every slider, in JupyterLab in headless Chromium; writes
## benchmarks/ui.json (commit it), which the reproducibility page shows.
bench-ui: $(STAMP) chromium
	$(BIN)/python benchmarks/ui.py

## Mutation testing of the core modules (mutation/config.toml) against the fast unit tests; not
## part of `make test`. Prints the score per module and the surviving mutants; fails below the
## configured score. `make mutation MODULES="bounds mirror"` reruns some modules only.
mutation: $(STAMP)
	@$(BIN)/python -m pip install --disable-pip-version-check -q mutmut==3.8.1
	nice -n 19 $(BIN)/python mutation/run.py $(if $(MODULES),--modules $(MODULES))

clean:
	rm -rf _build .jupyter_cache

distclean: clean
	rm -rf $(VENV) *.egg-info
