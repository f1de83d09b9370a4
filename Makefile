# Slotlink: `make run` to try it, `make test` to check it. Everything lives in .venv.
# The interpreter .venv is made from: the system's python3.11 where it can make a virtualenv,
# since Debian and Ubuntu build theirs with PGO and LTO, as the image's python:3.11-slim is
# built; else the first python3.11 on PATH. pyenv's default build has neither and costs about a
# sixth more CPU a booking (docs/benchmarks.md, "The interpreter"). `make PYTHON=...` overrides.
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell /usr/bin/python3.11 -c "import ensurepip, venv" 2>/dev/null && echo /usr/bin/python3.11 || echo python3.11)
endif
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
# The NHS.UK frontend package-lock.json pins, for the patient pages (docs/adr/0007-nhsuk-frontend.md).
NHSUK := slotlink/static/vendor/nhsuk-frontend/SOURCE.json

.PHONY: run test setup messages migrate lint typecheck bench bench-load bench-scale bench-scale-data worker clean prod-local prod-local-stop backup-check

# Installs exactly the dev lock (pip refuses any file whose hash it does not list, pip and
# setuptools included), then Slotlink itself with nothing more.
$(STAMP): requirements-dev.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements-dev.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

$(NHSUK): package-lock.json scripts/nhsuk_frontend.py
	$(PYTHON) scripts/nhsuk_frontend.py

setup: $(STAMP) $(NHSUK)

# Re-resolves the lock files from pyproject.toml's pins, keeping every other version unless
# LOCK_ARGS says otherwise (--upgrade, --upgrade-package NAME). The dev lock is constrained by
# the runtime one, so the two never disagree. README, "Dependencies".
UV_COMPILE = $(BIN)/uv pip compile --quiet --no-config --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command "make lock" $(LOCK_ARGS)

.PHONY: lock
lock: setup
	$(UV_COMPILE) pyproject.toml -o requirements.lock
	$(UV_COMPILE) --extra dev -c requirements.lock pyproject.toml -o requirements-dev.lock

# Compiles slotlink/locale's .po files into the committed .mo files (pinned Babel, no system
# gettext); make test fails while they disagree. docs/adr/0008-welsh.md.
messages: setup
	$(BIN)/python scripts/messages.py

migrate: setup
	$(PY) manage.py migrate --noinput

# Serves the demo on SQLite, with a background worker sending texts (to the outbox) and running
# the once-a-minute housekeeping.
run: migrate
	$(PY) manage.py seed_demo
	@echo "Slotlink is at http://127.0.0.1:8000/  (Ctrl+C stops it)"
	@$(PY) manage.py worker --interval 0.5 & worker=$$!; \
	  trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	  $(PY) manage.py runserver 127.0.0.1:8000

worker: migrate
	$(PY) manage.py worker

lint: setup
	$(BIN)/ruff check slotlink tests benchmarks deploy
	$(BIN)/ruff format --check slotlink tests benchmarks deploy

typecheck: setup
	$(BIN)/mypy slotlink deploy benchmarks

test: setup
	$(BIN)/ruff check slotlink tests benchmarks deploy
	$(BIN)/mypy slotlink deploy benchmarks
	# The dependency map (.importlinter): lower layers never import higher ones.
	$(BIN)/lint-imports
	# On a scratch database: the check must not depend on what a real one has applied.
	DATABASE_URL= SQLITE_PATH=:memory: $(PY) manage.py makemigrations --check --dry-run
	$(BIN)/bandit -q -r slotlink -c pyproject.toml
	$(PY) scripts/dependency_audit.py
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

# Production, here: PostgreSQL, production settings with throwaway secrets (.prod-local/), two
# gunicorn app servers (scripts/serve), two workers (scripts/worker) and Debian's nginx with TLS,
# installed when missing. Ctrl+C stops it all; so does make prod-local-stop. See docs/deploy.md.
prod-local: setup
	$(PY) -m deploy.prod_local run

prod-local-stop:
	$(PY) -m deploy.prod_local stop

# Dump the PostgreSQL database DATABASE_URL names, restore it into a scratch database and
# compare every table's rows and the triggers (docs/deploy.md, "Backups").
backup-check: setup
	$(PY) -m deploy.backup_check

# Both create, migrate and drop throwaway databases of their own: neither touches db.sqlite3
# nor the database DATABASE_URL names (only its server). See docs/benchmarks.md.
bench: setup
	$(PY) -m benchmarks.run

bench-load: setup
	$(PY) -m benchmarks.load

# One and two app servers behind nginx on PostgreSQL, as make prod-local runs them.
bench-scale: setup
	$(PY) -m benchmarks.scale

# Staff pages and housekeeping on a million patients and five million links (PostgreSQL).
bench-scale-data: setup
	$(PY) -m benchmarks.scale_data

clean:
	rm -rf $(VENV) slotlink/static/vendor staticfiles db.sqlite3* .pytest_cache .mypy_cache .ruff_cache .prod-local-test
