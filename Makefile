# The quick start: `make up` runs the platform, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: up down admin-token test prereqs prereqs-for-tests base-images venv bench bench-zero-downtime bench-rollback bench-log-pipeline bench-dashboard bench-buildpack bench-registry bench-faults bench-sample-apps bench-cold-start bench-autoscale bench-tls

# Builds the buildpacks' base images first (cached per machine): hosts with no registry have no other.
up: prereqs venv base-images
	$(PYTHON) manage.py migrate --noinput -v0
	$(PYTHON) manage.py platform_up

down:
	@if [ -x $(PYTHON) ]; then $(PYTHON) manage.py platform_down; else echo "Nothing to stop: no $(VENV)."; fi

# A new admin API token in var/admin.token (`make up` keeps the one there while it is valid).
admin-token: venv
	$(PYTHON) manage.py admin_token

# Unit and integration tests use Django's test database and an instance name of their own (so
# they never touch a running install's containers); end-to-end tests start their own platform
# instance (own ports, var dir, Redis db and container label) beside any running one. Tests use
# the install's Redis (db 15; the settings add its password), never an exported REDIS_URL.
# Then the integration tests again on PostgreSQL (DATABASE_URL), the server and URL file being
# scripts/postgres's; the password stays out of the echoed command line.
PG_TESTS_URL := var/postgres/tests.url
test: prereqs-for-tests venv base-images
	env -u REDIS_URL PAAS_VAR_DIR=$(CURDIR)/var/test PAAS_INSTANCE=tests PAAS_REDIS_DB=15 $(PYTHON) -m pytest $(PYTEST_ARGS)
	@test -s $(PG_TESTS_URL) || { echo "No $(PG_TESTS_URL): scripts/prereqs --for-tests writes it when it starts the tests' PostgreSQL." >&2; exit 1; }
	env -u REDIS_URL DATABASE_URL=$$(cat $(PG_TESTS_URL)) PAAS_VAR_DIR=$(CURDIR)/var/test-pg PAAS_INSTANCE=tests-pg PAAS_REDIS_DB=15 $(PYTHON) -m pytest tests/integration $(PYTEST_ARGS)

bench: prereqs-for-tests venv base-images
	$(PYTHON) bench/push_to_live.py
	$(PYTHON) bench/zero_downtime.py
	$(PYTHON) bench/rollback.py
	$(PYTHON) bench/log_pipeline.py
	$(PYTHON) bench/dashboard_pages.py
	$(PYTHON) bench/buildpack_builds.py
	$(PYTHON) bench/registry_deploys.py
	$(PYTHON) bench/faults.py
	$(PYTHON) bench/sample_apps.py
	$(PYTHON) bench/cold_start.py
	$(PYTHON) bench/autoscale.py
	$(PYTHON) bench/tls.py

bench-zero-downtime: prereqs venv
	$(PYTHON) bench/zero_downtime.py

bench-rollback: prereqs venv
	$(PYTHON) bench/rollback.py

bench-log-pipeline: prereqs venv
	$(PYTHON) bench/log_pipeline.py

bench-dashboard: prereqs venv
	$(PYTHON) bench/dashboard_pages.py

bench-buildpack: prereqs venv base-images
	$(PYTHON) bench/buildpack_builds.py

bench-registry: prereqs-for-tests venv
	$(PYTHON) bench/registry_deploys.py

bench-faults: prereqs-for-tests venv base-images
	$(PYTHON) bench/faults.py

bench-sample-apps: prereqs-for-tests venv base-images
	$(PYTHON) bench/sample_apps.py

bench-cold-start: prereqs-for-tests venv
	$(PYTHON) bench/cold_start.py

bench-autoscale: prereqs-for-tests venv
	$(PYTHON) bench/autoscale.py

bench-tls: prereqs-for-tests venv base-images
	$(PYTHON) bench/tls.py

prereqs:
	@scripts/prereqs

prereqs-for-tests:
	@scripts/prereqs --for-tests

# The builtin buildpacks' base images, built locally (no registry needed); cached per machine.
base-images: prereqs
	@scripts/base-images

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	@python3 -m venv $(VENV)
	@$(PYTHON) -m pip install -q --upgrade pip
	@$(PYTHON) -m pip install -q -r requirements.txt
	@touch $@
