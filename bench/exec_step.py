"""The exec-in-place step's cost: posix_spawn → exit of /bin/true, through setpriv as the native
launcher spawns, with and without the `sh -c` step that sets LISTEN_PID/WATCHDOG_PID to the worker's
own pid. Prints one JSON object (median and p99 in ms over N spawns each, interleaved)."""
import json, os, sys, time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 500
SETPRIV = ['/usr/bin/setpriv', '--pdeathsig', 'KILL', '--']
STEP = ['/bin/sh', '-c', '[ "$PPID" = "$CFORK_MASTER_PID" ] || exit 1; LISTEN_PID=$$; export LISTEN_PID; '
        'WATCHDOG_PID=$$; export WATCHDOG_PID; exec "$@"', 'sh']
env = dict(os.environ, CFORK_MASTER_PID=str(os.getpid()))
runs = {'without': SETPRIV + ['/bin/true'], 'with': SETPRIV + STEP + ['/bin/true']}
times = {k: [] for k in runs}
for _ in range(N):
    for name, argv in runs.items():
        start = time.monotonic_ns()
        pid = os.posix_spawn(argv[0], argv, env)
        _, status = os.waitpid(pid, 0)
        times[name].append((time.monotonic_ns() - start) / 1e6)
        assert status == 0, (name, status)
def summary(values):
    values = sorted(values)
    return {'median': round(values[len(values) // 2], 2), 'p99': round(values[int(len(values) * 0.99) - 1], 2)}
print(json.dumps({'spawns': N, 'withoutStepMs': summary(times['without']), 'withStepMs': summary(times['with'])}))
