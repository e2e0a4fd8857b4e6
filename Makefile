# Set-up and checks for a fresh Debian/Ubuntu machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: install demo test bench worker beat clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (found " + sys.version.split()[0] + ")")'
	$(PYTHON) -m venv $(VENV) || { echo "venv failed: install it with 'sudo apt-get install python3.11-venv'"; exit 1; }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

## make demo: the site on its embedded default (SQLite, in-process tasks) with demo data.
demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Open http://127.0.0.1:8000/ and log in with one of the demo logins above."
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## make test: the whole suite against real PostgreSQL, Redis and a Celery worker.
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	scripts/ensure_system_packages.sh
	$(BIN)/python scripts/with_test_services.py $(BIN)/python -m pytest $(PYTEST_ARGS)

## make worker: a Celery worker for the configured broker (CELERY_BROKER_URL), on every queue by default;
## one worker per queue: make worker QUEUES=frames (or models, generation, imports, default), CONCURRENCY=N.
## make beat: the one scheduler (reconciler, lease sweep); run exactly one per deployment.
QUEUES ?= default,frames,models,generation,imports
CONCURRENCY ?= 2
QUEUE_PREFIX ?= $(or $(CELERY_TASK_DEFAULT_QUEUE),mabench)
worker: install
	$(BIN)/celery -A mabench_site worker --loglevel=INFO --concurrency=$(CONCURRENCY) \
		-Q $(subst $(QUEUE_PREFIX).default,$(QUEUE_PREFIX),$(shell echo $(QUEUES) | sed 's/[^,][^,]*/$(QUEUE_PREFIX).&/g'))

beat: install
	$(BIN)/celery -A mabench_site beat --loglevel=INFO --schedule=var/celerybeat-schedule

clean:
	rm -rf $(VENV) var

## make bench: the benchmarks under bench/, on the same services as the tests.
bench: install
	$(BIN)/python scripts/with_test_services.py sh -c "$(BIN)/python bench/audited_writes.py && $(BIN)/python bench/command_start.py && $(BIN)/python bench/import_benchmark.py && $(BIN)/python bench/export_release.py && $(BIN)/python bench/baselines.py && $(BIN)/python bench/circular.py && $(BIN)/python bench/claims.py && $(BIN)/python bench/review_page.py && $(BIN)/python bench/release_page.py && $(BIN)/python bench/generation.py && $(BIN)/python bench/key_inference.py && $(BIN)/python bench/anchoring.py"
