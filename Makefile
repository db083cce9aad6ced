# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# CI runs against the real services on this machine; locally SQLite and eager Celery.
# The API campaign (Schemathesis) runs in a second process beside the rest of the suite, with its
# own database and Redis db; `make test DATABASE_URL=… REDIS_URL=…` moves both off the defaults
# (with a REDIS_URL on a db other than 0, give API_REDIS_URL too; SUITE_SECOND= runs the suite in
# one process).
API_TESTS := planner/tests/test_api_schemathesis.py
ifeq ($(CI),true)
DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/planner
REDIS_URL ?= redis://127.0.0.1:6379/0
API_DATABASE_URL ?= $(DATABASE_URL)_api
API_REDIS_URL ?= $(patsubst %/0,%/1,$(REDIS_URL))
TEST_ENV := DATABASE_URL=$(DATABASE_URL) REDIS_URL=$(REDIS_URL) CELERY_TASK_ALWAYS_EAGER=true
API_TEST_ENV := DATABASE_URL=$(API_DATABASE_URL) REDIS_URL=$(API_REDIS_URL) CELERY_TASK_ALWAYS_EAGER=true
# The suite runs in two processes beside the campaign: the apps in SUITE_SECOND in one, the rest
# in the other, each with its own database and Redis database (as the campaign has), so one's
# queues, locks, throttles and cache never meet the other's.
SUITE_FIRST ?= journey planner courses
SUITE_SECOND ?= accounts mastery scheduling integrations
SECOND_TEST_ENV := DATABASE_URL=$(DATABASE_URL)_second \
  REDIS_URL=$(patsubst %/0,%/2,$(REDIS_URL)) CELERY_TASK_ALWAYS_EAGER=true
else
TEST_ENV := CELERY_TASK_ALWAYS_EAGER=true
API_TEST_ENV := $(TEST_ENV)
SUITE_FIRST ?=
SUITE_SECOND ?=
endif

# The date-sensitive tests (marker `clock`) run again at three instants where a hidden read of the
# real clock shows: Sunday 23:30 in Chicago (a late hour on the week's last day), the US
# spring-forward morning (a 23-hour local day) and New Year's Eve 23:59 UTC (already the new year
# in UTC, still the old one in the Americas). The browser tests are left out: they pin their own
# instant. The sweep looks for dependence on the clock, not on the services (the main run covers
# those on PostgreSQL), so it runs on SQLite with eager Celery, split over two processes: about
# twice as fast as on PostgreSQL.
CLOCK_FIRST := 2026-12-06T23:30:00-06:00
CLOCK_SECOND := 2027-03-14T03:30:00-05:00
CLOCK_THIRD := 2026-12-31T23:59:00Z
CLOCK_INSTANTS ?= $(CLOCK_FIRST) $(CLOCK_SECOND) $(CLOCK_THIRD)
CLOCK_MARKERS := clock and not browser and not services
CLOCK_ENV := env -u CI -u DATABASE_URL -u REDIS_URL CELERY_TASK_ALWAYS_EAGER=true
CLOCK_PYTEST_ARGS ?= -n 2

.PHONY: run test test-clock lint check-deploy bench faults screenshots install migrate seed clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

run: seed
	$(BIN)/python manage.py runserver 127.0.0.1:8000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# The campaign is mostly CPU while the rest of the suite often waits on the worker and the browser,
# so on two cores they overlap. Each of the parallel runs is followed, in its own slot, by one
# instant of the clock sweep (SQLite, no services), so the slots end close together. Their logs
# are printed after the suite's, and coverage is combined.
CLOCK_SLOT = $(MAKE) --no-print-directory test-clock CLOCK_INSTANTS="$(1)"
test: lint
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	rm -f .coverage.suite .coverage.second .coverage.api
	log=$$(mktemp); log2=$$(mktemp); second=; \
	( $(API_TEST_ENV) COVERAGE_FILE=.coverage.api $(BIN)/python -m pytest $(API_TESTS) \
	    --cov --cov-report= --cov-fail-under=0; campaign=$$?; \
	  $(call CLOCK_SLOT,$(CLOCK_THIRD)); clock=$$?; \
	  test $$campaign -eq 0 -a $$clock -eq 0 ) >$$log 2>&1 & api=$$!; \
	if [ -n "$(SUITE_SECOND)" ]; then \
	  ( $(SECOND_TEST_ENV) COVERAGE_FILE=.coverage.second $(BIN)/python -m pytest $(SUITE_SECOND) \
	      --cov --cov-report= --cov-fail-under=0 $(PYTEST_ARGS); suite2=$$?; \
	    $(call CLOCK_SLOT,$(CLOCK_SECOND)); clock=$$?; \
	    test $$suite2 -eq 0 -a $$clock -eq 0 ) >$$log2 2>&1 & second=$$!; \
	fi; \
	trap 'kill $$api $$second 2>/dev/null; exit 130' INT TERM; \
	$(TEST_ENV) COVERAGE_FILE=.coverage.suite $(BIN)/python -m pytest $(SUITE_FIRST) \
	  $(if $(SUITE_SECOND),$(addprefix --ignore=,$(SUITE_SECOND))) --ignore=$(API_TESTS) \
	  --cov --cov-report= --cov-fail-under=0 $(PYTEST_ARGS); suite=$$?; \
	$(call CLOCK_SLOT,$(CLOCK_FIRST) $(if $(SUITE_SECOND),,$(CLOCK_SECOND))); clock=$$?; \
	other=0; if [ -n "$$second" ]; then \
	  wait $$second; other=$$?; \
	  echo "----- $(SUITE_SECOND) and the clock sweep at $(CLOCK_SECOND), run alongside -----"; \
	  cat $$log2; \
	fi; rm -f $$log2; \
	wait $$api; background=$$?; \
	echo "----- $(API_TESTS) and the clock sweep at $(CLOCK_THIRD), run alongside -----"; \
	cat $$log; rm -f $$log; \
	test $$suite -eq 0 -a $$clock -eq 0 -a $$other -eq 0 -a $$background -eq 0
	$(BIN)/coverage combine --quiet .coverage.suite .coverage.api $$(ls .coverage.second 2>/dev/null)
	$(BIN)/coverage report
	$(MAKE) --no-print-directory check-deploy

# One instant: `PLANNER_TEST_NOW=2027-03-14T03:30:00-05:00 .venv/bin/python -m pytest …`.
test-clock: $(STAMP)
	@set -e; for instant in $(CLOCK_INSTANTS); do \
	  echo "----- PLANNER_TEST_NOW=$$instant -----"; \
	  start=$$(date +%s); \
	  $(CLOCK_ENV) PLANNER_TEST_NOW=$$instant $(BIN)/python -m pytest -m "$(CLOCK_MARKERS)" \
	    --ignore=$(API_TESTS) $(CLOCK_PYTEST_ARGS); \
	  echo "at $$instant: $$(( $$(date +%s) - start )) s"; \
	done

check-deploy: $(STAMP)
	DEBUG=false SECRET_KEY=check-deploy-$$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n') \
	FIELD_ENCRYPTION_KEY=k1:$$($(BIN)/python -c "import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())") \
	DATABASE_URL=sqlite:///:memory: REDIS_URL=redis://127.0.0.1:6379/0 ALLOWED_HOSTS=planner.example.org \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

bench: $(STAMP)
	$(BIN)/python -m bench

# The fault tests against real services (each starts its own Redis, PostgreSQL cluster or
# workers where it breaks them), then one table: per fault, grades sent and arrived,
# duplicates, errors and the time to recover. Needs PostgreSQL and redis-server.
FAULT_TESTS := planner/tests/test_faults_worker.py planner/tests/test_faults_worker_redis.py \
	planner/tests/test_faults_redis_hang.py planner/tests/test_faults_postgres.py
FAULTS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/planner
FAULTS_REDIS_URL ?= redis://127.0.0.1:6379/0
faults: $(STAMP)
	@report=$$(mktemp); \
	CI=true FAULTS_REPORT=$$report DATABASE_URL=$(FAULTS_DATABASE_URL) REDIS_URL=$(FAULTS_REDIS_URL) \
	  CELERY_TASK_ALWAYS_EAGER=true $(BIN)/python -m pytest $(FAULT_TESTS); \
	status=$$?; $(BIN)/python -m planner.tests.faults $$report; rm -f $$report; exit $$status

screenshots: $(STAMP)
	$(BIN)/python manage.py screenshots

clean:
	rm -rf $(VENV) db.sqlite3 .coverage .coverage.* staticfiles

# Production-like on this machine: DEBUG off, PostgreSQL and Redis, gunicorn, one Celery
# worker per queue and exactly one beat (see Procfile). Secrets are generated unless given;
# give a fixed FIELD_ENCRYPTION_KEY to keep connected integrations across restarts. honcho
# reads no .env, so it cannot undo these; Django still reads .env below the environment.
.PHONY: prod-local
prod-local: $(STAMP)
	@set -e; \
	export PATH="$(abspath $(BIN)):$$PATH" DEBUG=false CELERY_TASK_ALWAYS_EAGER=false; \
	export DATABASE_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/planner}"; \
	export REDIS_URL="$${REDIS_URL:-redis://127.0.0.1:6379/0}"; \
	export ALLOWED_HOSTS="$${ALLOWED_HOSTS:-127.0.0.1,localhost}"; \
	export SECURE_SSL_REDIRECT="$${SECURE_SSL_REDIRECT:-false}"; \
	export SECRET_KEY="$${SECRET_KEY:-prod-local-$$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')}"; \
	export FIELD_ENCRYPTION_KEY="$${FIELD_ENCRYPTION_KEY:-local:$$($(BIN)/python -c "import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())")}"; \
	$(BIN)/python manage.py migrate --noinput; \
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0; \
	exec $(BIN)/honcho start --procfile Procfile --env /dev/null --port "$${PORT:-8000}"
