# The assistant's set-up, training, serving and tests. `make run` and `make test` do every step
# they need; each step reruns only when what it depends on changed.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

INSTALLED := $(VENV)/.installed
SPACY_PIPELINE := build/spacy/pipeline
SPACY_INSTALLED := build/spacy/.installed
MODEL := models/stadsloket.tar.gz
# What the trained model loads of language/ (config.yml's components and what they import;
# tests/test_language.py checks this list). The Dutch reading and writing modules there that only
# the actions use (dutch_dates, dutch_times, wording) do not retrain the model when they change.
MODEL_LANGUAGE := $(addprefix language/,__init__.py catalogue_entity_extractor.py \
	unknown_words_guard.py message_rules.py appointment_phrases.py lexicon.py term_matching.py \
	colloquial_words.txt)
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml') $(MODEL_LANGUAGE) \
	$(wildcard service_catalogue/*.py) service_catalogue/services.yml

.PHONY: help install web browser nginx cluster test-cluster manifests backup restore reminders train run test test-unit test-data test-stories agenda purge-bookings purge-conversations staff-user purge-practice import-review lock clean

help:
	@echo "make run    set up if needed, train if needed, serve the assistant (Ctrl-C stops)"
	@echo "make test   set up if needed, train if needed, run every test"
	@echo "make cluster   replicas behind nginx on PostgreSQL and Redis (http://localhost:8080)"
	@echo "make test-cluster   100 citizens booking through the cluster while parts of it fail"
	@echo "make agenda COUNTER=berchem DATE=2026-12-08   a counter's appointments of a day, for staff"
	@echo "make purge-bookings DAYS=30   delete bookings more than DAYS days past"
	@echo "make purge-conversations DAYS=30   delete conversations idle for more than DAYS days"
	@echo "make reminders   send the reminders that are due and whatever waits in the outbox (cron); make run does it every 15 s"
	@echo "make staff-user NAME=an.peeters ROLE=trainee|teamlead TEAM=centrum   a staff account for http://localhost:5005/staff"
	@echo "make purge-practice   delete practice rounds past their retention (default 365 days)"
	@echo "make bench   benchmarks: understanding, latency, throughput, footprint, next to stock rasa init (not in make test)"
	@echo "make bench-profile   where the Rasa server spends a message's time (py-spy)"
	@echo "make install | make web | make train | make clean | make lock"

install: $(INSTALLED) $(SPACY_INSTALLED)

$(INSTALLED): requirements.txt scripts/find_python310.sh
	@py310=$$(scripts/find_python310.sh) || exit 1; \
	if [ ! -x $(PYTHON) ] || ! $(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
		rm -rf $(VENV); echo "Creating $(VENV) with $$py310"; $$py310 -m venv $(VENV); fi
	$(PYTHON) -m pip install --quiet -r requirements.txt
	@touch $@

# The Dutch spaCy pipeline, packaged so that the name in the trained model loads anywhere.
$(SPACY_INSTALLED): $(INSTALLED) language/build_spacy_pipeline.py service_catalogue/services.yml $(wildcard service_catalogue/*.py)
	rm -rf build/spacy
	$(PYTHON) -m language.build_spacy_pipeline $(SPACY_PIPELINE)
	mkdir -p build/spacy/package
	$(PYTHON) -m spacy package $(SPACY_PIPELINE) build/spacy/package --force > build/spacy/package.log
	$(PYTHON) -m pip install --quiet --no-deps --no-build-isolation --force-reinstall \
		build/spacy/package/nl_stadsloket-*/dist/nl_stadsloket-*.tar.gz
	@touch $@

# The chat page: rasa-webchat from the npm registry (web/package-lock.json), built with the
# catalogue's contact details into build/web, which `make run` serves on :8080.
WEB_PACKAGES := web/node_modules/.installed
WEB_PAGE := build/web/index.html

web: $(WEB_PAGE)

$(WEB_PACKAGES): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(WEB_PAGE): $(WEB_PACKAGES) $(INSTALLED) web/page.html channels/web_page.py service_catalogue/services.yml
	$(PYTHON) -m channels.web_page build/web

# Debian's nginx in front of the replicas (make cluster, make test-cluster, the bench).
NGINX := /usr/sbin/nginx

nginx: $(NGINX)

$(NGINX):
	@echo "Installing Debian's nginx-light for the cluster"; mkdir -p build
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q nginx-light > build/apt-nginx.log 2>&1 || \
	{ $$SUDO apt-get update -q > /dev/null && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q nginx-light > build/apt-nginx.log 2>&1; }

# Debian's Chromium for the browser test (nothing downloads a browser of its own).
CHROMIUM := /usr/bin/chromium

browser: $(CHROMIUM)

$(CHROMIUM):
	@echo "Installing Debian's chromium for the browser test"; mkdir -p build
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium > build/apt-chromium.log 2>&1 || \
	{ $$SUDO apt-get update -q > /dev/null && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium > build/apt-chromium.log 2>&1; }

train: $(MODEL)

$(MODEL): $(SPACY_INSTALLED) $(TRAINING_INPUTS)
	$(BIN)/rasa train --fixed-model-name stadsloket --out models
	@touch $@

# Every server is started by serving/launcher.py: here one of each, in `make cluster` replicas
# behind nginx, and the same code starts them for the tests and the bench.
run: install $(MODEL) web
	$(PYTHON) -m serving.launcher run

# The production profile on this machine: PostgreSQL and Redis (the machine's own by default;
# the database is created if missing), 2 Rasa replicas and 2 action servers behind nginx on :8080.
STADSLOKET_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/stadsloket
STADSLOKET_REDIS_URL ?= redis://127.0.0.1:6379/0
REPLICAS ?= 2
ACTION_SERVERS ?= 2
# (Recipes that carry these URLs are not echoed: a URL may hold a password.)
cluster: install $(MODEL) web $(NGINX)
	@STADSLOKET_DATABASE_URL='$(STADSLOKET_DATABASE_URL)' STADSLOKET_REDIS_URL='$(STADSLOKET_REDIS_URL)' \
		$(PYTHON) -m serving.launcher cluster --replicas $(REPLICAS) --action-servers $(ACTION_SERVERS)

# The replicated set-up under load and faults (tests/cluster): 100 simulated citizens booking
# through nginx on a PostgreSQL and a Redis of its own, while a replica, an action server, the
# database and Redis are killed or restarted. Writes reports/cluster.json. Not part of `make test`.
test-cluster: install $(MODEL) web $(NGINX)
	$(PYTHON) -m pytest -m cluster tests/cluster -p no:cacheprovider

# kubernetes-validate needs a jsonschema that Rasa's pins refuse: its own venv, on the same Python
# 3.10 (tests/test_manifests.py runs it on deploy/kubernetes/).
MANIFEST_TOOLS := build/manifest-tools/.installed

manifests: $(MANIFEST_TOOLS)

$(MANIFEST_TOOLS): deploy/kubernetes/requirements.txt scripts/find_python310.sh
	rm -rf build/manifest-tools
	@py310=$$(scripts/find_python310.sh) || exit 1; $$py310 -m venv build/manifest-tools
	build/manifest-tools/bin/pip install --quiet -r deploy/kubernetes/requirements.txt
	@touch $@

test: install $(MODEL) web browser $(NGINX) $(MANIFEST_TOOLS)
	$(MAKE) --no-print-directory test-unit test-data test-stories

test-unit:
	$(PYTHON) -m pytest

test-data:
	$(BIN)/rasa data validate --fail-on-warnings

test-stories:
	$(BIN)/rasa test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors \
		--out reports/stories

# Backup and restore of the production profile's database (bookings, staff records, conversations):
# PostgreSQL's own tools, a custom-format dump. README, "Backup and restore".
backup:
	@test -n "$(FILE)" || { echo "usage: make backup FILE=stadsloket-$$(date +%F).dump"; exit 2; }
	@echo "pg_dump --format=custom --no-owner --file=$(FILE) (STADSLOKET_DATABASE_URL)"
	@pg_dump --format=custom --no-owner --file="$(FILE)" '$(STADSLOKET_DATABASE_URL)'

restore:
	@test -n "$(FILE)" || { echo "usage: make restore FILE=stadsloket-2026-11-28.dump"; exit 2; }
	@echo "pg_restore --clean --if-exists --no-owner --single-transaction $(FILE) into STADSLOKET_DATABASE_URL"
	@pg_restore --clean --if-exists --no-owner --single-transaction --dbname='$(STADSLOKET_DATABASE_URL)' "$(FILE)"

# Back office. Bookings live in var/bookings.sqlite3, or in STADSLOKET_DATABASE_URL when set.
agenda: $(INSTALLED)
	@test -n "$(COUNTER)" -a -n "$(DATE)" || { echo "usage: make agenda COUNTER=berchem DATE=2026-12-08"; exit 2; }
	$(PYTHON) -m bookings agenda --counter "$(COUNTER)" --date "$(DATE)"

DAYS ?= 30
purge-bookings: $(INSTALLED)
	$(PYTHON) -m bookings purge --older-than-days "$(DAYS)"

# Conversations live in var/conversations.sqlite3, or STADSLOKET_CONVERSATIONS_URL /
# STADSLOKET_DATABASE_URL when set (serving/conversation_store.py).
purge-conversations: $(INSTALLED)
	$(PYTHON) -m serving.conversation_store purge --older-than-days "$(DAYS)"

# Messages to citizens (notifications/): the reminders that are due, then everything waiting in the
# outbox. For a cron job or a systemd timer; every action server (make run, make cluster) also does
# this every STADSLOKET_OUTBOX_INTERVAL seconds (15), so a single machine needs no timer.
reminders: $(INSTALLED)
	$(PYTHON) -m notifications reminders $(if $(NOW),--now $(NOW))

# Staff accounts for the staff page (http://localhost:5005/staff), in the bookings database. The
# password is asked twice (or read from STADSLOKET_STAFF_PASSWORD in scripts).
TEAM ?= stadsloketten
staff-user: $(INSTALLED)
	@test -n "$(NAME)" -a -n "$(ROLE)" || { echo "usage: make staff-user NAME=an.peeters ROLE=trainee|teamlead [TEAM=centrum]"; exit 2; }
	$(PYTHON) -m staff add-user --name "$(NAME)" --role "$(ROLE)" --team "$(TEAM)"

# Practice results are staff members' personal data: kept STADSLOKET_PRACTICE_RETENTION_DAYS
# (default 365), then deleted by this (for a cron job).
purge-practice: $(INSTALLED)
	$(PYTHON) -m staff purge-practice

# Corrections a team lead marked on the review page (masked YAML in var/review/, or
# STADSLOKET_REVIEW_DIR) become NLU examples (data/nlu/reviewed.yml) and conversation tests
# (tests/stories/test_reviewed.yml); the next `make train` and `make test` keep them fixed.
import-review: $(INSTALLED)
	$(PYTHON) -m review.corrections import

# Re-resolve requirements.in in a scratch venv and pin the result.
lock:
	@py310=$$(scripts/find_python310.sh) || exit 1; rm -rf build/lock-venv; \
	$$py310 -m venv build/lock-venv && build/lock-venv/bin/pip install --quiet -r requirements.in && \
	{ echo "# Full pinned resolution of requirements.in for Python 3.10 (pip freeze after one install)."; \
	  echo "# Regenerate with: make lock"; build/lock-venv/bin/pip freeze; } > requirements.txt

clean:
	rm -rf build models reports .pytest_cache

# Benchmarks (not part of `make test`): understanding (held-out set, typo copy, 5-fold
# cross-validation), conversation tests and turns to a booking, latency, throughput with booking
# conversations, startup and memory, before/after of each profiling-led change, training time;
# next to the stock `rasa init` assistant (made and trained once in build/baseline). Writes
# reports/benchmark.json and reports/bench/ (plots, a Markdown table). Sizes: BENCH_* variables
# (bench/__init__.py); BENCH_ONLY="latency throughput" runs some phases and keeps the others'
# figures; bench-smoke runs everything small (no cross-validation, no training).
BENCH_TOOLS := $(VENV)/.bench-tools
BENCH_ONLY ?=
.PHONY: bench bench-smoke bench-profile bench-publish

$(BENCH_TOOLS): bench/requirements.txt $(INSTALLED)
	$(PYTHON) -m pip install --quiet -r bench/requirements.txt
	@touch $@

bench: install $(MODEL) $(BENCH_TOOLS) $(NGINX)
	$(PYTHON) -m bench $(foreach phase,$(BENCH_ONLY),--only $(phase))

bench-smoke: install $(MODEL) $(BENCH_TOOLS) $(NGINX)
	BENCH_LABEL=smoke BENCH_REPORTS=build/bench-smoke BENCH_MESSAGES=50 BENCH_CONCURRENCY="1 5" \
		BENCH_THROUGHPUT_MESSAGES=30 BENCH_FOOTPRINT_MESSAGES=200 BENCH_IMPROVEMENT_MESSAGES=30 \
		BENCH_REPLICA_CONCURRENCY=5 BENCH_REPLICA_MESSAGES=30 \
		$(PYTHON) -m bench --only understanding --only conversations --only latency \
		--only throughput --only footprint --only improvements --only replicas

# The last full run's table into README.md and its plots into docs/benchmarks/.
bench-publish: $(INSTALLED)
	$(PYTHON) -m bench.publish

# Where the Rasa server's time goes: py-spy samples `rasa run` over BENCH_PROFILE_MESSAGES messages.
BENCH_PROFILE_MESSAGES ?= 300
bench-profile: install $(MODEL) $(BENCH_TOOLS)
	$(PYTHON) -m bench.profile --messages $(BENCH_PROFILE_MESSAGES)
