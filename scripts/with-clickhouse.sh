#!/usr/bin/env bash
# scripts/with-clickhouse.sh: a private ClickHouse server for one test run.
#
#   scripts/with-clickhouse.sh --install     install clickhouse-server/-client (apt) if missing
#   scripts/with-clickhouse.sh CMD [ARG...]  install if missing, start a private server on free
#                                            loopback ports, run CMD with CLICKHOUSE_DSN,
#                                            CLICKHOUSE_TCP_PORT and CLICKHOUSE_HTTP_PORT set,
#                                            stop the server and exit with CMD's status
#
# Besides `default`, the server has the users a dashboard connects as: CLICKHOUSE_BI_USER
# (password CLICKHOUSE_BI_PASSWORD), whose profile has readonly=2 as docs/bi.md advises (it
# reads, and may set the per-query settings BI drivers send), and the package's own `readonly`
# user (readonly=1, no password: it may not change any setting).
#
# The server runs from a temp dir (data, logs, config copy) as a child of this script and
# is stopped by its PID on exit, failure or interrupt. A system clickhouse-server service
# (which the Debian package may start on 9000/8123) is never used nor touched.
# Set CLICKHOUSE_KEEP_TMP=1 to keep the temp dir (logs) after the run.
#
# ClickHouse 18.16.1 (Debian bookworm's package), observed with clickhouse-client on a
# server started by this script:
#   - MergeTree PARTITION BY tuple(): `REPLACE PARTITION tuple() FROM s` works: t then holds
#     exactly s's rows (t's old rows go; s keeps its rows). `REPLACE PARTITION ID 'all' FROM s`
#     works the same. s must have the same columns (matched by name, order may differ;
#     an extra column fails with "Code: 122 ... Tables have different structure").
#   - PARTITION BY toYYYYMM(d): `REPLACE PARTITION 202611 FROM s` when s has no rows in
#     202611 succeeds silently and EMPTIES t's 202611 (other partitions untouched); when t
#     lacks the partition and s has it, t gets s's rows. The partition must be written as a
#     number: '202611' (a string) fails with "Type mismatch ... Expected: UInt32".
#   - `DROP PARTITION 202611` when the partition does not exist: succeeds silently.
#   - `CREATE VIEW v AS SELECT * FROM db.t_raw FINAL` over ReplacingMergeTree(ver): works with
#     ver DateTime and with ver UInt64; v returns one row per key, the highest ver.
#     No CREATE OR REPLACE VIEW (syntax error); CREATE VIEW IF NOT EXISTS works.
#   - `RENAME TABLE a TO b, c TO a`: works (a then holds c's rows, b the old a's).
#     No EXCHANGE TABLES (syntax error).
#   - `EXISTS TABLE db.t` (and `EXISTS db.t`): prints 1 or 0; 0 also for a missing database.
#     No EXISTS DATABASE (syntax error): query system.databases.
#   - `SELECT name, type, default_kind, default_expression, comment FROM system.columns
#     WHERE database = .. AND table = ..` works, rows in table order; there is NO `position`
#     column (Code: 47 Unknown identifier).
#   - `INSERT INTO t SELECT * FROM t2 WHERE ...` (and with a column list) works via
#     clickhouse-client -q.
#   - JSONEachRow quotes (U)Int64 as strings unless --output_format_json_quote_64bit_integers=0;
#     `FORMAT ... SETTINGS ...` after the format is a syntax error: pass settings as flags.
set -euo pipefail

die() { echo "with-clickhouse: error: $*" >&2; exit 1; }
note() { echo "with-clickhouse: $*" >&2; }
now_ms() { date +%s%3N; }
secs_since() { # $1 = start in ms
	local d=$(($(now_ms) - $1))
	printf '%d.%03ds' $((d / 1000)) $((d % 1000))
}

SERVER_BIN=/usr/sbin/clickhouse-server
CLIENT_BIN=/usr/bin/clickhouse-client
CONF_SRC=/etc/clickhouse-server

install_clickhouse() {
	if [[ -x $SERVER_BIN && -x $CLIENT_BIN && -f $CONF_SRC/config.xml && -f $CONF_SRC/users.xml ]]; then
		return 0
	fi
	local sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		command -v sudo >/dev/null 2>&1 || die "clickhouse-server is not installed and this is not root (no sudo): run 'apt-get install clickhouse-server clickhouse-client' as root"
		sudo=(sudo)
	fi
	command -v apt-get >/dev/null 2>&1 || die "clickhouse-server is not installed and apt-get is missing: install clickhouse-server and clickhouse-client 18.16 by hand"
	note "installing clickhouse-server and clickhouse-client with apt-get (log: ${TMPDIR:-/tmp}/clickhouse-apt.log)"
	local t0 log="${TMPDIR:-/tmp}/clickhouse-apt.log"
	t0=$(now_ms)
	# The package's postinst may try to start the system service; that is left alone and
	# never used: the tests get their own server below.
	if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q update >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		die "apt-get update failed (full log: $log)"
	fi
	if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q -y \
		--no-install-recommends install clickhouse-server clickhouse-client >>"$log" 2>&1 </dev/null; then
		tail -n 30 "$log" >&2
		die "apt-get install clickhouse-server clickhouse-client failed (full log: $log)"
	fi
	[[ -x $SERVER_BIN ]] || die "apt-get finished but $SERVER_BIN is missing"
	[[ -x $CLIENT_BIN ]] || die "apt-get finished but $CLIENT_BIN is missing"
	[[ -f $CONF_SRC/config.xml ]] || die "apt-get finished but $CONF_SRC/config.xml is missing"
	note "installed $("$CLIENT_BIN" --version 2>/dev/null | head -n1) in $(secs_since "$t0")"
}

# port_in_use PORT: true if any IPv4/IPv6 TCP socket (any state) has PORT as its local port.
port_in_use() {
	local hex f
	hex=$(printf '%04X' "$1")
	for f in /proc/net/tcp /proc/net/tcp6; do
		[[ -r $f ]] || continue
		# Column 2 is local_address as HEXIP:HEXPORT.
		if awk -v p=":$hex" 'NR > 1 && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' "$f"; then
			return 0
		fi
	done
	return 1
}

# pid_listens PID PORT: true if process PID holds a listening IPv4 socket on PORT (from
# /proc, so that no probe ever talks to some other process that took the port).
pid_listens() {
	local pid=$1 hex ino fd
	hex=$(printf '%04X' "$2")
	for ino in $(awk -v p=":$hex" 'NR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { print $10 }' /proc/net/tcp); do
		for fd in /proc/"$pid"/fd/*; do
			[[ $(readlink "$fd" 2>/dev/null) == "socket:[$ino]" ]] && return 0
		done
	done
	return 1
}

# ch_client PORT ARGS...: clickhouse-client on the private server, never hanging.
ch_client() {
	local port=$1
	shift
	timeout 60 "$CLIENT_BIN" --host 127.0.0.1 --port "$port" \
		--connect_timeout=2 --receive_timeout=30 --send_timeout=30 "$@"
}

# free_port: sets PORT to a random port below the usual ephemeral range (32768+) that no
# socket uses and that this run did not already pick (not run in $(...): PICKED_PORTS must
# persist). The server may still lose a race for the port; start_server then retries with
# new ports when it reports "Address already in use".
PICKED_PORTS=" "
PORT=""
free_port() {
	local p i
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + (RANDOM % 12000)))
		[[ $PICKED_PORTS == *" $p "* ]] && continue
		port_in_use "$p" && continue
		PICKED_PORTS+="$p "
		PORT=$p
		return 0
	done
	die "could not find a free TCP port in 20000-31999"
}

# stop_pid NAME PID SECONDS: SIGTERM to a server this script started, SIGKILL if it is still
# there after SECONDS, and reap it (with-minio.sh uses it too).
stop_pid() {
	local name=$1 pid=$2 secs=$3 t0 i
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
	t0=$(now_ms)
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		note "$name (pid $pid) did not stop in ${secs}s: killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	note "stopped $name (pid $pid) in $(secs_since "$t0")"
}

CH_DIR=""
CH_PID=""
stop_server() {
	stop_pid clickhouse-server "$CH_PID" 30
	CH_PID=""
	remove_tmp "$CH_DIR"
	CH_DIR=""
}

# remove_tmp DIR: delete a run's temp dir, or keep it (and say where) with CLICKHOUSE_KEEP_TMP=1.
remove_tmp() {
	local dir=$1
	[[ -n $dir && -d $dir ]] || return 0
	if [[ -n ${CLICKHOUSE_KEEP_TMP:-} ]]; then
		note "kept $dir"
	else
		rm -rf "$dir"
	fi
}

# The dashboard user of docs/bi.md (a private loopback server: the password is no secret).
BI_USER=etl_bi
BI_PASSWORD=etl_bi_pw

# add_bi_user USERS_XML: a readonly=2 profile and the user BI_USER with it, as docs/bi.md
# tells an administrator to set up.
add_bi_user() {
	local users=$1
	sed -i \
		-e "s#^\([[:space:]]*\)</profiles>#\1    <$BI_USER><readonly>2</readonly></$BI_USER>\n\1</profiles>#" \
		-e "s#^\([[:space:]]*\)</users>#\1    <$BI_USER><password>$BI_PASSWORD</password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>$BI_USER</profile><quota>default</quota></$BI_USER>\n\1</users>#" \
		"$users"
	grep -qF "<$BI_USER><readonly>2</readonly></$BI_USER>" "$users" && grep -qF "<profile>$BI_USER</profile>" "$users" ||
		die "could not add the readonly=2 user $BI_USER to $users (has the package's users.xml changed?)"
}

# write_config TCP HTTP INTERSERVER: config.xml and users.xml in $CH_DIR/etc with every
# path under $CH_DIR, the given ports, only 127.0.0.1 to listen on, and the server's time
# zone set to UTC (DateTime without a zone then reads and prints as UTC on every machine).
write_config() {
	local tcp=$1 http=$2 inter=$3 etc="$CH_DIR/etc" cfg
	mkdir -p "$etc" "$CH_DIR/data" "$CH_DIR/tmp" "$CH_DIR/user_files" "$CH_DIR/format_schemas" "$CH_DIR/log"
	cp "$CONF_SRC/config.xml" "$CONF_SRC/users.xml" "$etc/"
	add_bi_user "$etc/users.xml"
	cfg="$etc/config.xml"
	# Only the first <path> is the server's data path (a later one is a ZooKeeper path).
	sed -i \
		-e "0,/<path>[^<]*<\/path>/s##<path>$CH_DIR/data/</path>#" \
		-e "s#<tmp_path>[^<]*</tmp_path>#<tmp_path>$CH_DIR/tmp/</tmp_path>#" \
		-e "s#<user_files_path>[^<]*</user_files_path>#<user_files_path>$CH_DIR/user_files/</user_files_path>#" \
		-e "s#<format_schema_path>[^<]*</format_schema_path>#<format_schema_path>$CH_DIR/format_schemas/</format_schema_path>#" \
		-e "s#<log>[^<]*</log>#<log>$CH_DIR/log/clickhouse-server.log</log>#" \
		-e "s#<errorlog>[^<]*</errorlog>#<errorlog>$CH_DIR/log/clickhouse-server.err.log</errorlog>#" \
		-e "s#<tcp_port>[^<]*</tcp_port>#<tcp_port>$tcp</tcp_port>#" \
		-e "s#<http_port>[^<]*</http_port>#<http_port>$http</http_port>#" \
		-e "s#<interserver_http_port>[^<]*</interserver_http_port>#<interserver_http_port>$inter</interserver_http_port>#" \
		-e "s#^\([[:space:]]*\)<interserver_http_port>#\1<listen_host>127.0.0.1</listen_host>\n\1<timezone>UTC</timezone>\n\1<interserver_http_port>#" \
		"$cfg"
	local want
	for want in "<path>$CH_DIR/data/</path>" "<tmp_path>$CH_DIR/tmp/</tmp_path>" \
		"<user_files_path>$CH_DIR/user_files/</user_files_path>" \
		"<format_schema_path>$CH_DIR/format_schemas/</format_schema_path>" \
		"<log>$CH_DIR/log/clickhouse-server.log</log>" \
		"<errorlog>$CH_DIR/log/clickhouse-server.err.log</errorlog>" \
		"<tcp_port>$tcp</tcp_port>" "<http_port>$http</http_port>" \
		"<interserver_http_port>$inter</interserver_http_port>" \
		"<listen_host>127.0.0.1</listen_host>" "<timezone>UTC</timezone>"; do
		grep -qF "$want" "$cfg" || die "could not rewrite $CONF_SRC/config.xml: $want missing in $cfg (has the package's config.xml changed?)"
	done
	# No port of the system config may survive (https/secure ports are commented out there).
	if grep -Eq '<(tcp_port|http_port)>(9000|8123)<' "$cfg"; then
		die "rewritten $cfg still uses port 9000/8123"
	fi
}

server_log_tail() {
	local f
	for f in "$CH_DIR/log/clickhouse-server.err.log" "$CH_DIR/stdout.log"; do
		if [[ -s $f ]]; then
			echo "---- last lines of $f ----" >&2
			tail -n 25 "$f" >&2
		fi
	done
}

TCP_PORT=""
HTTP_PORT=""
# start_server: start the private server and wait until clickhouse-client gets an answer.
start_server() {
	local attempt t0 i tcp http inter
	t0=$(now_ms)
	CH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/etl-clickhouse.XXXXXX") || die "mktemp failed"
	for attempt in 1 2 3 4 5; do
		free_port
		tcp=$PORT
		free_port
		http=$PORT
		free_port
		inter=$PORT
		rm -rf "${CH_DIR:?}"/*
		write_config "$tcp" "$http" "$inter"
		(cd "$CH_DIR" && exec "$SERVER_BIN" --config-file="$CH_DIR/etc/config.xml") \
			>"$CH_DIR/stdout.log" 2>&1 </dev/null &
		CH_PID=$!
		# 600 x 0.1 s = 60 s.
		for ((i = 0; i < 600; i++)); do
			if ! kill -0 "$CH_PID" 2>/dev/null; then
				break
			fi
			if pid_listens "$CH_PID" "$tcp" && ch_client "$tcp" -q 'SELECT 1' >/dev/null 2>&1; then
				TCP_PORT=$tcp
				HTTP_PORT=$http
				note "started private clickhouse-server $(ch_client "$tcp" -q 'SELECT version()' 2>/dev/null) (pid $CH_PID, tcp $tcp, http $http, dir $CH_DIR) in $(secs_since "$t0")"
				return 0
			fi
			sleep 0.1
		done
		if ! kill -0 "$CH_PID" 2>/dev/null; then
			wait "$CH_PID" 2>/dev/null || true
			CH_PID=""
			if grep -qs 'Address already in use' "$CH_DIR/log/clickhouse-server.err.log" "$CH_DIR/stdout.log"; then
				note "a picked port was taken meanwhile (attempt $attempt): retrying with new ports"
				continue
			fi
			server_log_tail
			die "clickhouse-server exited before answering (rerun with CLICKHOUSE_KEEP_TMP=1 to keep $CH_DIR)"
		fi
		server_log_tail
		die "clickhouse-server (pid $CH_PID, tcp port $tcp) did not answer 'SELECT 1' within 60s (rerun with CLICKHOUSE_KEEP_TMP=1 to keep $CH_DIR)"
	done
	server_log_tail
	die "could not start clickhouse-server: its ports were taken 5 times in a row"
}

CMD_PID=""
# on_signal SIG [STOP]: pass SIG on to CMD's process group, give it 20 s to end (then SIGKILL),
# run STOP (default stop_server; with-cluster.sh passes stop_cluster), and exit 128+n.
on_signal() {
	local sig=$1 stop=${2:-stop_server} i
	trap - INT TERM HUP
	note "caught SIG$sig: stopping"
	if [[ -n $CMD_PID ]]; then
		kill -"$sig" -- -"$CMD_PID" 2>/dev/null || kill -"$sig" "$CMD_PID" 2>/dev/null || true
		for ((i = 0; i < 200; i++)); do
			kill -0 "$CMD_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- -"$CMD_PID" 2>/dev/null || true
		wait "$CMD_PID" 2>/dev/null || true
		CMD_PID=""
	fi
	"$stop"
	case $sig in INT) exit 130 ;; TERM) exit 143 ;; *) exit 129 ;; esac
}

main() {
	[[ $# -gt 0 ]] || die "usage: $0 --install | CMD [ARG...]"
	if [[ $1 == --install ]]; then
		install_clickhouse
		return 0
	fi
	install_clickhouse
	trap stop_server EXIT
	trap 'on_signal INT' INT
	trap 'on_signal TERM' TERM
	trap 'on_signal HUP' HUP
	start_server
	local db=etl_test
	ch_client "$TCP_PORT" -q "CREATE DATABASE IF NOT EXISTS $db" ||
		die "could not create database $db"
	export CLICKHOUSE_DSN="clickhouse://127.0.0.1:$TCP_PORT/$db"
	export CLICKHOUSE_TCP_PORT=$TCP_PORT
	export CLICKHOUSE_HTTP_PORT=$HTTP_PORT
	export CLICKHOUSE_BI_USER=$BI_USER
	export CLICKHOUSE_BI_PASSWORD=$BI_PASSWORD
	note "CLICKHOUSE_DSN=$CLICKHOUSE_DSN"
	local rc=0
	run_cmd "$@" || rc=$?
	stop_server
	return "$rc"
}

# run_cmd CMD [ARG...]: runs CMD and returns its status. CMD runs as a job in its own process
# group (set -m), so that it does not ignore SIGINT as plain background commands do, and this
# script's traps run at once (bash defers traps while a foreground command runs): on_signal
# passes the signal on to the whole group (go test and its test binaries). CMD's output goes
# straight through. with-minio.sh uses it too.
run_cmd() {
	local rc=0
	set -m
	"$@" </dev/null &
	CMD_PID=$!
	set +m
	wait "$CMD_PID" || rc=$?
	CMD_PID=""
	return "$rc"
}

# scripts/with-cluster.sh sources this file for its install and config-rewrite functions.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
