# The two commands: `make run` serves the demo town, `make test` runs the whole suite.
# Everything else here is what those two need.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test bench install check lock upgrade messages makemessages clean

# Background jobs: one worker with beat inside it, one job at a time (the solo pool keeps a small
# machine calm). Gossip, mingle and heartbeats are for clusters of workers; a lone worker needs none.
WORKER := $(PY) -m celery -A townaid worker --beat --pool=solo --concurrency=1 --loglevel=INFO \
	--without-gossip --without-mingle --without-heartbeat
# The broker the jobs use, with any password masked.
BROKER := DJANGO_SETTINGS_MODULE=townaid.settings $(PY) -c 'from django.conf import settings; \
	from kombu.utils.url import maybe_sanitize_url; url = settings.CELERY_BROKER_URL; \
	print(f"{url} (queue files under var/celery/)" if url.startswith("filesystem") else maybe_sanitize_url(url))'

## run: install, migrate, load the demo town if missing, and serve it with its background jobs
## (worker and server share one shell line; its trap stops both however the server ends, Ctrl-C,
## error or a kill of make, so the worker never outlives `make run`)
run: export DEBUG ?= true
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo
	@echo "TownAid is starting at http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@echo "Background jobs are running: a Celery worker with beat, broker $$($(BROKER))"
	@echo
	@trap 'kill $$worker $$server 2>/dev/null; wait' EXIT; trap 'exit 130' INT TERM; \
	$(WORKER) & worker=$$!; $(PY) manage.py runserver $(HOST):$(PORT) & server=$$!; wait $$server

## serve: run the app as production does, on this machine: DEBUG off, collected static files, Gunicorn
## (deploy/gunicorn.conf.py), a Celery worker and Celery beat as three processes; Ctrl-C stops all three.
## Throwaway secrets are made only when SECRET_KEY / BACKUP_SIGNING_KEY are unset (it says so).
serve: export DEBUG = false
serve: export ALLOWED_HOSTS ?= 127.0.0.1,localhost
serve: export GUNICORN_BIND ?= $(HOST):$(PORT)
serve: install
	@if [ -z "$$SECRET_KEY" ]; then echo "serve: SECRET_KEY is unset: using a throwaway key for this run"; fi; \
	if [ -z "$$BACKUP_SIGNING_KEY" ]; then echo "serve: BACKUP_SIGNING_KEY is unset: using a throwaway key for this run"; fi; \
	export SECRET_KEY="$${SECRET_KEY:-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')}"; \
	export BACKUP_SIGNING_KEY="$${BACKUP_SIGNING_KEY:-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(48))')}"; \
	$(PY) manage.py migrate --noinput && $(PY) manage.py collectstatic --noinput -v0 || exit 1; \
	echo; echo "TownAid (production mode) at http://$$GUNICORN_BIND/  (Ctrl-C stops it)"; \
	echo "Gunicorn, a Celery worker and Celery beat, broker $$($(BROKER))"; echo; \
	trap 'kill $$web $$worker $$beat 2>/dev/null; wait' EXIT; trap 'exit 130' INT TERM; \
	$(PY) -m celery -A townaid --quiet worker --loglevel=INFO --concurrency=2 --without-gossip --without-mingle & worker=$$!; \
	$(PY) -m celery -A townaid --quiet beat --loglevel=INFO & beat=$$!; \
	$(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py & web=$$!; wait $$web

## test: lint, migration check and the whole pytest suite
test: install check
	$(VENV)/bin/pytest

## bench: every figure of issue 18 on a county database (BENCH_DATABASE_URL, default
## postgres://postgres@127.0.0.1:5432/townaid_bench, seeded when missing or empty), written to bench/RESULTS.md;
## BENCH_ARGS passes options on (--reseed, --only NAME)
bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

check: install
	DJANGO_SETTINGS_MODULE=townaid.settings_test $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

install: $(INSTALLED) $(NODE_INSTALLED) messages

# From the lock, every file checked against its hash: the same packages on every machine, CI and production
# alike. The pip that python3.11's venv brings does it; upgrading pip first would be the one download
# the lock does not pin.
$(INSTALLED): requirements.lock requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

# The lock files: requirements.lock (what production installs) from requirements.txt, and
# requirements-dev.lock (that plus the tools and tests) from requirements-dev.txt, held to the runtime
# pins so the two agree. Written for Python 3.11 (from 3.11.0: Debian 12 has 3.11.2) on Linux x86_64,
# with the hash of every file PyPI has for each version. They are not targets made from the inputs: a
# fresh clone's file times say nothing, and CI must install what was locked, not lock anew.
# townaid/tests/test_requirements.py fails when an input changed and the locks were not written again.
LOCK := $(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock"

## lock: write the lock files again after editing requirements*.txt, keeping every pin that still fits
lock: $(INSTALLED)
	$(LOCK) $(UPGRADE) requirements.txt -o requirements.lock
	$(LOCK) $(UPGRADE) requirements-dev.txt -c requirements.lock -o requirements-dev.lock

## upgrade: the newest versions that requirements*.txt allow, into the lock files (then `make test`)
upgrade: UPGRADE = --upgrade
upgrade: lock

$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## messages: compile the translation catalogues (.po -> .mo)
messages: $(INSTALLED)
	DJANGO_SETTINGS_MODULE=townaid.settings_test $(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v0

## makemessages: refresh the catalogues after changing user-facing strings
makemessages: $(INSTALLED)
	DJANGO_SETTINGS_MODULE=townaid.settings_test $(PY) manage.py makemessages -l zh_Hans \
		--ignore=.venv --ignore=node_modules --ignore=var --no-location

clean:
	rm -rf $(VENV) node_modules var
