# scripts/bench-sandbox.sh: sourced by the bench scripts, which set work (a temp dir), SCALE and
# SANDBOX_ETL (the binary that serves the sandbox) first. Serves the pre-rendered sandbox the
# benchmarks read from, and sources the variables it prints.

sandbox_pid=

# stop_sandbox: stops the sandbox, if one runs.
stop_sandbox() {
	if [[ -n $sandbox_pid ]]; then kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; fi
	sandbox_pid=
}

# start_sandbox [VAR=VALUE...]: (re)starts the sandbox under that environment and sources what it
# prints.
start_sandbox() {
	stop_sandbox
	rm -f "$work/env"
	env "$@" "$SANDBOX_ETL" sandbox --scale "$SCALE" --prerender >"$work/env" 2>"$work/sandbox.log" &
	sandbox_pid=$!
	for _ in $(seq 1 600); do
		grep -q USERFLOW_BASE_URL "$work/env" 2>/dev/null && break
		sleep 0.1
	done
	grep -q USERFLOW_BASE_URL "$work/env" || { echo "$(basename "$0"): the sandbox did not start:" >&2; cat "$work/sandbox.log" >&2; exit 1; }
	# shellcheck disable=SC1091
	source "$work/env"
}
