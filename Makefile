# PayWave: `make run` starts everything, `make test` proves it.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install run test bench chaos clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/paywave dev

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) -m pytest

bench: install
	command -v wrk >/dev/null && command -v hey >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk hey; }
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) -m bench

# Long fault-injection runs: PAYWAVE_CHAOS_SECONDS per scenario at PAYWAVE_CHAOS_RATE payments/s.
chaos: install
	PAYWAVE_CHAOS_SECONDS=$${PAYWAVE_CHAOS_SECONDS:-60} PAYWAVE_CHAOS_RATE=$${PAYWAVE_CHAOS_RATE:-4} \
	  $(PY) -m pytest tests/reliability -m chaos -p no:cacheprovider -s

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache paywave.db*
