# healthplan — every set-up step lives here so a clean clone needs only `make demo` / `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
# Debian packages the project needs: Chromium (PNG map export), a CJK font, Pango (WeasyPrint
# briefing PDFs) and poppler-utils (pdftoppm, the tests render briefing PDFs to images).
DEB_PACKAGES := chromium fonts-wqy-microhei libpango-1.0-0 libpangoft2-1.0-0 poppler-utils
RAW ?= ../shared/data/raw

.PHONY: help venv sysdeps demo test lint format bench data clean

help:
	@echo "make demo   - create .venv, install, plan the Liaoning baseline, write its map"
	@echo "make test   - create .venv, install dev extras, run the whole test suite"
	@echo "make lint   - ruff check, ruff format --check, mypy"
	@echo "make bench  - run benchmarks, write benchmarks/RESULTS.md"
	@echo "make data   - rebuild geodata/datasets/liaoning from $(RAW)"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

venv: $(STAMP)

# Installs missing Debian packages when run as root; otherwise says exactly what to install.
sysdeps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages:$$missing — run: sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi

demo: $(STAMP) sysdeps
	$(VENV)/bin/healthplan data info liaoning
	$(PY) -m geodata.overview --out out/liaoning_overview.png
	$(VENV)/bin/healthplan run baseline -o out/baseline --force
	@echo "Open out/baseline/map.html in a browser (offline); slide image out/baseline/map.png."

test: $(STAMP) sysdeps
	$(PY) -m pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	$(PY) -m benchmarks.run

data: $(STAMP)
	$(PY) -m geodata.build.liaoning --raw $(RAW)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache out
