# make test   installs what the tests need (ClickHouse 18.16 via apt, DuckDB, chdb and @clickhouse/client
#             via npm, promtool from Debian's prometheus package, MinIO built once from the Go module
#             proxy), runs go test ./... against a private ClickHouse server and a private MinIO server
#             it starts and stops.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO ?= go
NPM ?= npm
PKGS ?= ./...
# Extra flags for go test, e.g. make test GOTESTFLAGS='-run TestX -v'
GOTESTFLAGS ?=
# Extra arguments for etl demo, e.g. make demo DEMO_ARGS='--help'
DEMO_ARGS ?=

DUCKDB_DIR := tools/duckdb
DUCKDB_STAMP := $(DUCKDB_DIR)/node_modules/.package-lock.json
# chdb embeds a current ClickHouse (26.x): the tests run the DDL and views on it as well as on 18.16.
CHDB_DIR := tools/chdb
CHDB_STAMP := $(CHDB_DIR)/node_modules/.package-lock.json
# ClickHouse's official JS client: the tests read ClickHouse over HTTP with it, as BI tools do.
CHCLIENT_DIR := tools/chclient
CHCLIENT_STAMP := $(CHCLIENT_DIR)/node_modules/.package-lock.json
WITH_CLICKHOUSE := bash scripts/with-clickhouse.sh
WITH_CLUSTER := bash scripts/with-cluster.sh

# MinIO's server: the S3-compatible store the object-storage tests write to. MinIO is AGPL-3.0:
# it is only built here and run as a separate test server process, never imported or linked into
# etl. Built from the Go module proxy at a pinned commit (MinIO publishes no semver tags) into a
# cache outside the repository, once per machine: 5.5 minutes of CPU (15 minutes of wall time on a
# busy 2-core machine, downloads included), a 150 MB binary.
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_DIR := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/etl/minio-$(MINIO_VERSION)
MINIO := $(MINIO_DIR)/minio
WITH_MINIO := bash scripts/with-minio.sh --minio $(MINIO)

.PHONY: all build test test-cluster demo bench bench-rate bench-e2e bench-dashboards bench-lake bench-s3 generate deps clickhouse-deps duckdb chdb chclient promtool minio minio-path lint clean distclean

all: build

build:
	$(GO) build -o bin/etl ./cmd/etl

deps: clickhouse-deps duckdb chdb chclient promtool

# apt-get install clickhouse-server clickhouse-client, only if missing.
clickhouse-deps:
	$(WITH_CLICKHOUSE) --install

# npm_checked(tool, dir, npm arguments, check, native package, folder to drop before a retry):
# installs a Node tool the tests use and checks it with a command. Its native library is an
# optional dependency, and npm skips an optional dependency it fails to download, silently: once
# here chdb's ~100 MB library timed out and every chdb test failed with "no native binding". So
# the tool is checked after installing and installed up to three times; the stamp (npm's own
# lock copy) goes if it never loads, so the next make tries again.
define npm_checked
	@command -v node >/dev/null || { echo "make $(1): node not found: install Node.js 20" >&2; exit 1; }
	@command -v $(NPM) >/dev/null || { echo "make $(1): npm not found: install npm" >&2; exit 1; }
	@for i in 1 2 3; do \
		echo "$(NPM) $(3)"; \
		$(NPM) $(3) && (cd $(2) && $(4)) && exit 0; \
		echo "make $(1): $(1) does not load after install attempt $$i of 3: its native library did not install" >&2; \
		rm -rf $(2)/node_modules/$(6); \
	done; \
	rm -f $@; echo "make $(1): $(5) would not install: check the npm registry, then rerun make" >&2; exit 1
	@touch $@
endef

# npm ci for the DuckDB query tool when node_modules is missing or the lock file changed, checked
# by opening a database.
duckdb: $(DUCKDB_STAMP)

$(DUCKDB_STAMP): $(DUCKDB_DIR)/package.json $(DUCKDB_DIR)/package-lock.json
	$(call npm_checked,duckdb,$(DUCKDB_DIR),ci --prefix $(DUCKDB_DIR) --no-audit --no-fund,node --input-type=module -e "await (await import('@duckdb/node-api')).DuckDBInstance.create(':memory:')",@duckdb/node-bindings-<platform>,@duckdb)

# npm install (from the lock file) for the chdb query tool, checked by loading chdb. Not npm ci:
# chdb's per-platform library packages are optional dependencies, and a registry mirror that
# serves only this platform's leaves them out of the lock, which npm ci then rejects as out of sync.
chdb: $(CHDB_STAMP)

$(CHDB_STAMP): $(CHDB_DIR)/package.json $(CHDB_DIR)/package-lock.json
	$(call npm_checked,chdb,$(CHDB_DIR),install --prefix $(CHDB_DIR) --no-audit --no-fund --no-save,node -e "require('chdb')",@chdb/lib-<platform>,@chdb)

# npm ci for the @clickhouse/client query tool (pure JavaScript, no native library), checked by
# loading the client.
chclient: $(CHCLIENT_STAMP)

$(CHCLIENT_STAMP): $(CHCLIENT_DIR)/package.json $(CHCLIENT_DIR)/package-lock.json
	$(call npm_checked,chclient,$(CHCLIENT_DIR),ci --prefix $(CHCLIENT_DIR) --no-audit --no-fund,node --input-type=module -e "await import('@clickhouse/client')",@clickhouse/client,@clickhouse)

# promtool checks and unit-tests the alerting rules (deploy/prometheus): promtool on PATH, else one
# cached outside the repo, else extracted from Debian's prometheus package (apt-get download). The
# package is not installed: its postinst starts a Prometheus server as a system service.
promtool:
	@bash scripts/promtool.sh >/dev/null

# go install github.com/minio/minio@MINIO_VERSION into MINIO_DIR, only when missing. Outside any
# module (GOFLAGS and GOWORK cleared, run from the cache dir) so that nothing of it reaches etl's
# go.mod; GOTOOLCHAIN=local so that this machine's Go builds it or the build says why. The binary is
# installed under a temp name and renamed, so an interrupted build never leaves a broken one.
minio: $(MINIO)

$(MINIO):
	@command -v $(GO) >/dev/null || { echo "make minio: go not found" >&2; exit 1; }
	@mkdir -p $(MINIO_DIR)/.build
	@echo "make minio: building MinIO $(MINIO_VERSION) into $(MINIO_DIR) (once per machine; takes a few minutes)" >&2
	@t0=$$(date +%s); \
	cd $(MINIO_DIR) && GOBIN=$(MINIO_DIR)/.build GOFLAGS= GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 \
		$(GO) install -trimpath github.com/minio/minio@$(MINIO_VERSION) >&2 \
		|| { echo "make minio: go install github.com/minio/minio@$(MINIO_VERSION) failed: see above" >&2; exit 1; }; \
	mv -f $(MINIO_DIR)/.build/minio $@ && rmdir $(MINIO_DIR)/.build; \
	echo "make minio: built $@ in $$(( $$(date +%s) - t0 ))s" >&2

# Prints the MinIO binary's path (building it if missing): scripts/with-minio.sh asks for it when
# run without --minio.
minio-path: $(MINIO)
	@echo $(MINIO)

test: deps minio
	PROMTOOL="$$(bash scripts/promtool.sh)"; export PROMTOOL; \
	$(WITH_CLICKHOUSE) $(WITH_MINIO) $(GO) test $(PKGS) -count=1 -timeout 15m $(GOTESTFLAGS)

# make test-cluster   ZooKeeper + 2 shards x 2 replicas of ClickHouse 18.16 (apt-installs zookeeper if
#                     missing), runs the tests behind the cluster build tag (TestCluster*, one package at a time: they kill
#                     and restart nodes) against it.
test-cluster: clickhouse-deps
	$(WITH_CLUSTER) $(GO) test -tags cluster -run '^TestCluster' ./load/clickhouse/ ./cmd/etl/ -p 1 -count=1 -timeout 30m $(GOTESTFLAGS)

demo: build
	./bin/etl demo $(DEMO_ARGS)

bench: deps
	$(WITH_CLICKHOUSE) $(GO) test -run '^$$' -bench . -skip '^Benchmark(Dashboards|RequestRate|UserflowBackfillPages|NightlyMerge)$$' -benchmem $(PKGS)
	$(MAKE) --no-print-directory bench-rate
	$(MAKE) --no-print-directory bench-dashboards
	$(MAKE) --no-print-directory bench-lake

# Request figures: each source's achieved rate at 50 ms latency and 20 req/s, and the
# pages of a 120-day Userflow backfill per chunk size (BENCHMARKS.md). No server needed.
bench-rate:
	$(GO) test ./cmd/etl/ -run '^$$' -bench '^Benchmark(RequestRate|UserflowBackfillPages)$$' -benchtime 1x -timeout 30m -v

# End-to-end figures: ~200,000 Userflow sessions from `etl sandbox --prerender`, etl
# backfill into ClickHouse and Parquet against clickhouse-client JSONEachRow and DuckDB
# read_json_auto -> Parquet of the same rows (BENCHMARKS.md). SCALE=, RUNS=, CHUNK= pass through.
bench-e2e: build deps
	$(WITH_CLICKHOUSE) env ETL=bin/etl bash scripts/bench-e2e.sh

# Dashboard figures: 10M sessions generated server-side, count()/sum() on the merge table next
# to a plain MergeTree, and a nightly load of 20,000 changed sessions (BENCHMARKS.md).
bench-dashboards: deps
	$(WITH_CLICKHOUSE) $(GO) test ./load/clickhouse/ -run '^$$' -bench '^BenchmarkDashboards$$' -benchtime 1x -timeout 30m -v

# A merge table in the lake (BENCHMARKS.md, Lakes): 10M Userflow sessions into Parquet over 28 monthly
# partitions, then nightly loads of 20,000 changed sessions of the two latest months (other sessions
# each night), as bench-dashboards does into ClickHouse: time, CPU, partitions and bytes rewritten, and
# DuckDB's count of rows and keys afterwards. No server; ~1 GB of temp disk. LAKE_ROWS= sets the size.
LAKE_ROWS ?= 10000000
bench-lake: duckdb
	ETL_BENCH_LAKE_ROWS=$(LAKE_ROWS) $(GO) test ./load/parquet/ -run '^$$' -bench '^BenchmarkNightlyMerge$$' -benchtime 3x -timeout 30m -v

# The Parquet sink on S3 (BENCHMARKS.md): ~200,000 Userflow sessions into MinIO against local disk
# (wall, CPU, peak RSS, MinIO's CPU and the requests it served), then how long a reader could see both
# a partition's old and new files. SCALE=62.5 RUNS=1 WINDOW=0: peak RSS at 1M sessions on S3.
bench-s3: build minio
	$(WITH_MINIO) env ETL=bin/etl bash scripts/bench-s3.sh

generate:
	$(GO) generate ./...

GOFILES = $(shell find . -name '*.go' -not -path '*/testdata/*' -not -path '*/node_modules/*' -not -path './.git/*')

lint:
	@files="$(GOFILES)"; unformatted="$$(if [ -n "$$files" ]; then gofmt -l $$files; fi)"; \
	if [ -n "$$unformatted" ]; then echo "gofmt -w needed on:" >&2; echo "$$unformatted" >&2; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf bin/

distclean: clean
	rm -rf $(DUCKDB_DIR)/node_modules $(CHDB_DIR)/node_modules $(CHCLIENT_DIR)/node_modules
