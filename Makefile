# Two commands on a fresh clone: `make run` serves the API with the real data loaded,
# `make test` runs the suite. Everything else here is what those two and CI are made of.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
SCHEMA := docs/openapi.yaml

.PHONY: run serve test fuzz lint format schema schema-check frontend-check install seed superuser clean

# Reinstall only when the dependency list changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_data
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Production: gunicorn (WORKERS processes) with whitenoise for static files and DEBUG off.
# Needs SECRET_KEY in the environment; refuses to start on a failed deployment check
# (CHECK_LEVEL=ERROR only for a trial over plain HTTP, where the TLS warnings are expected).
WORKERS ?= 4
CHECK_LEVEL ?= WARNING
serve: install
	DEBUG=0 $(PY) manage.py check --deploy --fail-level $(CHECK_LEVEL)
	DEBUG=0 $(PY) manage.py migrate --no-input
	DEBUG=0 $(PY) manage.py collectstatic --no-input -v0
	DEBUG=0 $(VENV)/bin/gunicorn tradeapi.wsgi --config python:tradeapi.gunicorn_conf \
		--bind 127.0.0.1:$(PORT) --workers $(WORKERS) --access-logfile -

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# Schemathesis against the live app (gunicorn, DEBUG off) from docs/openapi.yaml, writes
# included; fixed seed and example count. Uses DATABASE_URL if set, else a temporary SQLite.
fuzz: install
	$(PY) scripts/fuzz.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

seed: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_data

superuser: install
	$(PY) manage.py createsuperuser

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .mypy_cache .ruff_cache .schemathesis

# The committed schema is the contract: regenerate it with `make schema` and review the diff.
schema: install
	$(PY) manage.py spectacular --validate --fail-on-warn --file $(SCHEMA)

# CI: fail when the code's schema differs from the committed one.
schema-check: install
	@tmp=$$(mktemp); trap 'rm -f "$$tmp"' EXIT; \
	$(PY) manage.py spectacular --validate --fail-on-warn --file "$$tmp" || exit 1; \
	diff -u $(SCHEMA) "$$tmp" || { echo "$(SCHEMA) is stale: run make schema, commit it." >&2; exit 1; }

# Frontend proof: strict TypeScript types generated from the committed schema, and a short
# client that must type-check against them (it fails when a field it uses disappears).
frontend-check:
	cd frontend && npm ci --no-audit --no-fund && npm run generate && npm run check
