#!/usr/bin/env bash
# scripts/with-cluster.sh: a private ClickHouse cluster for one test run.
#
#   scripts/with-cluster.sh --install     install zookeeper, clickhouse-server/-client (apt) if missing
#   scripts/with-cluster.sh CMD [ARG...]  install if missing, start one ZooKeeper and four
#                                         clickhouse-server processes (2 shards x 2 replicas, cluster
#                                         etl_cluster) on free loopback ports, run CMD, stop everything
#                                         by PID and exit with CMD's status
#
# CMD gets:
#   CLICKHOUSE_CLUSTER=etl_cluster
#   CLICKHOUSE_CLUSTER_DSNS   the four nodes' DSNs, shard 1 replica 1, shard 1 replica 2, shard 2 ...
#   CLICKHOUSE_CLUSTER_NODES  the four nodes' directories, same order; each has start.sh (starts the
#                             node in the background and writes its PID to pid), pid, log/
#   CLICKHOUSE_CLUSTER_ZK     the ZooKeeper directory (start.sh, pid)
#   CLICKHOUSE_DSN            the first node's DSN
# Tests that kill a node restart it with its start.sh, so pid always names the live process and the
# stop at the end finds it.
#
# The server install and its config rewrite are scripts/with-clickhouse.sh's (sourced, not copied).
# Each node adds config.d/cluster.xml (18.16 merges <config dir>/config.d/*.xml into config.xml,
# checked: system.clusters and system.macros show it) with remote_servers, macros, zookeeper and its
# own interserver_http_host; the interserver ports differ per node since all share 127.0.0.1.
# Set CLICKHOUSE_KEEP_TMP=1 to keep the temp dir (logs) after the run.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=with-clickhouse.sh
source "$HERE/with-clickhouse.sh"
die() { echo "with-cluster: error: $*" >&2; exit 1; }
note() { echo "with-cluster: $*" >&2; }

CLUSTER=etl_cluster
ZK_CONF_DIR=/etc/zookeeper/conf

install_zookeeper() {
	if zk_classpath >/dev/null 2>&1 && command -v java >/dev/null 2>&1; then
		return 0
	fi
	local sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		command -v sudo >/dev/null 2>&1 || die "zookeeper is not installed and this is not root (no sudo): run 'apt-get install zookeeper' as root"
		sudo=(sudo)
	fi
	command -v apt-get >/dev/null 2>&1 || die "zookeeper is not installed and apt-get is missing: install ZooKeeper 3.x by hand"
	local t0 log="${TMPDIR:-/tmp}/zookeeper-apt.log"
	t0=$(now_ms)
	note "installing zookeeper with apt-get (log: $log)"
	if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q update >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		die "apt-get update failed (full log: $log)"
	fi
	if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q -y \
		--no-install-recommends install zookeeper >>"$log" 2>&1 </dev/null; then
		tail -n 30 "$log" >&2
		die "apt-get install zookeeper failed (full log: $log)"
	fi
	zk_classpath >/dev/null || die "apt-get finished but the zookeeper jars are missing under /usr/share/java"
	note "installed zookeeper in $(secs_since "$t0")"
}

# zk_classpath: the jars Debian's zookeeper package runs with (its /etc/zookeeper/conf/environment
# lists them; the package's init script needs systemd, which the tests never use).
zk_classpath() {
	[[ -f $ZK_CONF_DIR/environment ]] || return 1
	local cp
	# shellcheck disable=SC1091
	cp=$(. "$ZK_CONF_DIR/environment" >/dev/null 2>&1 && echo "${CLASSPATH:-}")
	[[ -n $cp ]] || return 1
	echo "$cp"
}

TOP=""
NODE_DIRS=()
NODE_TCP=()
ZK_DIR=""
ZK_PORT=""

# stop_pids DIR...: stop the processes whose PIDs DIR/pid name, all at once (TERM, 30 s, then KILL).
stop_pids() {
	local d pid pids=() names=() t0 i k
	t0=$(now_ms)
	for d in "$@"; do
		[[ -f $d/pid ]] || continue
		pid=$(cat "$d/pid")
		[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || continue
		kill -TERM "$pid" 2>/dev/null || true
		pids+=("$pid")
		names+=("$(basename "$d")")
	done
	for ((k = 0; k < ${#pids[@]}; k++)); do
		for ((i = 0; i < 300; i++)); do
			kill -0 "${pids[$k]}" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "${pids[$k]}" 2>/dev/null; then
			note "${names[$k]} (pid ${pids[$k]}) did not stop in 30s: killing it"
			kill -KILL "${pids[$k]}" 2>/dev/null || true
		fi
	done
	((${#pids[@]} == 0)) || note "stopped ${names[*]} (pids ${pids[*]}) in $(secs_since "$t0")"
}

stop_cluster() {
	# The servers first: stopped after ZooKeeper they would retry it until killed.
	((${#NODE_DIRS[@]} == 0)) || stop_pids "${NODE_DIRS[@]}"
	[[ -z $ZK_DIR ]] || stop_pids "$ZK_DIR"
	NODE_DIRS=()
	ZK_DIR=""
	remove_tmp "$TOP"
	TOP=""
}

CMD_PID=""

start_zookeeper() {
	local cp i
	cp=$(zk_classpath) || die "zookeeper's classpath not found in $ZK_CONF_DIR/environment"
	ZK_DIR="$TOP/zookeeper"
	mkdir -p "$ZK_DIR/data" "$ZK_DIR/log"
	free_port
	ZK_PORT=$PORT
	cat >"$ZK_DIR/zoo.cfg" <<EOF
tickTime=500
initLimit=10
syncLimit=5
dataDir=$ZK_DIR/data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr
EOF
	cat >"$ZK_DIR/log4j.properties" <<EOF
log4j.rootLogger=INFO, F
log4j.appender.F=org.apache.log4j.FileAppender
log4j.appender.F.File=$ZK_DIR/log/zookeeper.log
log4j.appender.F.layout=org.apache.log4j.PatternLayout
log4j.appender.F.layout.ConversionPattern=%d{ISO8601} %-5p %c{1}: %m%n
EOF
	cat >"$ZK_DIR/start.sh" <<EOF
#!/usr/bin/env bash
# Starts this ZooKeeper in the background and records its PID in $ZK_DIR/pid.
cd "$ZK_DIR"
setsid java -Xmx256m -Dzookeeper.log.dir="$ZK_DIR/log" -Dlog4j.configuration="file:$ZK_DIR/log4j.properties" \\
	-cp "$cp" org.apache.zookeeper.server.quorum.QuorumPeerMain "$ZK_DIR/zoo.cfg" >>"$ZK_DIR/stdout.log" 2>&1 </dev/null &
echo \$! >"$ZK_DIR/pid"
EOF
	bash "$ZK_DIR/start.sh"
	for ((i = 0; i < 600; i++)); do
		if [[ $(exec 3<>"/dev/tcp/127.0.0.1/$ZK_PORT" && printf ruok >&3 && timeout 2 cat <&3) == imok ]] 2>/dev/null; then
			return 0
		fi
		kill -0 "$(cat "$ZK_DIR/pid")" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 30 "$ZK_DIR/stdout.log" "$ZK_DIR/log/zookeeper.log" >&2 2>/dev/null || true
	die "zookeeper did not answer on 127.0.0.1:$ZK_PORT within 60s"
}

# node_config DIR SHARD REPLICA INTERSERVER: the node's config.d/cluster.xml. The cluster's ports
# are in NODE_TCP (all four nodes, shard-major).
node_config() {
	local dir=$1 shard=$2 replica=$3 inter=$4 s r f="$1/etc/config.d/cluster.xml"
	mkdir -p "$dir/etc/config.d"
	{
		echo "<yandex>"
		echo "    <interserver_http_host>127.0.0.1</interserver_http_host>"
		echo "    <interserver_http_port>$inter</interserver_http_port>"
		echo "    <remote_servers>"
		echo "        <$CLUSTER>"
		for s in 1 2; do
			echo "            <shard>"
			echo "                <internal_replication>true</internal_replication>"
			for r in 1 2; do
				echo "                <replica><host>127.0.0.1</host><port>${NODE_TCP[$(((s - 1) * 2 + r - 1))]}</port></replica>"
			done
			echo "            </shard>"
		done
		echo "        </$CLUSTER>"
		echo "    </remote_servers>"
		echo "    <zookeeper>"
		echo "        <node><host>127.0.0.1</host><port>$ZK_PORT</port></node>"
		echo "        <session_timeout_ms>10000</session_timeout_ms>"
		echo "    </zookeeper>"
		echo "    <macros>"
		echo "        <shard>0$shard</shard>"
		echo "        <replica>s${shard}r${replica}</replica>"
		echo "    </macros>"
		echo "</yandex>"
	} >"$f"
}

start_cluster() {
	local t0 s r i d http inter idx pid
	t0=$(now_ms)
	TOP=$(mktemp -d "${TMPDIR:-/tmp}/etl-cluster.XXXXXX") || die "mktemp failed"
	start_zookeeper
	note "started zookeeper (pid $(cat "$ZK_DIR/pid"), port $ZK_PORT) in $(secs_since "$t0")"
	for ((i = 0; i < 4; i++)); do
		free_port
		NODE_TCP+=("$PORT")
	done
	for s in 1 2; do
		for r in 1 2; do
			idx=$(((s - 1) * 2 + r - 1))
			d="$TOP/s${s}r${r}"
			NODE_DIRS+=("$d")
			free_port
			http=$PORT
			free_port
			inter=$PORT
			CH_DIR=$d
			write_config "${NODE_TCP[$idx]}" "$http" "$inter"
			node_config "$d" "$s" "$r" "$inter"
			cat >"$d/start.sh" <<EOF
#!/usr/bin/env bash
# Starts this clickhouse-server in the background and records its PID in $d/pid.
cd "$d"
setsid "$SERVER_BIN" --config-file="$d/etc/config.xml" >>"$d/stdout.log" 2>&1 </dev/null &
echo \$! >"$d/pid"
EOF
			bash "$d/start.sh"
		done
	done
	CH_DIR=""
	for ((idx = 0; idx < 4; idx++)); do
		d=${NODE_DIRS[$idx]}
		pid=$(cat "$d/pid")
		for ((i = 0; i < 600; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			if pid_listens "$pid" "${NODE_TCP[$idx]}" && ch_client "${NODE_TCP[$idx]}" -q 'SELECT 1' >/dev/null 2>&1; then
				break
			fi
			sleep 0.1
		done
		if ! ch_client "${NODE_TCP[$idx]}" -q 'SELECT 1' >/dev/null 2>&1; then
			tail -n 25 "$d/log/clickhouse-server.err.log" "$d/stdout.log" >&2 2>/dev/null || true
			die "clickhouse-server $(basename "$d") (tcp ${NODE_TCP[$idx]}) did not answer within 60s (ports may have been taken: rerun; CLICKHOUSE_KEEP_TMP=1 keeps $TOP)"
		fi
	done
	# Every node must see the whole cluster and ZooKeeper before tests start.
	for ((idx = 0; idx < 4; idx++)); do
		local n
		n=$(ch_client "${NODE_TCP[$idx]}" -q "SELECT count() FROM system.clusters WHERE cluster = '$CLUSTER'") ||
			die "node ${NODE_DIRS[$idx]} cannot read system.clusters"
		[[ $n == 4 ]] || die "node $(basename "${NODE_DIRS[$idx]}") sees $n replicas in cluster $CLUSTER, want 4 (config.d not read?)"
		for ((i = 0; i < 300; i++)); do
			ch_client "${NODE_TCP[$idx]}" -q "SELECT count() FROM system.zookeeper WHERE path = '/'" >/dev/null 2>&1 && break
			sleep 0.1
		done
	done
	note "started 2 shards x 2 replicas (tcp ${NODE_TCP[*]}, dir $TOP) with zookeeper in $(secs_since "$t0")"
}

main_cluster() {
	[[ $# -gt 0 ]] || die "usage: $0 --install | CMD [ARG...]"
	install_clickhouse
	install_zookeeper
	[[ $1 == --install ]] && return 0
	trap stop_cluster EXIT
	trap 'on_signal INT stop_cluster' INT
	trap 'on_signal TERM stop_cluster' TERM
	trap 'on_signal HUP stop_cluster' HUP
	start_cluster
	local dsns=() nodes d i db=etl_test
	for ((i = 0; i < 4; i++)); do
		dsns+=("clickhouse://127.0.0.1:${NODE_TCP[$i]}/$db")
	done
	export CLICKHOUSE_CLUSTER=$CLUSTER
	export CLICKHOUSE_CLUSTER_DSNS
	CLICKHOUSE_CLUSTER_DSNS=$(IFS=,; echo "${dsns[*]}")
	export CLICKHOUSE_CLUSTER_NODES
	CLICKHOUSE_CLUSTER_NODES=$(IFS=,; echo "${NODE_DIRS[*]}")
	export CLICKHOUSE_CLUSTER_ZK=$ZK_DIR
	export CLICKHOUSE_DSN=${dsns[0]}
	note "CLICKHOUSE_CLUSTER_DSNS=$CLICKHOUSE_CLUSTER_DSNS"
	# CMD runs as a job in its own process group (as in with-clickhouse.sh) so that a signal
	# reaches this script's trap at once and is passed on to go test and its test binaries.
	local rc=0
	set -m
	"$@" </dev/null &
	CMD_PID=$!
	set +m
	wait "$CMD_PID" || rc=$?
	CMD_PID=""
	stop_cluster
	return "$rc"
}

main_cluster "$@"
