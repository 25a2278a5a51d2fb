# Two commands on a fresh clone: `make run` serves the API with the real data loaded,
# `make test` runs the suite. Everything else here is what those two and CI are made of.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
SCHEMA := docs/openapi.yaml

.PHONY: run serve test replica-test chromium screenshots fuzz lint format schema schema-check schema-lint \
	python-client-check frontend-check install seed superuser clean

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
	DEBUG=0 $(PY) manage.py build_schema
	DEBUG=0 $(VENV)/bin/gunicorn tradeapi.wsgi --config python:tradeapi.gunicorn_conf \
		--bind 127.0.0.1:$(PORT) --workers $(WORKERS) --access-logfile -

test: install chromium
	$(PY) -m pytest $(PYTEST_ARGS)

# The read replica tests (tests/test_read_replicas.py) against a real streaming replica: a
# throwaway PostgreSQL primary and a replica of it made by pg_basebackup, torn down after
# (scripts/with_replica.sh). `make test` skips them.
replica-test: install
	scripts/with_replica.sh $(PY) -m pytest -m replica tests/test_read_replicas.py $(PYTEST_ARGS)

# The browser tests (tests/browser) drive the system's Chromium. As root it is installed
# from Debian; otherwise they are skipped with this reason (with CI=true a missing browser
# fails them instead).
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "No Chromium: the browser tests will be skipped (sudo apt-get install chromium to run them)." >&2; \
	fi

# Retakes the committed admin pictures in docs/screenshots/ (a test run leaves its own in
# build/screenshots/).
screenshots: install chromium
	SCREENSHOTS=docs/screenshots $(PY) -m pytest tests/browser -k screenshotted

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
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .mypy_cache .ruff_cache .schemathesis build

# The committed schema is the contract: regenerate it with `make schema` and review the diff.
schema: install
	$(PY) manage.py spectacular --validate --fail-on-warn --file $(SCHEMA)

# CI: fail when the code's schema differs from the committed one.
schema-check: install
	@tmp=$$(mktemp); trap 'rm -f "$$tmp"' EXIT; \
	$(PY) manage.py spectacular --validate --fail-on-warn --file "$$tmp" || exit 1; \
	diff -u $(SCHEMA) "$$tmp" || { echo "$(SCHEMA) is stale: run make schema, commit it." >&2; exit 1; }

# The npm tools (frontend/package-lock.json), installed again only when the lock changes.
frontend/node_modules/.installed: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

# Frontend proof: strict TypeScript types generated from the committed schema, and a short
# client that must type-check against them (it fails when a field it uses disappears).
frontend-check: frontend/node_modules/.installed
	cd frontend && npm run generate && npm run check

# Redocly (recommended rules, strict) and Spectral (spectral:oas, failing on warnings) over
# the committed schema; the rules switched off, and why, are in docs/redocly.yaml and
# docs/spectral.yaml.
schema-lint: frontend/node_modules/.installed
	cd frontend && npm run lint:schema

# Python proof: the client openapi-python-client generates from the committed schema, and a
# short script using it, both under mypy --strict (clients/python/).
python-client-check: install
	rm -rf build/python-client
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) clients/python/generate.py
	$(VENV)/bin/mypy --config-file clients/python/mypy.ini build/python-client/tradeapi_client \
		clients/python/example.py
