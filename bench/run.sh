#!/usr/bin/env bash
# The benchmark, in one command: installs its peers, builds the masters, runs, writes BENCHMARKS.md
# and bench/benchmarks.png (--launchers: only the launchers' section, without Node). Not part of the
# build or of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
# --checks: readiness and liveness (ChecksBench, exec_step.py); prints JSON lines, BENCHMARKS.md quotes them.
if [ "${1:-}" != "--launchers" ] && [ "${1:-}" != "--checks" ]; then
  command -v gnuplot >/dev/null || { apt-get update -qq && apt-get install -y -qq gnuplot-nox; }
  command -v node >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm; }
  (cd bench/node && npm install --no-audit --no-fund --loglevel=error)
fi
./mvnw -q -Pbench -pl bench -am package -DskipTests
mkdir -p bench/.work
gcc -O2 -o bench/.work/floor bench/floor.c
gcc -O2 -o bench/.work/refork bench/refork.c
if [ "${1:-}" = "--checks" ]; then
  checks() {
    java -cp bench/target/cfork-bench.jar -Dloader.main=io.cfork.bench.ChecksBench \
      org.springframework.boot.loader.launch.PropertiesLauncher "$@"
  }
  checks ready
  checks hang
  checks cpu 100
  exec python3 bench/exec_step.py 500
fi
exec python3 bench/run.py "$@"
