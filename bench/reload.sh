#!/usr/bin/env bash
# The reload benchmark, in one command: installs wrk and PM2 (into bench/node), builds the sample,
# reloads N = 4 and 16 workers under wrk load for ours and PM2 side by side, and writes its section
# of BENCHMARKS.md. Other counts: bench/reload.sh 8 32. Not part of the build or of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v node >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm; }
(cd bench/node && npm install --no-audit --no-fund --loglevel=error)
./mvnw -q -pl sample-app -am package -DskipTests
mkdir -p bench/.work
if [ $# -eq 0 ]; then set -- 4 16; elif [ "$*" = --boot ]; then set -- --boot 4; fi
exec python3 bench/reload.py "$@"
