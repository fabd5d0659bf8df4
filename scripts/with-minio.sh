#!/usr/bin/env bash
# scripts/with-minio.sh: a private MinIO server (an S3-compatible store) for one test run.
#
#   scripts/with-minio.sh [--minio PATH] CMD [ARG...]
#
# Starts MinIO's server (PATH, else $MINIO_BIN, else the one `make minio-path` builds and caches)
# on a free loopback port with a temp dir, waits for /minio/health/live, creates a bucket and a
# read-only credential, runs CMD with:
#   ETL_TEST_S3_ENDPOINT           http://127.0.0.1:PORT
#   ETL_TEST_S3_BUCKET             etl-test (empty; tests write under prefixes of their own)
#   ETL_TEST_S3_REGION             us-east-1
#   ETL_TEST_S3_ACCESS_KEY_ID      the root user: may do anything
#   ETL_TEST_S3_SECRET_ACCESS_KEY
#   ETL_TEST_S3_RO_ACCESS_KEY_ID   temporary credentials limited to listing and reading the bucket
#   ETL_TEST_S3_RO_SECRET_ACCESS_KEY
#   ETL_TEST_S3_RO_SESSION_TOKEN
#   ETL_TEST_S3_PID                MinIO's PID (benchmarks read its CPU time)
# then stops MinIO by its PID (on exit, failure or interrupt) and exits with CMD's status.
#
# The names are ETL_TEST_S3_*, not AWS_*: the test run's own AWS settings (a developer's profile or
# keys) are neither overwritten nor used; each test hands the store's settings to the code it
# tests (testsupport.S3). Composes with with-clickhouse.sh:
#   bash scripts/with-clickhouse.sh bash scripts/with-minio.sh go test ./...
#
# The read-only credential: MinIO's admin API (users, policies) needs the `mc` client or the madmin
# library, neither of which the tests have. STS AssumeRole, which MinIO serves like AWS, gives the
# same from curl alone: temporary credentials whose session policy allows only s3:ListBucket and
# s3:GetObject, valid 12 hours.
#
# MinIO is AGPL-3.0: it runs here as a separate test server and is never linked into etl.
# Needs curl (7.75+ for --aws-sigv4; apt-get installs it if missing).
# Set MINIO_KEEP_TMP=1 to keep the temp dir (data, log) after the run.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=with-clickhouse.sh
source "$HERE/with-clickhouse.sh" # free_port, pid_listens, stop_pid, run_cmd, on_signal
die() { echo "with-minio: error: $*" >&2; exit 1; }
note() { echo "with-minio: $*" >&2; }

BUCKET=etl-test
REGION=us-east-1
ROOT_USER=etl-test-root
# Not a secret: a throwaway server on loopback, gone when the run ends.
ROOT_PASSWORD=etl-test-root-password

install_curl() {
	command -v curl >/dev/null 2>&1 && curl --help all 2>/dev/null | grep -q -- --aws-sigv4 && return 0
	local sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		command -v sudo >/dev/null 2>&1 || die "curl 7.75+ is needed and this is not root (no sudo): run 'apt-get install curl' as root"
		sudo=(sudo)
	fi
	command -v apt-get >/dev/null 2>&1 || die "curl 7.75+ is needed and apt-get is missing: install curl by hand"
	local log="${TMPDIR:-/tmp}/curl-apt.log"
	note "installing curl with apt-get (log: $log)"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q update >"$log" 2>&1 ||
		{ tail -n 20 "$log" >&2; die "apt-get update failed (full log: $log)"; }
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q -y \
		--no-install-recommends install curl ca-certificates >>"$log" 2>&1 </dev/null ||
		{ tail -n 30 "$log" >&2; die "apt-get install curl failed (full log: $log)"; }
	curl --help all 2>/dev/null | grep -q -- --aws-sigv4 || die "curl $(curl --version | head -n1) has no --aws-sigv4 (7.75+ needed)"
}

MINIO_DIR=""
MINIO_PID=""
stop_minio() {
	stop_pid minio "$MINIO_PID" 15
	MINIO_PID=""
	if [[ -n $MINIO_DIR && -d $MINIO_DIR ]]; then
		if [[ -n ${MINIO_KEEP_TMP:-} ]]; then
			note "kept $MINIO_DIR"
		else
			rm -rf "$MINIO_DIR"
		fi
	fi
	MINIO_DIR=""
}

log_tail() {
	if [[ -s $MINIO_DIR/minio.log ]]; then
		echo "---- last lines of $MINIO_DIR/minio.log ----" >&2
		tail -n 25 "$MINIO_DIR/minio.log" >&2
	fi
}

# s3 METHOD PATH [CURL ARGS...]: a SigV4-signed request to the server as root.
s3() {
	local method=$1 path=$2
	shift 2
	curl -sS --fail-with-body --max-time 30 --aws-sigv4 "aws:amz:$REGION:s3" \
		--user "$ROOT_USER:$ROOT_PASSWORD" -X "$method" "$ENDPOINT$path" "$@"
}

ENDPOINT=""
start_minio() {
	local bin=$1 attempt i t0 port
	t0=$(now_ms)
	MINIO_DIR=$(mktemp -d "${TMPDIR:-/tmp}/etl-minio.XXXXXX") || die "mktemp failed"
	for attempt in 1 2 3 4 5; do
		free_port
		port=$PORT
		rm -rf "${MINIO_DIR:?}"/*
		mkdir -p "$MINIO_DIR/data"
		# The console gets a port of its own choosing (0); nothing uses it.
		# Metrics without a token: benchmarks count the requests the server served.
		MINIO_ROOT_USER=$ROOT_USER MINIO_ROOT_PASSWORD=$ROOT_PASSWORD MINIO_BROWSER=off \
			MINIO_UPDATE=off MINIO_CALLHOME_ENABLE=off MINIO_PROMETHEUS_AUTH_TYPE=public \
			"$bin" server "$MINIO_DIR/data" --address "127.0.0.1:$port" --console-address 127.0.0.1:0 --quiet \
			>"$MINIO_DIR/minio.log" 2>&1 </dev/null &
		MINIO_PID=$!
		# 300 x 0.1 s = 30 s.
		for ((i = 0; i < 300; i++)); do
			kill -0 "$MINIO_PID" 2>/dev/null || break
			if pid_listens "$MINIO_PID" "$port" &&
				curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$port/minio/health/live" 2>/dev/null; then
				ENDPOINT="http://127.0.0.1:$port"
				note "started minio (pid $MINIO_PID, $ENDPOINT, dir $MINIO_DIR) in $(secs_since "$t0")"
				return 0
			fi
			sleep 0.1
		done
		if ! kill -0 "$MINIO_PID" 2>/dev/null; then
			wait "$MINIO_PID" 2>/dev/null || true
			MINIO_PID=""
			if grep -qs 'address already in use' "$MINIO_DIR/minio.log"; then
				note "port $port was taken meanwhile (attempt $attempt): retrying with another"
				continue
			fi
			log_tail
			die "minio exited before answering (rerun with MINIO_KEEP_TMP=1 to keep $MINIO_DIR)"
		fi
		log_tail
		die "minio (pid $MINIO_PID, port $port) did not answer /minio/health/live within 30s"
	done
	log_tail
	die "could not start minio: its port was taken 5 times in a row"
}

# read_only_credentials: STS AssumeRole as root with a session policy that allows listing and
# reading the bucket only; sets RO_KEY, RO_SECRET, RO_TOKEN.
RO_KEY="" RO_SECRET="" RO_TOKEN=""
read_only_credentials() {
	local policy out
	policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket","s3:GetBucketLocation"],"Resource":["arn:aws:s3:::'$BUCKET'"]},{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::'$BUCKET'/*"]}]}'
	out=$(curl -sS --fail-with-body --max-time 30 --aws-sigv4 "aws:amz:$REGION:sts" \
		--user "$ROOT_USER:$ROOT_PASSWORD" -X POST "$ENDPOINT/" \
		--data-urlencode Action=AssumeRole --data-urlencode Version=2011-06-15 \
		--data-urlencode DurationSeconds=43200 --data-urlencode "Policy=$policy") ||
		die "STS AssumeRole for the read-only credentials failed: $out"
	RO_KEY=$(sed -n 's:.*<AccessKeyId>\([^<]*\)</AccessKeyId>.*:\1:p' <<<"$out")
	RO_SECRET=$(sed -n 's:.*<SecretAccessKey>\([^<]*\)</SecretAccessKey>.*:\1:p' <<<"$out")
	RO_TOKEN=$(sed -n 's:.*<SessionToken>\([^<]*\)</SessionToken>.*:\1:p' <<<"$out")
	[[ -n $RO_KEY && -n $RO_SECRET && -n $RO_TOKEN ]] || die "STS AssumeRole answered without credentials: $out"
}

main() {
	local bin=${MINIO_BIN:-}
	if [[ ${1:-} == --minio ]]; then
		[[ $# -ge 2 ]] || die "--minio needs a path"
		bin=$2
		shift 2
	fi
	[[ $# -gt 0 ]] || die "usage: $0 [--minio PATH] CMD [ARG...]"
	if [[ -z $bin ]]; then
		bin=$(make --no-print-directory -s -C "$HERE/.." minio-path) || die "could not build MinIO: run make minio"
	fi
	[[ -x $bin ]] || die "no MinIO server at $bin: run make minio (it builds and caches one)"
	install_curl
	trap stop_minio EXIT
	trap 'on_signal INT stop_minio' INT
	trap 'on_signal TERM stop_minio' TERM
	trap 'on_signal HUP stop_minio' HUP
	start_minio "$bin"
	s3 PUT "/$BUCKET" -o /dev/null || die "could not create bucket $BUCKET"
	read_only_credentials
	export ETL_TEST_S3_ENDPOINT=$ENDPOINT
	export ETL_TEST_S3_BUCKET=$BUCKET
	export ETL_TEST_S3_REGION=$REGION
	export ETL_TEST_S3_ACCESS_KEY_ID=$ROOT_USER
	export ETL_TEST_S3_SECRET_ACCESS_KEY=$ROOT_PASSWORD
	export ETL_TEST_S3_RO_ACCESS_KEY_ID=$RO_KEY
	export ETL_TEST_S3_RO_SECRET_ACCESS_KEY=$RO_SECRET
	export ETL_TEST_S3_RO_SESSION_TOKEN=$RO_TOKEN
	export ETL_TEST_S3_PID=$MINIO_PID
	note "ETL_TEST_S3_ENDPOINT=$ENDPOINT ETL_TEST_S3_BUCKET=$BUCKET"
	local rc=0
	run_cmd "$@" || rc=$?
	stop_minio
	return "$rc"
}

main "$@"
