# make run   : set up .venv, migrate, import courses/, seed demo data, serve on http://127.0.0.1:5000
# make test  : set up .venv, run the whole test suite
# make lock  : refresh requirements.lock (pinned versions every install uses as constraints)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
# Links in e-mails (confirmation, password reset) are built on this address.
BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test test-load lint setup db demo clean bench bench-ce bench-verify bench-credentials bench-http bench-community lock

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock \
		-e '.[test,postgres,redis]'
	touch $(STAMP)

setup: $(STAMP)

db: setup
	$(FLASK) db upgrade
	$(FLASK) courses import courses

demo: db
	$(FLASK) demo

# The demo accounts (printed by `demo`) are followed only by the address to open.
run: demo
	@echo "Open $(BASE_URL) in a browser; Ctrl+C stops the server."
	@BASE_URL=$(BASE_URL) $(FLASK) run --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python -m pytest

# Load and faults on the real stack (tests/load, docs/reliability.md): a few minutes; needs
# PostgreSQL's initdb/pg_ctl and redis-server installed (it starts its own of each).
test-load: setup
	LMS_LOAD_TESTS=1 $(BIN)/python -m pytest tests/load -n 0 -s -p no:randomly $(LOAD_ARGS)

lint: setup
	$(BIN)/ruff check lms tests bench
	$(BIN)/mypy

# Pins every dependency (and the test, postgres and redis extras) for reproducible installs.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check pip-tools
	$(BIN)/pip-compile --quiet --upgrade --strip-extras --no-emit-index-url --no-emit-find-links \
		--extra test --extra postgres --extra redis -o requirements.lock pyproject.toml

bench: setup
	$(BIN)/python -m bench

bench-ce: setup
	$(BIN)/python -m bench.ce

bench-verify: setup
	$(BIN)/python -m bench.verify

# One certificate drawn and signed (median <= 150 ms) and a 500-certificate cohort ZIP streamed
# with bounded memory (issue 12).
bench-credentials: setup
	$(BIN)/python -m bench.credentials

# Pages under gunicorn + wrk against a bare Flask route, on full-scale PostgreSQL data
# (docs/performance.md). Installs nothing: without wrk it says how to get it and falls back
# to a Python load generator.
BENCH_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/bench_http
bench-http: setup
	@command -v wrk >/dev/null || echo "wrk not found: sudo apt-get install -y wrk (Debian/Ubuntu)"
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench.http_pages $(BENCH_ARGS)

# The boards at scale (issue 14): 20,000 members, 10,000 threads, 100,000 posts by COPY into
# PostgreSQL (reused when present; BENCH_ARGS="--regenerate" makes them again), then the thread
# list, thread page, search and bell through the test client, then the digest for every member.
BENCH_COMMUNITY_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/bench_community
bench-community: setup
	BENCH_DATABASE_URL=$(BENCH_COMMUNITY_URL) $(BIN)/python -m bench.community $(BENCH_ARGS); \
		status=$$?; BENCH_DATABASE_URL=$(BENCH_COMMUNITY_URL) $(BIN)/python -m bench.digest \
		$(filter-out --regenerate,$(BENCH_ARGS)) && exit $$status

clean:
	rm -rf $(VENV) instance/*.sqlite3
