# attck: build, run, test and benchmark in one place.

SHELL          := /bin/bash
ROOT           := $(abspath .)
BUILD          := $(ROOT)/build
SHARED         ?= $(abspath $(ROOT)/../shared)
ATTCK_PORT     ?= 8080
ATTCK_LISTEN   ?= 127.0.0.1
NGINX_SRC      := /usr/share/nginx/src

CC             ?= cc
CFLAGS         ?= -O2 -g
WARN           := -Wall -Wextra -Werror -Wno-unused-parameter
DEPS_CFLAGS    := $(shell pkg-config --cflags jansson libcurl libpq libcrypto \
                    yaml-0.1 hiredis cairo 2>/dev/null)
DEPS_LIBS      := $(shell pkg-config --libs jansson libcurl zlib libpq \
                    libcrypto yaml-0.1 hiredis cairo 2>/dev/null) -llinear -lm

SNAP_SRCS      := $(wildcard ngx_attck_module/snapshot/*.c)
SNAP_HDRS      := $(wildcard ngx_attck_module/snapshot/*.h)
WORKER_SRCS    := $(wildcard worker/*.c)
WORKER_HDRS    := $(wildcard worker/*.h)
MODULE_SRCS    := $(wildcard ngx_attck_module/*.c ngx_attck_module/*.h)


# MITRE's official STIX 2.1 bundles; set ATTCK_SOURCES to other URLs or
# paths (file:// works) to use a mirror or local copies
MITRE_STIX     := https://raw.githubusercontent.com/mitre-attack/attack-stix-data/master
ATTCK_SOURCES  ?= $(MITRE_STIX)/enterprise-attack/enterprise-attack.json \
                  $(MITRE_STIX)/mobile-attack/mobile-attack.json \
                  $(MITRE_STIX)/ics-attack/ics-attack.json
LOCAL_SOURCES  := $(wildcard $(SHARED)/attack/*-attack-*.json)

WORKER         := $(BUILD)/attck-worker
MODULE         := $(BUILD)/ngx_http_attck_module.so

.PHONY: all deps test-deps bench-deps install-packages module worker test eval \
        unit-test integration-test run stop bench clean print-packages \
        dashboard demo demo-stop demo-purge \
        run-prepare run-state run-postgres run-redis run-worker purge \
        print-state fuzz fuzz-build fuzz-seeds

all: worker module dashboard

worker: $(WORKER)
module: $(MODULE)

$(WORKER): $(WORKER_SRCS) $(WORKER_HDRS) $(SNAP_SRCS) $(SNAP_HDRS)
	@mkdir -p $(BUILD)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(DEPS_CFLAGS) $(LDFLAGS) \
	    -o $@.tmp $(WORKER_SRCS) $(SNAP_SRCS) $(DEPS_LIBS)
	mv -f $@.tmp $@

# The module is built against the installed nginx the way Debian builds
# its own dynamic modules: configure with the binary's ABI flags.
$(BUILD)/nginx/Makefile: config
	@mkdir -p $(BUILD)/nginx
	cd $(NGINX_SRC) && . ./conf_flags && ./configure \
	    --with-cc-opt="$$(dpkg-buildflags --get CFLAGS) -fPIC $$(dpkg-buildflags --get CPPFLAGS)" \
	    --with-ld-opt="$$(dpkg-buildflags --get LDFLAGS) -fPIC" \
	    "$${NGX_CONF_FLAGS[@]}" --add-dynamic-module=$(ROOT) \
	    --builddir=$(BUILD)/nginx > $(BUILD)/nginx-configure.log 2>&1 \
	    || { tail -20 $(BUILD)/nginx-configure.log; exit 1; }

$(MODULE): $(BUILD)/nginx/Makefile $(MODULE_SRCS) $(SNAP_SRCS) $(SNAP_HDRS)
	$(MAKE) -s -f $(BUILD)/nginx/Makefile -C $(NGINX_SRC) modules
	@# a new file, not the old one rewritten: a running nginx has it mapped
	cp $(BUILD)/nginx/ngx_http_attck_module.so $@.tmp && mv -f $@.tmp $@

# The dashboard (dashboard/): ES modules and their npm dependencies,
# pinned in package-lock.json and installed by "npm ci" when it changes,
# bundled by esbuild into static files in build/dashboard
DASH           := $(BUILD)/dashboard
DASH_SRCS      := $(wildcard dashboard/src/*) dashboard/index.html \
                  dashboard/favicon.svg dashboard/build.mjs

dashboard: $(DASH)/index.html

dashboard/node_modules/.ci: dashboard/package-lock.json
	@mkdir -p $(BUILD)
	cd dashboard && npm ci --no-audit --no-fund --prefer-offline \
	    > $(BUILD)/npm-ci.log 2>&1 || { tail -20 $(BUILD)/npm-ci.log; exit 1; }
	@touch $@

$(DASH)/index.html: dashboard/node_modules/.ci $(DASH_SRCS)
	@mkdir -p $(BUILD)
	@rm -rf $(DASH).tmp
	cd dashboard && node build.mjs $(DASH).tmp
	@rm -rf $(DASH) && mv $(DASH).tmp $(DASH)

clean:
	rm -rf $(BUILD)

# --- tests --------------------------------------------------------------

TEST_SNAP      := $(BUILD)/test/all.snap
UNIT_TESTS     := $(patsubst t/unit/%.c,$(BUILD)/unit/%,$(wildcard t/unit/test_*.c))
ATTACK_FILES   := $(wildcard $(SHARED)/attack/*.json)

# Debian packages: to build and run, and in addition to test and to
# benchmark; installed when missing (as root).  npm: Debian's, unless the
# nodejs installed brings its own (NodeSource's does, and conflicts)
NPM_PACKAGE    := $(if $(shell command -v npm 2>/dev/null),,npm)
PACKAGES       := build-essential pkg-config dpkg-dev nginx nginx-dev \
                  libjansson-dev libcurl4-openssl-dev zlib1g-dev libpq-dev \
                  libssl-dev libyaml-dev liblinear-dev libhiredis-dev \
                  libcairo2-dev fonts-dejavu-core postgresql redis-server \
                  curl nodejs $(NPM_PACKAGE) iso-codes
TEST_PACKAGES  := libcmocka-dev libjson-xs-perl chromium libxml2-utils python3 \
                  prometheus poppler-utils clang libclang-rt-14-dev
BENCH_PACKAGES := wrk time

deps:
	@$(MAKE) -s install-packages WANT="$(PACKAGES)"

test-deps:
	@$(MAKE) -s install-packages WANT="$(PACKAGES) $(TEST_PACKAGES)"

bench-deps:
	@$(MAKE) -s install-packages WANT="$(PACKAGES) $(BENCH_PACKAGES)"

install-packages:
	@missing=$$(for p in $(WANT); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	        | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "installing: $$missing"; \
	    if [ "$$(id -u)" != 0 ]; then \
	        echo "run as root, or: apt-get install $$missing"; exit 1; fi; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -qq $$missing >/dev/null; \
	fi

# one model for the tests that need one (t/370 trains its own)
TEST_MODEL     := $(BUILD)/test/enterprise.model

$(TEST_MODEL): $(WORKER) $(SHARED)/attack/enterprise-attack-18.1.json
	@mkdir -p $(dir $@)
	$(WORKER) train -o $@ --stix $(SHARED)/attack/enterprise-attack-18.1.json

$(TEST_SNAP): $(WORKER) $(ATTACK_FILES)
	@mkdir -p $(dir $@)
	$(WORKER) compile -o $@ $(ATTACK_FILES)

$(BUILD)/unit/%: t/unit/%.c $(SNAP_SRCS) $(SNAP_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -Ingx_attck_module/snapshot -o $@ $< \
	    $(SNAP_SRCS) -lcmocka -lz -lm

# the mapper's pieces need only util.c (and its progress.c): tested alone
MAP_SRCS       := $(wildcard worker/map_*.c) worker/util.c worker/progress.c

$(BUILD)/unit/test_map_%: t/unit/test_map_%.c $(MAP_SRCS) $(WORKER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -Iworker -o $@ $< $(MAP_SRCS) \
	    -lcmocka -lcrypto -lz -lm

unit-test: $(UNIT_TESTS)
	@failed=0; for t in $(UNIT_TESTS); do $$t || failed=1; done; \
	exit $$failed

integration-test: all $(TEST_SNAP) $(TEST_MODEL)
	ATTCK_BUILD=$(BUILD) ATTCK_SHARED=$(SHARED) ATTCK_TEST_SNAPSHOT=$(TEST_SNAP) \
	    ATTCK_TEST_MODEL=$(TEST_MODEL) prove -I t/lib t/

test: test-deps
	$(MAKE) unit-test integration-test
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_TEST_SECONDS)

print-packages:
	@echo $(PACKAGES) $(TEST_PACKAGES) $(BENCH_PACKAGES)

# --- fuzzing -------------------------------------------------------------
#
#   libFuzzer harnesses (fuzz/fuzz_NAME.c), built with clang, ASan and
#   UBSan into build/fuzz/.  `make fuzz` runs each for FUZZ_SECONDS on its
#   committed corpus (fuzz/corpus/NAME) and on seeds made from ../shared
#   (build/fuzz/seeds/NAME), keeps what it finds new in build/fuzz/corpus/
#   NAME, and fails when any harness crashed, naming the input it left in
#   build/fuzz/crashes/.  A crash again: build/fuzz/fuzz_NAME CRASH-FILE.

FUZZ_CC        ?= clang
FUZZ_SECONDS   ?= 30
FUZZ_TEST_SECONDS ?= 30
# seconds one input may take: an input runs in milliseconds, but a loaded
# machine has stalled a process for 16 s (a hang still fails)
FUZZ_TIMEOUT   ?= 60
FUZZ_RSS_MB    ?= 2048
FUZZ_OPTS      ?=
FUZZ           := $(BUILD)/fuzz
FUZZ_NAMES     := args text map_text snapshot compile otx vt
FUZZ_BINS      := $(FUZZ_NAMES:%=$(FUZZ)/fuzz_%)
# UBSan reports halt (UBSAN_OPTIONS below) but stay recoverable, so that
# a suppressions= file in UBSAN_OPTIONS works while a fix is on its way
FUZZ_SAN       := -fsanitize=address,undefined
FUZZ_UBSAN     := print_stacktrace=1:halt_on_error=1
FUZZ_ENV = UBSAN_OPTIONS="$(FUZZ_UBSAN)$${UBSAN_OPTIONS:+:$$UBSAN_OPTIONS}"
# clang warns where gcc does not: only the harnesses' own warnings fail
FUZZ_CFLAGS    := -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) \
                  -fsanitize=fuzzer-no-link $(filter-out -Werror,$(WARN))

# what each harness's input looks like to libFuzzer's mutations
FUZZ_DICT_args     := fuzz/query.dict
FUZZ_DICT_text     := fuzz/query.dict
FUZZ_DICT_map_text := fuzz/query.dict
FUZZ_DICT_snapshot := fuzz/snapshot.dict
FUZZ_DICT_compile  := fuzz/json.dict
FUZZ_DICT_otx      := fuzz/json.dict
FUZZ_DICT_vt       := fuzz/json.dict

# every source once, with the sanitizers; the worker without its main()
FUZZ_SNAP_OBJS := $(patsubst ngx_attck_module/snapshot/%.c, \
                    $(FUZZ)/obj/snap_%.o,$(SNAP_SRCS))
FUZZ_WORKER_OBJS := $(patsubst worker/%.c,$(FUZZ)/obj/worker_%.o, \
                    $(filter-out worker/main.c,$(WORKER_SRCS)))

# the worker's seams (fuzz/fuzz_worker.h)
FUZZ_WRAP      := -Wl,--wrap=attck_fatal,--wrap=attck_log,--wrap=attck_fetch \
                  -Wl,--wrap=attck_db_run,--wrap=attck_db_exec \
                  -Wl,--wrap=attck_db_copy,--wrap=attck_db_lost

$(FUZZ)/obj/snap_%.o: ngx_attck_module/snapshot/%.c $(SNAP_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ)/obj/worker_%.o: worker/%.c $(WORKER_HDRS) $(SNAP_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEPS_CFLAGS) -c -o $@ $<

$(FUZZ)/obj/fuzz_%.o: fuzz/fuzz_%.c $(wildcard fuzz/*.h) $(SNAP_HDRS) \
                      $(WORKER_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -D_GNU_SOURCE $(DEPS_CFLAGS) -c -o $@ $<

FUZZ_LINK      = $(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^

$(FUZZ)/fuzz_args: $(FUZZ)/obj/fuzz_args.o $(FUZZ)/obj/snap_attck_args.o
	$(FUZZ_LINK)

$(FUZZ)/fuzz_text: $(FUZZ)/obj/fuzz_text.o $(FUZZ)/obj/snap_attck_text.o
	$(FUZZ_LINK)

$(FUZZ)/fuzz_map_text: $(FUZZ)/obj/fuzz_map_text.o \
                       $(FUZZ)/obj/worker_map_text.o
	$(FUZZ_LINK)

$(FUZZ)/fuzz_snapshot: $(FUZZ)/obj/fuzz_snapshot.o $(FUZZ)/obj/fuzz_snap.o \
                       $(FUZZ_SNAP_OBJS)
	$(FUZZ_LINK) -lz -lm

$(FUZZ)/fuzz_compile $(FUZZ)/fuzz_otx $(FUZZ)/fuzz_vt: $(FUZZ)/fuzz_%: \
        $(FUZZ)/obj/fuzz_%.o $(FUZZ)/obj/fuzz_snap.o \
        $(FUZZ)/obj/fuzz_worker.o $(FUZZ_WORKER_OBJS) $(FUZZ_SNAP_OBJS)
	$(FUZZ_LINK) $(FUZZ_WRAP) $(DEPS_LIBS)

fuzz-build: $(FUZZ_BINS)

# Seeds from ../shared, made here rather than committed (large, or under
# their own licences): a slice of ICS 18.1 as a bundle (fuzz/slice.pl)
# and as a snapshot followed by a query; the OTX and VirusTotal samples
# in each harness's input format.  (The whole of ICS compiles to 1.7 MB:
# past libFuzzer's 1 MB inputs, and slow to mutate.)
FUZZ_SEEDS     := $(FUZZ)/seeds
FUZZ_ICS       := $(SHARED)/attack/ics-attack-18.1.json
FUZZ_OTX_DIR   := $(SHARED)/intel-samples/otx
FUZZ_VT_DIR    := $(SHARED)/intel-samples/virustotal
FUZZ_QUERY     := T0800 execution Windows con pro int com res dis tra pre sta

$(FUZZ_SEEDS)/.done: $(WORKER) fuzz/slice.pl $(FUZZ_ICS)
	@rm -rf $(FUZZ_SEEDS) && mkdir -p $(FUZZ_SEEDS)/snapshot \
	    $(FUZZ_SEEDS)/compile $(FUZZ_SEEDS)/otx $(FUZZ_SEEDS)/vt
	@perl fuzz/slice.pl $(FUZZ_ICS) > $(FUZZ_SEEDS)/compile/ics-slice.json
	@# its snapshot, then a query and the query's length as one byte
	@$(WORKER) compile -o $(FUZZ_SEEDS)/slice.snap \
	    $(FUZZ_SEEDS)/compile/ics-slice.json 2>/dev/null
	@{ cat $(FUZZ_SEEDS)/slice.snap; printf '%s' "$(FUZZ_QUERY)"; \
	   printf "\\$$(printf %o $$(printf '%s' "$(FUZZ_QUERY)" | wc -c))"; \
	 } > $(FUZZ_SEEDS)/snapshot/ics-slice
	@{ cat $(FUZZ_SEEDS)/slice.snap; printf '\0'; } \
	    > $(FUZZ_SEEDS)/snapshot/ics-slice-noquery
	@rm -f $(FUZZ_SEEDS)/slice.snap
	@# OTX: no stored cursor, one page; the SDK's array as one page
	@{ echo; cat $(FUZZ_OTX_DIR)/pulses_subscribed.elastic-mock.json; } \
	    > $(FUZZ_SEEDS)/otx/elastic-mock
	@{ echo; printf '{"results":'; \
	  cat $(FUZZ_OTX_DIR)/pulses.intelmq-test-data.json; printf '}'; } \
	    > $(FUZZ_SEEDS)/otx/intelmq
	@# VirusTotal: the indicator asked about, an empty line, the report
	@{ printf 'FileHash-SHA256 4bc00f7d0a2c1b7e\n\n'; \
	  cat $(FUZZ_VT_DIR)/files_report.opencti.json; } \
	    > $(FUZZ_SEEDS)/vt/file
	@{ printf 'IPv4 138.128.150.133\n\n'; \
	  cat $(FUZZ_VT_DIR)/ip_addresses_report.opencti.json; } \
	    > $(FUZZ_SEEDS)/vt/ip
	@{ printf 'domain tawuhoju.com\n\n'; \
	  cat $(FUZZ_VT_DIR)/domains_report.opencti.json; } \
	    > $(FUZZ_SEEDS)/vt/domain
	@{ printf 'URL http://tawuhoju.com/a?b=c&d=%%2F\n\n'; \
	  cat $(FUZZ_VT_DIR)/urls_report.opencti.json; } \
	    > $(FUZZ_SEEDS)/vt/url
	@touch $@

fuzz-seeds: $(FUZZ_SEEDS)/.done

# where a report starts (the harnesses' own lines start with "fuzz: "),
# and the lines of it not worth showing
FUZZ_REPORT    := ^fuzz: |==[0-9]+==ERROR|ERROR: libFuzzer|runtime error
FUZZ_NOISE     := -e '^INFO' -e '^\#[0-9]' -e '^stat::' -e 'libFuzzer has rud' \
                  -e 'Combine libFuzzer' -e ' in fuzzer::' -e ' in main ' \
                  -e ' in _start' -e ' in __libc_'

# libFuzzer's options for one harness: a bundle the compiler refuses
# leaves its allocations behind (fuzz/fuzz_compile.c)
FUZZ_OPTS_compile := -detect_leaks=0
# ... nor at its exit, after the last input
FUZZ_ENV_compile := ASAN_OPTIONS=detect_leaks=0

# fuzz-run NAME: one harness; its output in build/fuzz/NAME.log
define fuzz-run
	@mkdir -p $(FUZZ)/corpus/$(1) $(FUZZ)/crashes
	@printf '%-14s' fuzz_$(1); \
	if $(FUZZ_ENV) $(FUZZ_ENV_$(1)) $(FUZZ)/fuzz_$(1) -max_total_time=$(FUZZ_SECONDS) \
	        -timeout=$(FUZZ_TIMEOUT) -rss_limit_mb=$(FUZZ_RSS_MB) \
	        -dict=$(FUZZ_DICT_$(1)) -artifact_prefix=$(FUZZ)/crashes/$(1)- \
	        -print_final_stats=1 $(FUZZ_OPTS_$(1)) $(FUZZ_OPTS) \
	        $(FUZZ)/corpus/$(1) \
	        $$(ls -d fuzz/corpus/$(1) $(FUZZ_SEEDS)/$(1) 2>/dev/null) \
	        > $(FUZZ)/$(1).log 2>&1; \
	then \
	    sed -n 's/^#\([0-9]*\)[[:space:]]*DONE[[:space:]]*/\1 runs, /p' \
	        $(FUZZ)/$(1).log | tr -s ' '; \
	else \
	    echo "CRASHED (log: $(FUZZ)/$(1).log)"; \
	    awk '/$(FUZZ_REPORT)/ { p = 1 } p' $(FUZZ)/$(1).log \
	        | grep -v $(FUZZ_NOISE) | head -60; \
	    echo "fuzz_$(1) crashed" >> $(FUZZ)/failed; \
	fi

endef

fuzz: fuzz-build fuzz-seeds
	@rm -f $(FUZZ)/failed
	$(foreach n,$(FUZZ_NAMES),$(call fuzz-run,$(n)))
	@if [ -f $(FUZZ)/failed ]; then cat $(FUZZ)/failed; exit 1; fi

# --- run: the whole stack on loopback ----------------------------------
#
#   PostgreSQL (STATE/pg, port ATTCK_PG_PORT) and Redis (STATE/redis, port
#   ATTCK_REDIS_PORT) are started when not running; attck-worker migrates,
#   trains the mapping model once (STATE/mapping.model) and runs ingest ->
#   map -> publish; nginx serves on ATTCK_PORT and follows what is
#   published in Redis.
#
#   The state: as root, PostgreSQL runs as postgres and nginx's workers as
#   nobody, users that may not reach the clone (below /root, mode 0700),
#   so it lives in a directory of its own below /var/lib, one per clone;
#   as any other user everything runs as that user, in the clone's run/.

ATTCK_PG_PORT    ?= 5433
ATTCK_REDIS_PORT ?= 6380
AS_ROOT          := $(filter 0,$(shell id -u))
CLONE_ID         := $(notdir $(ROOT))-$(shell printf '%s' '$(ROOT)' \
                      | md5sum | cut -c1-8)
ATTCK_STATE      ?= $(if $(AS_ROOT),/var/lib/attck-run/$(CLONE_ID),$(ROOT)/run)
RUN              := $(ATTCK_STATE)
PG_BIN           := $(lastword $(sort $(wildcard /usr/lib/postgresql/*/bin)))
# initdb and postgres refuse to run as root; from "/", since the postgres
# user may not enter the directory make runs in
AS_PG            := $(if $(AS_ROOT),su postgres -s /bin/sh -c,sh -c)
PG_CTL           := cd / && $(PG_BIN)/pg_ctl -D $(RUN)/pg/data
NGINX            := nginx -p $(RUN) -c $(RUN)/nginx.conf -e $(RUN)/logs/error.log

# the worker's settings for the stack (OTX and VirusTotal keys, when set,
# come from the caller's environment)
RUN_ENV          := ATTCK_DATABASE_URL=postgresql://attck@127.0.0.1:$(ATTCK_PG_PORT)/attck \
                    ATTCK_REDIS_URL=redis://127.0.0.1:$(ATTCK_REDIS_PORT) \
                    ATTCK_SNAPSHOT=$(RUN)/attck.snap \
                    ATTCK_MODEL=$(RUN)/mapping.model \
                    ATTCK_REPORTS_DIR=$(RUN)/reports \
                    ATTCK_PUBLISH_TAXII=1 \
                    ATTCK_SQL_DIR=$(ROOT)/sql ATTCK_CONFIG=

# the state directory, readable by the servers' users (never the clone's
# parents: they are not changed)
run-state:
	@if [ -z "$(PG_BIN)" ]; then \
	    echo "PostgreSQL's server is not installed: run 'make deps' as" \
	         "root, or: apt-get install $(PACKAGES)"; exit 1; fi
	@mkdir -p $(RUN) && chmod 0755 $(RUN)
	@mkdir -p $(RUN)/logs $(RUN)/tmp $(RUN)/reports
	@if [ -n "$(AS_ROOT)" ] && ! su postgres -s /bin/sh -c \
	        "test -x $(RUN) -a -r $(RUN)" 2>/dev/null; then \
	    echo "the postgres user cannot enter $(RUN): set ATTCK_STATE to" \
	         "a directory it can reach, e.g. /var/lib/attck-run/mine"; \
	    exit 1; fi

run-postgres: run-state
	@mkdir -p $(RUN)/pg
	@if [ ! -f $(RUN)/pg/data/PG_VERSION ]; then \
	    [ -z "$(AS_ROOT)" ] || chown postgres $(RUN)/pg; \
	    $(AS_PG) "cd / && $(PG_BIN)/initdb -D $(RUN)/pg/data -A trust \
	        -U attck" > $(RUN)/pg/initdb.log 2>&1 \
	    || { tail -5 $(RUN)/pg/initdb.log; exit 1; }; fi
	@if ! $(AS_PG) "$(PG_CTL) status" >/dev/null; then \
	    $(AS_PG) "$(PG_CTL) -w -l $(RUN)/pg/log \
	        -o '-c listen_addresses=127.0.0.1 -p $(ATTCK_PG_PORT) \
	        -k $(RUN)/pg' start" >/dev/null \
	    || { tail -5 $(RUN)/pg/log; exit 1; }; \
	    echo "started PostgreSQL on 127.0.0.1:$(ATTCK_PG_PORT)"; fi
	@psql -X -q -h 127.0.0.1 -p $(ATTCK_PG_PORT) -U attck -d postgres -tAc \
	    "SELECT 1 FROM pg_database WHERE datname = 'attck'" | grep -q 1 \
	|| psql -X -q -h 127.0.0.1 -p $(ATTCK_PG_PORT) -U attck -d postgres \
	    -c 'CREATE DATABASE attck'

# a Redis is ours when its pid file names a live process
REDIS_OURS       := { [ -f $(RUN)/redis/redis.pid ] \
                    && kill -0 $$(cat $(RUN)/redis/redis.pid); } 2>/dev/null

run-redis: run-state
	@mkdir -p $(RUN)/redis
	@if ! $(REDIS_OURS); then \
	    if redis-cli -p $(ATTCK_REDIS_PORT) ping >/dev/null 2>&1; then \
	        echo "port $(ATTCK_REDIS_PORT) is taken by another Redis:" \
	             "set ATTCK_REDIS_PORT"; exit 1; fi; \
	    redis-server --port $(ATTCK_REDIS_PORT) --bind 127.0.0.1 \
	        --dir $(RUN)/redis --save 60 1 --daemonize yes \
	        --pidfile $(RUN)/redis/redis.pid \
	        --logfile $(RUN)/redis/redis.log || exit 1; \
	    for i in $$(seq 50); do \
	        redis-cli -p $(ATTCK_REDIS_PORT) ping >/dev/null 2>&1 && break; \
	        sleep 0.1; done; \
	    echo "started Redis on 127.0.0.1:$(ATTCK_REDIS_PORT)"; fi

# ingest -> map -> publish; where MITRE cannot be reached and
# ATTCK_SOURCES was not set, the local copies in ../shared/attack
run-worker: run-postgres run-redis
	@$(RUN_ENV) $(WORKER) migrate
	@echo "$(ATTCK_SOURCES)" > $(RUN)/sources
	@if ! $(RUN_ENV) ATTCK_SOURCES="$(ATTCK_SOURCES)" \
	        $(WORKER) ingest attack; then \
	    if [ "$(origin ATTCK_SOURCES)" = file ] && [ -n "$(LOCAL_SOURCES)" ]; \
	    then \
	        echo "MITRE's servers cannot be reached: using the local" \
	             "copies in $(SHARED)/attack"; \
	        echo "$(LOCAL_SOURCES)" > $(RUN)/sources; \
	        $(RUN_ENV) $(WORKER) ingest attack $(LOCAL_SOURCES) || exit 1; \
	    else exit 1; fi; \
	fi
	@# the model, trained once on the releases just stored
	@[ -f $(RUN)/mapping.model ] \
	|| $(RUN_ENV) ATTCK_SOURCES= $(WORKER) train -o $(RUN)/mapping.model
	@# make demo: synthetic threats, once, into the demo's own database,
	@# their text from the bundles just ingested
	@if [ -n "$(ATTCK_DEMO)" ] && [ "$$(psql -X -At -h 127.0.0.1 \
	        -p $(ATTCK_PG_PORT) -U attck -d attck -c \
	        'SELECT count(*) FROM threat_intelligence_data')" = 0 ]; then \
	    echo "generating $(ATTCK_DEMO) synthetic threats"; \
	    $(RUN_ENV) ATTCK_SOURCES="$$(cat $(RUN)/sources)" $(WORKER) \
	        generate --seed 1 --count $(ATTCK_DEMO) --days 365 --mapped \
	    || exit 1; fi
	@$(RUN_ENV) ATTCK_SOURCES="$$(cat $(RUN)/sources)" $(WORKER) run

run-prepare: deps
	@$(MAKE) -s all
	@$(MAKE) -s run-worker
	@# the dashboard where nginx's workers may read it (see run-state)
	@rm -rf $(RUN)/dashboard.new && cp -r $(DASH) $(RUN)/dashboard.new \
	    && rm -rf $(RUN)/dashboard && mv $(RUN)/dashboard.new $(RUN)/dashboard
	@# the demo's page says its threats are synthetic
	@[ -z "$(ATTCK_DEMO)" ] \
	|| echo '{"synthetic": true}' > $(RUN)/dashboard/config.json
	@sed -e 's|@RUN@|$(RUN)|g' -e 's|@MODULE@|$(MODULE)|g' \
	    -e 's|@LISTEN@|$(ATTCK_LISTEN)|g' -e 's|@PORT@|$(ATTCK_PORT)|g' \
	    -e 's|@REDIS@|127.0.0.1:$(ATTCK_REDIS_PORT)|g' \
	    -e 's|@DASHBOARD@|$(RUN)/dashboard|g' \
	    conf/nginx.conf.in > $(RUN)/nginx.conf
	@$(NGINX) -q -t

run: run-prepare
	@if [ -f $(RUN)/nginx.pid ] && kill -0 $$(cat $(RUN)/nginx.pid) 2>/dev/null; \
	then \
	    $(NGINX) -s reload; \
	    echo "reloaded nginx"; \
	else \
	    $(NGINX); \
	fi
	@for i in $$(seq 50); do \
	    curl -fsS -o /dev/null http://127.0.0.1:$(ATTCK_PORT)/api/v1/status \
	        && break; sleep 0.1; done
	@curl -fsS http://127.0.0.1:$(ATTCK_PORT)/api/v1/status > /dev/null \
	    || { echo "nginx did not answer; see $(RUN)/logs/error.log"; exit 1; }
	@echo "the dashboard: http://127.0.0.1:$(ATTCK_PORT)/"
	@echo "attck is serving on http://127.0.0.1:$(ATTCK_PORT)/api/v1/" \
	      "(try: curl 127.0.0.1:$(ATTCK_PORT)/api/v1/techniques/T1059.001)"
	@echo "its state is in $(RUN) ('make stop' stops it, 'make purge'" \
	      "removes it)"

# --- demo: the same stack beside it, on synthetic threats -----------------
#
#   Its own state (ATTCK_STATE-demo), PostgreSQL, Redis and port, so that
#   a new user without OTX or VirusTotal keys can look around, and a real
#   store is never mixed with generated threats.

DEMO_STATE       ?= $(ATTCK_STATE)-demo
DEMO_PORT        ?= 8081
DEMO_PG_PORT     ?= 5434
DEMO_REDIS_PORT  ?= 6381
DEMO_COUNT       ?= 20000
DEMO_VARS        = ATTCK_STATE=$(DEMO_STATE) ATTCK_PORT=$(DEMO_PORT) \
                   ATTCK_PG_PORT=$(DEMO_PG_PORT) \
                   ATTCK_REDIS_PORT=$(DEMO_REDIS_PORT) \
                   ATTCK_DEMO=$(DEMO_COUNT)

demo:
	@$(MAKE) -s run $(DEMO_VARS) ATTCK_OTX_KEY= ATTCK_VT_KEY=
	@echo "the demo's dashboard: http://127.0.0.1:$(DEMO_PORT)/" \
	      "($(DEMO_COUNT) synthetic threats; 'make demo-stop' stops it)"

demo-stop:
	@$(MAKE) -s stop $(DEMO_VARS)

demo-purge:
	@$(MAKE) -s purge $(DEMO_VARS)

stop:
	@if [ -f $(RUN)/nginx.pid ] && kill -0 $$(cat $(RUN)/nginx.pid) 2>/dev/null; \
	then \
	    $(NGINX) -s quit; \
	    for i in $$(seq 100); do [ -f $(RUN)/nginx.pid ] || break; \
	        sleep 0.1; done; \
	    echo "stopped nginx"; \
	else echo "nginx is not running"; fi
	@if $(REDIS_OURS); then \
	    redis-cli -p $(ATTCK_REDIS_PORT) shutdown >/dev/null 2>&1; \
	    echo "stopped Redis"; else echo "Redis is not running"; fi
	@if [ -f $(RUN)/pg/data/PG_VERSION ] && $(AS_PG) "$(PG_CTL) status" \
	    >/dev/null 2>&1; then \
	    $(AS_PG) "$(PG_CTL) -m fast stop" >/dev/null && echo "stopped PostgreSQL"; \
	else echo "PostgreSQL is not running"; fi

# stops the stack and removes its state: the database, Redis's data, the
# snapshot, the model and the reports
purge: stop
	rm -rf $(RUN)

print-state:
	@echo $(RUN)

# --- benchmarks: numbers, not pass/fail ----------------------------------

$(BUILD)/bench-parse: bench/parse.c
	$(CC) $(CFLAGS) $(WARN) $(DEPS_CFLAGS) -o $@ $< $(DEPS_LIBS)

bench: bench-deps
	@$(MAKE) -s all $(TEST_SNAP) $(BUILD)/bench-parse
	@echo "module vs static file, $$(nproc) cores, $$(date -u +%F)"
	@ATTCK_BUILD=$(BUILD) bench/serve.sh $(TEST_SNAP)
	@echo
	@ATTCK_BUILD=$(BUILD) bench/metrics.sh $(TEST_SNAP)
	@echo
	@ATTCK_BUILD=$(BUILD) bench/ingest.sh $(SHARED)/attack/enterprise-attack-18.1.json
	@echo
	@ATTCK_BUILD=$(BUILD) bench/mapper.sh $(SHARED)/attack/enterprise-attack-18.1.json
	@echo
	@ATTCK_BUILD=$(BUILD) bench/swap.sh $(wildcard $(SHARED)/attack/*-attack-18.1.json)
	@echo
	@$(MAKE) -s dashboard
	@ATTCK_BUILD=$(BUILD) ATTCK_SHARED=$(SHARED) bench/dashboard.sh
	@echo
	@ATTCK_BUILD=$(BUILD) bench/taxii.sh $(wildcard $(SHARED)/attack/*-attack-18.1.json)
	@echo
	@ATTCK_BUILD=$(BUILD) bench/threats.sh $(SHARED)/attack/enterprise-attack-18.1.json

# the mapper on procedure examples of held-out actors, beside a TF-IDF
# baseline (not a test: it reports numbers)
EVAL_SOURCE    ?= $(SHARED)/attack/enterprise-attack-18.1.json

eval: deps
	@$(MAKE) -s worker
	$(WORKER) evaluate $(EVAL_SOURCE)

# --- Debian packages ------------------------------------------------------
#
#   make deb: libnginx-mod-http-attck and attck-worker, built by
#   dpkg-buildpackage (debian/rules runs "make all") in a copy of the tree,
#   build/deb/attck, so that neither the tree nor its parent gets the
#   build's files; the .debs, .buildinfo and .changes land in build/deb,
#   and lintian checks them (an error fails the build).

DEB_PACKAGES   := debhelper lintian
DEB_DIR        := $(BUILD)/deb
# t/500 builds, lints, installs and purges the packages
TEST_PACKAGES  += $(DEB_PACKAGES)

.PHONY: deb deb-deps

deb-deps:
	@$(MAKE) -s install-packages WANT="$(PACKAGES) $(DEB_PACKAGES)"

deb: deb-deps
	@rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/attck
	@tar -C $(ROOT) --exclude=./build --exclude=./run --exclude=./.git \
	    -cf - . | tar -C $(DEB_DIR)/attck -xf -
	@cd $(DEB_DIR)/attck && dpkg-buildpackage -us -uc -b \
	    > $(DEB_DIR)/build.log 2>&1 \
	    || { tail -30 $(DEB_DIR)/build.log; exit 1; }
	@rm -rf $(DEB_DIR)/attck
	@lintian $(DEB_DIR)/*.changes | tee $(DEB_DIR)/lintian.log
	@ls $(DEB_DIR)/*.deb

# The world map of the HTML report, from Natural Earth 1:110m as npm's
# world-atlas ships it and Debian's iso-codes: worker/report_world.c is
# committed, so that building needs neither; this makes it again.
.PHONY: world-map
world-map:
	@mkdir -p $(BUILD)/world-map
	cd $(BUILD)/world-map && npm install --no-save --no-audit --no-fund \
	    --loglevel=error world-atlas@2.0.2
	python3 tools/world_map.py \
	    $(BUILD)/world-map/node_modules/world-atlas/countries-110m.json \
	    /usr/share/iso-codes/json/iso_3166-1.json > worker/report_world.c.tmp
	mv -f worker/report_world.c.tmp worker/report_world.c
