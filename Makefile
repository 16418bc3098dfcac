# PayWave: `make run` starts everything, `make test` proves it.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml sandbox/pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install run test bench chaos clean browser tools

# The browser tests (tests/browser) drive Debian's Chromium through Playwright: never a browser it downloads.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

# The sandboxes are a distribution of their own (sandbox/pyproject.toml), installed for development and tests only.
$(STAMP): setup.cfg pyproject.toml sandbox/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]' -e ./sandbox
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/paywave dev

# Chromium for the browser tests (they skip without it, except in CI where .ci/run installs it).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

# promtool (Debian's prometheus package) for the alerting rules' checks and unit tests (tests/deploy/test_alerts.py
# skips without it, except in CI where .ci/run installs it).
tools:
	@command -v promtool >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus; }

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) -m pytest

bench: install
	@command -v wrk >/dev/null && command -v hey >/dev/null || \
	  { echo 'make bench needs wrk and hey on the PATH: install them (e.g. sudo apt-get install wrk hey), then run it again.' >&2; exit 1; }
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) -m bench

# Long fault-injection runs: PAYWAVE_CHAOS_SECONDS per scenario at PAYWAVE_CHAOS_RATE payments/s.
chaos: install
	PAYWAVE_CHAOS_SECONDS=$${PAYWAVE_CHAOS_SECONDS:-60} PAYWAVE_CHAOS_RATE=$${PAYWAVE_CHAOS_RATE:-4} \
	  $(PY) -m pytest tests/reliability -m chaos -p no:cacheprovider -s

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache paywave.db*
