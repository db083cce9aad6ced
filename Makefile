# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# CI runs against the real services on this machine; locally SQLite and eager Celery.
ifeq ($(CI),true)
TEST_ENV := DATABASE_URL=postgres://postgres@127.0.0.1:5432/planner REDIS_URL=redis://127.0.0.1:6379/0 CELERY_TASK_ALWAYS_EAGER=true
else
TEST_ENV := CELERY_TASK_ALWAYS_EAGER=true
endif

.PHONY: run test lint check-deploy bench screenshots install migrate seed clean

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

test: lint
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(BIN)/python -m pytest --cov --cov-report=term $(PYTEST_ARGS)
	$(MAKE) --no-print-directory check-deploy

check-deploy: $(STAMP)
	DEBUG=false SECRET_KEY=check-deploy-$$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n') \
	FIELD_ENCRYPTION_KEY=k1:$$($(BIN)/python -c "import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())") \
	DATABASE_URL=sqlite:///:memory: REDIS_URL=redis://127.0.0.1:6379/0 ALLOWED_HOSTS=planner.example.org \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

bench: $(STAMP)
	$(BIN)/python -m bench

screenshots: $(STAMP)
	$(BIN)/python manage.py screenshots

clean:
	rm -rf $(VENV) db.sqlite3 .coverage staticfiles
