#!/usr/bin/env bash
# scripts/bench-e2e.sh: the end-to-end comparison, run by `make bench-e2e` inside
# scripts/with-clickhouse.sh (CLICKHOUSE_DSN, CLICKHOUSE_TCP_PORT set).
#
# Serves Userflow sessions with answers from `etl sandbox --prerender` (pages kept in memory
# once rendered, no request budget), then times, RUNS times each, median quoted:
#   ours:   etl backfill --stream content_sessions --sink clickhouse   (into a fresh database)
#   theirs: clickhouse-client INSERT ... FORMAT JSONEachRow of the same rows as JSON lines
#   ours:   etl backfill --stream content_sessions --sink parquet       (into a fresh directory)
#   theirs: DuckDB COPY (SELECT * FROM read_json_auto(...)) TO ... (FORMAT parquet)
# and, as each tool's default codec differs (ours zstd-fast, DuckDB's snappy), both again with
# one codec: ours with sink.parquet.compression snappy, and DuckDB with COMPRESSION zstd.
# Wall time and peak RSS come from /usr/bin/time -v of the whole process. Then, once each:
# Whatfix CSV reports and bot transcripts into Parquet, rows/s and CPU per row (OTHERS=0 skips).
#
# Each pair runs ours then theirs; medians of each, and the median of the pairs' ratios.
#   SCALE=12.5 RUNS=3 CHUNK=130d ETL=bin/etl scripts/with-clickhouse.sh scripts/bench-e2e.sh
# SCALE 12.5 is ~200,000 sessions (the fake makes ~150 a day for 120 days at scale 1). CHUNK
# 130d makes the backfill one walk of the list, as the reference tools read each row once;
# CHUNK= (empty) uses the stream's default chunk.
set -euo pipefail

ETL=${ETL:-bin/etl}
# The binary that serves the sandbox (a "before" build may lack --prerender).
SANDBOX_ETL=${SANDBOX_ETL:-$ETL}
SCALE=${SCALE:-12.5}
CHUNK=${CHUNK-130d}
RUNS=${RUNS:-3}
: "${CLICKHOUSE_DSN:?run inside scripts/with-clickhouse.sh}"
: "${CLICKHOUSE_TCP_PORT:?run inside scripts/with-clickhouse.sh}"

work=$(mktemp -d)
# shellcheck source=scripts/bench-sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench-sandbox.sh"
cleanup() {
	stop_sandbox
	rm -rf "$work"
}
trap cleanup EXIT

# One processor for the fake while it serves pre-rendered pages from memory: that needs one, and
# on a 2-core machine the Go runtime's second processor only spins (futex and nanosleep, ~10 system
# calls a request) on the cores the measured tool uses. A remote API costs the measured machine
# nothing; its stand-in should cost it little. etl's backfill took 0.90x the wall time against a
# one-processor sandbox (12 pairs, BENCHMARKS.md seventh round); the reference tools read files.
start_sandbox GOMAXPROCS=1

from=$(date -u -d '-125 days' +%F)
chunk=()
if [[ -n $CHUNK ]]; then chunk=(--chunk "$CHUNK"); fi
to=$(date -u +%F)
base_db=${CLICKHOUSE_DSN##*/}
dsn_root=${CLICKHOUSE_DSN%/*}
ch() { clickhouse-client --port "$CLICKHOUSE_TCP_PORT" "$@"; }

# timed LABEL CMD...: runs CMD under /usr/bin/time -v, appends "wall_s rss_mib" to $work/LABEL.
# Each run starts with nothing waiting to be written back (sync, untimed): etl's Parquet commit
# ends with a syncfs, which writes back everything dirty on the filesystem, so without it etl's run
# would pay for the parts the ClickHouse server had just written for clickhouse-client. Neither
# clickhouse-client nor DuckDB syncs, so the sync costs them nothing.
timed() {
	local label=$1; shift
	sync
	/usr/bin/time -v -o "$work/time.txt" "$@" >"$work/out.txt" 2>&1 || { echo "bench-e2e: $label failed:" >&2; tail -20 "$work/out.txt" >&2; exit 1; }
	awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); w=(n==3)?p[1]*3600+p[2]*60+p[3]:p[1]*60+p[2]}
		/Maximum resident set size/ {r=$2/1024} END {printf "%.3f %.0f\n", w, r}' "$work/time.txt" >>"$work/$label"
}
median() { sort -n -k1,1 "$work/$1" | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }

sessions_table=userflow_content_sessions
answers_table=userflow_session_answers

# A warm-up walk fills the sandbox's page cache (the pages are then served from memory).
ETL_STATE_DIR=$work/state_warm "$ETL" backfill --from "$from" --to "$to" "${chunk[@]}" --stream content_sessions --sink parquet --out "$work/pq_warm" >/dev/null 2>&1

# The rows the reference tools load: those of one untimed etl load, read back as JSON lines.
ch -q "DROP DATABASE IF EXISTS bench_e2e_rows"
CLICKHOUSE_DSN=$dsn_root/bench_e2e_rows ETL_STATE_DIR=$work/state_rows "$ETL" migrate >/dev/null 2>&1
CLICKHOUSE_DSN=$dsn_root/bench_e2e_rows ETL_STATE_DIR=$work/state_rows "$ETL" backfill --from "$from" --to "$to" "${chunk[@]}" --stream content_sessions --sink clickhouse >/dev/null 2>&1
ch -q "SELECT * FROM bench_e2e_rows.$sessions_table FORMAT JSONEachRow" --output_format_json_quote_64bit_integers=0 >"$work/sessions.jsonl"
ch -q "SELECT * FROM bench_e2e_rows.$answers_table FORMAT JSONEachRow" --output_format_json_quote_64bit_integers=0 >"$work/answers.jsonl"
sessions=$(wc -l <"$work/sessions.jsonl")
answers=$(wc -l <"$work/answers.jsonl")
rows=$((sessions + answers))

cat >"$work/ref_ch.sh" <<SH
set -e
clickhouse-client --port $CLICKHOUSE_TCP_PORT -q "INSERT INTO \$1.$sessions_table FORMAT JSONEachRow" <$work/sessions.jsonl
clickhouse-client --port $CLICKHOUSE_TCP_PORT -q "INSERT INTO \$1.$answers_table FORMAT JSONEachRow" <$work/answers.jsonl
SH
cat >"$work/ref_duck.mjs" <<JS
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync } from 'node:fs';
const out = process.argv[2];
// An optional codec; without one, DuckDB's default (snappy).
const codec = process.argv[3] ? \`, COMPRESSION \${process.argv[3]}\` : '';
mkdirSync(out);
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
await c.run(\`COPY (SELECT * FROM read_json_auto('$work/sessions.jsonl')) TO '\${out}/sessions.parquet' (FORMAT parquet\${codec})\`);
await c.run(\`COPY (SELECT * FROM read_json_auto('$work/answers.jsonl')) TO '\${out}/answers.parquet' (FORMAT parquet\${codec})\`);
JS
cp "$work/ref_duck.mjs" tools/duckdb/.bench-e2e.mjs
# Ours with DuckDB's default codec: the default config with only sink.parquet.compression changed.
sed 's/^\(    compression:\) zstd-fast /\1 snappy    /' pipelines.yaml >"$work/snappy.yaml"
grep -q '^    compression: snappy ' "$work/snappy.yaml" || { echo "bench-e2e: cannot set snappy in a copy of pipelines.yaml" >&2; exit 1; }
trap 'rm -f tools/duckdb/.bench-e2e.mjs; cleanup' EXIT

# Ours and theirs in turns (ours, theirs, ours, theirs...), so that a machine whose speed drifts
# during the call moves both alike; the ratio is also taken pair by pair.
#
# Nothing is deleted between the timed runs; every output (databases, directories, state) goes
# at the end. On a journal-less ext4 (this project's VMs) a file or directory created within
# seconds of a mass deletion costs up to 1 ms of kernel CPU (ext4 skips recently deleted inodes
# one by one), and the deletions of one run's outputs then slowed the next runs, but only those
# that create many files: ours writes ~500 (a directory and a file per table and day), DuckDB 2.
# A nightly run does not follow thousands of deletions, so the benchmark should not either.
for i in $(seq 1 "$RUNS"); do
	db=bench_e2e_$i
	ch -q "DROP DATABASE IF EXISTS $db"
	CLICKHOUSE_DSN=$dsn_root/$db ETL_STATE_DIR=$work/state_ch_$i "$ETL" migrate >/dev/null 2>&1
	CLICKHOUSE_DSN=$dsn_root/$db ETL_STATE_DIR=$work/state_ch_$i timed ours_ch "$ETL" backfill --from "$from" --to "$to" "${chunk[@]}" --stream content_sessions --sink clickhouse
	ch -q "DROP DATABASE IF EXISTS bench_ref_$i"
	ch -q "CREATE DATABASE bench_ref_$i"
	ch -q "CREATE TABLE bench_ref_$i.$sessions_table AS bench_e2e_rows.$sessions_table"
	ch -q "CREATE TABLE bench_ref_$i.$answers_table AS bench_e2e_rows.$answers_table"
	timed theirs_ch bash "$work/ref_ch.sh" "bench_ref_$i"
	ETL_STATE_DIR=$work/state_pq_$i timed ours_pq "$ETL" backfill --from "$from" --to "$to" "${chunk[@]}" --stream content_sessions --sink parquet --out "$work/pq_$i"
	timed theirs_pq node tools/duckdb/.bench-e2e.mjs "$work/duck_$i"
	ETL_STATE_DIR=$work/state_pqs_$i timed ours_pq_snappy "$ETL" --config "$work/snappy.yaml" backfill --from "$from" --to "$to" "${chunk[@]}" --stream content_sessions --sink parquet --out "$work/pqs_$i"
	timed theirs_pq_zstd node tools/duckdb/.bench-e2e.mjs "$work/duckz_$i" zstd
done
# Output sizes of the first runs, MiB.
size() { du -sm "$1" | cut -f1; }
sizes="files (MiB): ours zstd-fast $(size "$work/pq_1"), snappy $(size "$work/pqs_1"); duckdb snappy $(size "$work/duck_1"), zstd $(size "$work/duckz_1")"
drop_outputs() {
	for i in $(seq 1 "$RUNS"); do ch -q "DROP DATABASE IF EXISTS bench_e2e_$i"; ch -q "DROP DATABASE IF EXISTS bench_ref_$i"; done
	ch -q "DROP DATABASE IF EXISTS bench_e2e_rows"
	rm -rf "$work"/pq_* "$work"/pqs_* "$work"/duck_* "$work"/duckz_* "$work"/state_*
}

echo "bench-e2e: $sessions sessions + $answers answers = $rows rows, $RUNS runs each, medians (wall s, peak RSS MiB)"
report() { # label ours theirs what
	read -r ow orss <<<"$(median "$2")"
	read -r tw trss <<<"$(median "$3")"
	# The median of the pairs' ratios (run i of ours against run i of theirs).
	pr=$(paste -d' ' "$work/$2" "$work/$3" | awk '{print $3/$1}' | sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}')
	awk -v l="$1" -v ow="$ow" -v orss="$orss" -v tw="$tw" -v trss="$trss" -v rows="$rows" -v what="$4" -v pr="$pr" 'BEGIN {
		printf "%-10s ours %6.2f s %8.0f rows/s %5d MiB | %s %6.2f s %8.0f rows/s %5d MiB | ratio %.2fx (of pairs %.2fx)\n",
			l, ow, rows/ow, orss, what, tw, rows/tw, trss, tw/ow, pr }'
}
report clickhouse ours_ch theirs_ch "clickhouse-client JSONEachRow"
report parquet ours_pq theirs_pq "duckdb read_json_auto->parquet"
# The same, one codec for both.
report "pq snappy" ours_pq_snappy theirs_pq "duckdb, snappy (its default)"
report "pq zstd" ours_pq theirs_pq_zstd "duckdb, COMPRESSION zstd"
echo "  $sizes"
for l in ours_ch theirs_ch ours_pq theirs_pq ours_pq_snappy theirs_pq_zstd; do echo "  $l runs: $(tr '\n' ';' <"$work/$l")"; done
drop_outputs

# The other sources: Whatfix CSV reports and bot transcripts, rows/s end to end
# and CPU per row, into Parquet (30 days, the sandbox's live fakes at SCALE).
export ETL_STATE_DIR=$work/state
other() { # label args...
	local label=$1; shift
	rm -rf "$ETL_STATE_DIR" "$work/other"
	/usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" "$ETL" --log-level warn backfill --from "$(date -u -d '-30 days' +%F)" --to "$to" \
		--sink parquet --out "$work/other" "$@" >"$work/out.txt" 2>&1 || { echo "bench-e2e: $label failed:" >&2; tail -20 "$work/out.txt" >&2; exit 1; }
	local n
	n=$(awk '$1 == "TOTAL" {print $2}' "$work/out.txt")
	read -r wall user sys rss <"$work/time.txt"
	awk -v l="$label" -v n="$n" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
		printf "%-22s %8d rows %6.2f s %8.0f rows/s  CPU %5.1f us/row  %4d MiB\n", l, n, w, n/w, (u+s)*1e6/n, r/1024 }'
}
if [[ ${OTHERS:-1} != 0 ]]; then
	# These fakes render every answer (CSV reports, transcripts) as it is asked for: all processors.
	start_sandbox
	other "whatfix reports (CSV)" --source whatfix
	other "bot transcripts" --stream bot.transcripts
fi
