# The two commands: `make run` serves the demo town, `make test` runs the whole suite.
# Everything else here is what those two need.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install check messages makemessages clean

## run: install, migrate, load the demo town if missing, and serve it
run: export DEBUG ?= true
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo
	@echo "TownAid is starting at http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@echo
	$(PY) manage.py runserver $(HOST):$(PORT)

## test: lint, migration check and the whole pytest suite
test: install check
	$(VENV)/bin/pytest

check: install
	DJANGO_SETTINGS_MODULE=townaid.settings_test $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

install: $(INSTALLED) $(NODE_INSTALLED) messages

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

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
