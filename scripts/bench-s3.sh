#!/usr/bin/env bash
# scripts/bench-s3.sh: the Parquet sink on S3 against local disk, run by `make bench-s3` inside
# scripts/with-minio.sh (ETL_TEST_S3_* set, MinIO's metrics public).
#
# Serves Userflow sessions with answers from `etl sandbox --prerender`, as bench-e2e.sh does, then
# RUNS times, in turns:
#   etl backfill --stream content_sessions --chunk CHUNK --out DIR                 (local disk)
#   etl backfill --stream content_sessions --chunk CHUNK --out s3://BUCKET/PREFIX  (MinIO)
# Wall time, CPU and peak RSS of etl come from /usr/bin/time; MinIO's CPU from /proc/PID/stat; the
# requests MinIO served, by S3 operation, from its metrics (minio_api_requests_total), so every request
# counts, the state's and the lock's too. Medians are printed, and the requests of one run.
#
# Then the window in which a reader could see both a partition's old files and its new ones:
# a backfill into MinIO in WINDOW_CHUNK chunks, then the same command again, whose commits
# each replace the partitions of their chunk; every commit logs both_parts_ms (its first upload
# to its last delete) and both_parts_after_uploads_ms (its last upload to its last delete).
# Percentiles of both over the second backfill's commits are printed (WINDOW=0 skips it).
#
#   SCALE=12.5 RUNS=3 CHUNK=130d ETL=bin/etl scripts/with-minio.sh scripts/bench-s3.sh
# SCALE 12.5 is ~200,000 sessions, 62.5 ~1M (RUNS=1 WINDOW=0 for the memory figure alone).
set -euo pipefail

ETL=${ETL:-bin/etl}
SCALE=${SCALE:-12.5}
CHUNK=${CHUNK-130d}
RUNS=${RUNS:-3}
WINDOW=${WINDOW:-1}
WINDOW_CHUNK=${WINDOW_CHUNK:-2d}
: "${ETL_TEST_S3_ENDPOINT:?run inside scripts/with-minio.sh}"
: "${ETL_TEST_S3_PID:?run inside scripts/with-minio.sh}"

work=$(mktemp -d)
SANDBOX_ETL=$ETL
# shellcheck source=scripts/bench-sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench-sandbox.sh"
cleanup() {
	stop_sandbox
	rm -rf "$work"
}
trap cleanup EXIT

# One processor for the fake, as in bench-e2e.sh: a remote API costs the measured machine nothing.
start_sandbox GOMAXPROCS=1

# The S3 settings a user gives: the SDK's standard chain and AWS_ENDPOINT_URL_S3.
export AWS_ENDPOINT_URL_S3=$ETL_TEST_S3_ENDPOINT AWS_REGION=$ETL_TEST_S3_REGION
export AWS_ACCESS_KEY_ID=$ETL_TEST_S3_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$ETL_TEST_S3_SECRET_ACCESS_KEY
export AWS_CONFIG_FILE=$work/none AWS_SHARED_CREDENTIALS_FILE=$work/none AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_ENDPOINT_URL AWS_SESSION_TOKEN
bucket=s3://$ETL_TEST_S3_BUCKET/bench-s3-$$

from=$(date -u -d '-125 days' +%F)
to=$(date -u +%F)
chunk=()
if [[ -n $CHUNK ]]; then chunk=(--chunk "$CHUNK"); fi
backfill=(backfill --from "$from" --to "$to" --stream content_sessions)

# requests: MinIO's count of the S3 requests it served, by operation ("api count" lines).
requests() {
	# v3: counted as served (v2's cluster metrics are cached for seconds).
	curl -fsS "$ETL_TEST_S3_ENDPOINT/minio/metrics/v3/api/requests" |
		awk -F'[{}"]' '/^minio_api_requests_total\{/ && /type="s3"/ {for (i = 1; i < NF; i++) if ($i == "name=") api = $(i+1); split($0, v, " "); print api, v[2]}' | sort
}
# minio_cpu: MinIO's CPU seconds so far.
minio_cpu() { awk -v t="$(getconf CLK_TCK)" '{print ($14 + $15) / t}' "/proc/$ETL_TEST_S3_PID/stat"; }

# timed LABEL CMD...: runs CMD under /usr/bin/time, appends "wall cpu rss_mib minio_cpu" to
# $work/LABEL; for S3 runs, MinIO's requests go to $work/LABEL.requests.N.
timed() {
	local label=$1; shift
	sync
	local r0 c0
	r0=$(requests); c0=$(minio_cpu)
	/usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" "$@" >"$work/out.txt" 2>&1 || { echo "bench-s3: $label failed:" >&2; tail -20 "$work/out.txt" >&2; exit 1; }
	local c1 n=0
	c1=$(minio_cpu)
	if [[ -f $work/$label ]]; then n=$(wc -l <"$work/$label"); fi
	join -a2 -e0 -o 0,1.2,2.2 <(echo "$r0") <(requests) | awk '{if ($3 - $2 > 0) print $1, $3 - $2}' >"$work/$label.requests.$n"
	read -r wall user sys rss <"$work/time.txt"
	awk -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v m="$(awk -v a="$c0" -v b="$c1" 'BEGIN {print b - a}')" \
		'BEGIN {printf "%.2f %.2f %.0f %.2f\n", w, u + s, r / 1024, m}' >>"$work/$label"
}
median() { # file column
	sort -n -k"$2","$2" "$work/$1" | awk -v c="$2" '{a[NR]=$c} END {print a[int((NR+1)/2)]}'
}

for i in $(seq 1 "$RUNS"); do
	timed local "$ETL" "${backfill[@]}" "${chunk[@]}" --out "$work/local_$i"
	timed s3 "$ETL" "${backfill[@]}" "${chunk[@]}" --out "$bucket/run-$i"
done
rows=$(awk '$1 == "TOTAL" {print $2}' "$work/out.txt")
echo "bench-s3: $rows rows (SCALE=$SCALE, --chunk ${CHUNK:-default}), $RUNS runs each, medians"
for l in local s3; do
	printf '%-10s wall %6.2f s  CPU %6.2f s  peak RSS %4d MiB  MinIO CPU %6.2f s\n' "$l" \
		"$(median "$l" 1)" "$(median "$l" 2)" "$(median "$l" 3)" "$(median "$l" 4)"
done
echo "  local runs (wall cpu rss minio_cpu): $(tr '\n' ';' <"$work/local")"
echo "  s3 runs    (wall cpu rss minio_cpu): $(tr '\n' ';' <"$work/s3")"
echo "  requests MinIO served for the first S3 run: $(awk '{t += $2; printf "%s %d, ", $1, $2} END {printf "total %d", t}' "$work/s3.requests.0")"

if [[ $WINDOW != 0 ]]; then
	# A first load, then the same command: each commit of the second replaces its partitions.
	"$ETL" "${backfill[@]}" --chunk "$WINDOW_CHUNK" --out "$bucket/window" >/dev/null 2>&1
	"$ETL" --log-format json "${backfill[@]}" --chunk "$WINDOW_CHUNK" --out "$bucket/window" >"$work/window.out" 2>"$work/window.log"
	pct() { # field
		grep '"msg":"parquet: committed"' "$work/window.log" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" | sort -n |
			awk '{a[NR]=$1} END {if (NR == 0) {print "none"; exit} printf "p50 %d ms, p90 %d ms, p99 %d ms, max %d ms over %d commits", a[int(NR*0.5+0.5)], a[int(NR*0.9+0.5)], a[int(NR*0.99+0.5)], a[NR], NR}'
	}
	echo "both parts visible (--chunk $WINDOW_CHUNK, the same backfill again into MinIO):"
	echo "  first upload to last delete: $(pct both_parts_ms)"
	echo "  last upload to last delete:  $(pct both_parts_after_uploads_ms)"
fi
