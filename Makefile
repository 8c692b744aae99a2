# The two commands from the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	cd examples/blog && PATH="$(CURDIR)/$(BIN):$$PATH" sh ./demo.sh

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

# Benchmarks print ratios against baselines measured in the same run (need PostgreSQL/MariaDB).
# Django (the inspectdb baseline) gets an environment of its own, kept out of the project's.
DJANGO := $(VENV)/django/bin/python

$(DJANGO): | $(STAMP)
	$(PYTHON) -m venv $(VENV)/django
	$(DJANGO) -m pip install --quiet 'django>=5,<6' 'psycopg[binary]>=3.1'

bench: $(STAMP) $(DJANGO)
	$(BIN)/python bench/export_schema.py
	$(BIN)/python bench/auto_migrate.py
	$(BIN)/python bench/loaddata.py
	$(BIN)/python bench/reverse_generation.py --django-python $(DJANGO)

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache examples/blog/*.sqlite3
