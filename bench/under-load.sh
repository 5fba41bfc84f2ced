#!/usr/bin/env bash
# The sample under load while its workers are replaced one after another: wrk (16 connections)
# against port 3001 for $DURATION seconds while this script SIGTERMs a worker, waits until its
# slot has a new ready worker, and goes on to the next slot. Run once per mode and per connection
# style:
#   master    the sample as shipped: every worker accepts on the master's socket (cfork.listen)
#   reuseport the same workers without cfork.listen: each binds 3001 itself with SO_REUSEPORT
#   node      bench/node/listen-fd.js (listen({fd: 3})) under the sample's master
# Prints one JSON line per run. Needs wrk, jq, curl; uses ports 3001 and 8080.
# Usage: bench/under-load.sh [mode:keep-alive|mode:close ...]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-30}
JAR=sample-app/target/sample-app-0.1.0-SNAPSHOT.jar
[ -f "$JAR" ] || ./mvnw -q -pl sample-app -am package -DskipTests
WORK=bench/.work/under-load
mkdir -p "$WORK"

run() {
	local mode=$1 connection=$2
	local args=()
	case $mode in
		master) ;;
		reuseport) args+=(--cfork.listen=) ;;
		node) args+=(--cfork.java.main-class= --cfork.exec=node "--cfork.args=$PWD/bench/node/listen-fd.js"
			--cfork.listen-stdin=false) ;;
	esac
	java -jar "$JAR" "${args[@]}" >"$WORK/$mode-$connection.log" 2>&1 &
	local master=$!
	trap 'kill $master 2>/dev/null; wait $master 2>/dev/null || true' RETURN
	local pool
	for _ in $(seq 1 300); do
		pool=$(curl -s localhost:8080/actuator/cfork || true)
		[ "$(jq -r '.ready // 0' <<<"$pool" 2>/dev/null)" = 4 ] && break
		sleep 0.1
	done
	[ "$(jq -r '.ready' <<<"$pool")" = 4 ] || { echo "$mode: pool not ready" >&2; return 1; }
	local header=()
	[ "$connection" = close ] && header=(-H 'Connection: close')
	wrk -t2 -c16 -d"${DURATION}s" "${header[@]}" http://127.0.0.1:3001/ >"$WORK/$mode-$connection.wrk" 2>&1 &
	local load=$! replaced=0 end=$((SECONDS + DURATION - 1))
	while [ $SECONDS -lt $end ]; do
		local index=$((replaced % 4))
		local old
		old=$(curl -s localhost:8080/actuator/cfork | jq -r ".workers[] | select(.index == $index) | .pid")
		kill -TERM "$old"
		# The slot's next worker, ready.
		for _ in $(seq 1 200); do
			[ "$(curl -s localhost:8080/actuator/cfork | jq -r ".workers[] | select(.index == $index)
				| select(.pid != $old and .readyAt != null) | .pid")" != "" ] && break
			sleep 0.05
		done
		replaced=$((replaced + 1))
	done
	wait $load
	python3 - "$mode" "$connection" "$replaced" "$WORK/$mode-$connection.wrk" <<'EOF'
import json, re, sys
mode, connection, replaced, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
text = open(path).read()
requests = int(re.search(r'(\d+) requests in', text).group(1))
errors = re.search(r'Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)', text)
non2xx = re.search(r'Non-2xx or 3xx responses: (\d+)', text)
result = {'mode': mode, 'connection': connection, 'replaced': replaced, 'requests': requests,
          'connect': 0, 'read': 0, 'write': 0, 'timeout': 0, 'non2xx': int(non2xx.group(1)) if non2xx else 0}
if errors:
    result.update(zip(('connect', 'read', 'write', 'timeout'), map(int, errors.groups())))
print(json.dumps(result))
EOF
}

# Every mode with both connection styles, or the runs given as mode:connection arguments.
if [ $# -eq 0 ]; then
	set -- master:keep-alive master:close reuseport:keep-alive reuseport:close node:keep-alive node:close
fi
for one in "$@"; do
	run "${one%%:*}" "${one##*:}"
done
