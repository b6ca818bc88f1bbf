# The README's two commands: `make run` and `make test`. Everything they need is installed from here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app coordinator
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint install assets chromium dovecot pango poppler bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/build/manifest.json: node_modules/.installed static/src/app.scss scripts/build-assets.mjs
	node scripts/build-assets.mjs

assets: static/build/manifest.json

# Serves the demo and its scheduler on http://$(HOST):$(PORT) (`make run PORT=5101`); prints the demo
# sign-ins whenever the demo is loaded. Each command is given HOST and PORT: unless BASE_URL is set, links in
# emails and feeds, the feed address and the banners follow them.
run: install assets pango
	$(FLASK) init-db
	HOST='$(HOST)' PORT='$(PORT)' $(FLASK) demo --skip-if-real
	HOST='$(HOST)' PORT='$(PORT)' FLASK="$(FLASK)" scripts/run.sh

# Debian's chromium for the browser tests (Playwright drives it; it never downloads a browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Debian's Dovecot: the real IMAP server the calendar-answer tests start on a loopback port of their own (the
# package's own service is not used).
dovecot:
	@command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || { \
	  echo "Installing Debian's dovecot-imapd for the mailbox tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq dovecot-imapd >/dev/null; }

# Debian's pango, which WeasyPrint draws the PDFs with.
pango:
	@ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0' || { \
	  echo "Installing Debian's pango for the PDFs"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; }

# Debian's poppler-utils: the PDF tests read the PDFs back with pdftotext, as a reader's tools would.
poppler:
	@command -v pdftotext >/dev/null 2>&1 || { \
	  echo "Installing Debian's poppler-utils for the PDF tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq poppler-utils >/dev/null; }

# The gates (ruff, mypy), then every suite. Set TEST_DATABASE_URL (as .ci/run does) to run each on
# PostgreSQL as well as SQLite.
test: install assets chromium dovecot pango poppler lint
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# Benchmarks (not part of the tests): in-process feed and meeting generation, then the pages at scale under
# gunicorn driven by wrk beside bare Flask. BENCH_DATABASE_URL=postgresql://... benchmarks on PostgreSQL
# (the database is emptied first); BENCH_FAMILIES, BENCH_AUDIT_ROWS, BENCH_SECONDS, BENCH_ROUNDS size it.
bench: install
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "Installing Debian's wrk for the benchmarks"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; }
	$(VENV)/bin/pip install --quiet -e '.[test,bench]'
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules static/build
