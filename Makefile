# Jobline: `make run` starts the whole helpdesk, `make test` installs what the tests need and runs them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

# run.py's other commands, as `make run` runs them (development unless JOBLINE_ENV says otherwise),
# options in ARGS: make seed-demo ARGS="--days 30 --calls 20000"; make create-user ARGS='ana --name "Ana"'
COMMANDS := worker init-db create-user models seed-demo rollups check
JOBLINE := JOBLINE_ENV=$${JOBLINE_ENV:-development} $(PY) run.py

.PHONY: run test install system-deps lint bench clean simulate $(COMMANDS)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Jobline needs Python 3.11 or newer (found $$($(PYTHON) --version))"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(JOBLINE) serve

$(COMMANDS): $(STAMP)  # not echoed: ARGS may hold a person's name or phone
	@$(JOBLINE) $@ $(ARGS)

# A test call to the Jobline `make run` started (PORT as it had), signed with the development token.
simulate: $(STAMP)
	$(JOBLINE) simulate --url http://127.0.0.1:$${PORT:-5000} $(ARGS)

# Debian packages the tests use (audio tools, sox's MP3 reader for uploaded prompts, real
# telephone recordings, the browser) and the npm packages (the Twilio API mock, axe-core for the
# pages' accessibility checks). Installed when missing and we are root; otherwise named. A
# node_modules from before axe-core gets it too.
system-deps:
	@missing=""; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	command -v sox >/dev/null || missing="$$missing sox"; \
	sox -h 2>/dev/null | grep -qw mp3 || missing="$$missing libsox-fmt-mp3"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || missing="$$missing nginx"; \
	test -d /usr/share/asterisk/sounds/en || missing="$$missing asterisk-core-sounds-en-wav"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else echo "Please install:$$missing (sudo apt-get install$$missing)"; exit 1; fi; \
	fi
	@if [ -f package-lock.json ]; then \
		command -v npm >/dev/null || { echo "npm is needed for the Twilio API mock and axe-core (apt-get install npm)"; exit 1; }; \
		[ -x node_modules/.bin/prism ] && [ -f node_modules/axe-core/axe.min.js ] || npm ci --silent --no-audit --no-fund; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: $(STAMP) system-deps lint
	$(PY) -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache
