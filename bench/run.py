#!/usr/bin/env python3
"""Benchmark: our pool beside Node's cfork and PM2's cluster mode, on the same Node worker, and ours
alone at scale. Run through bench/run.sh, which builds and installs what this needs.

Writes BENCHMARKS.md and bench/benchmarks.png at the repository's root. Every process it starts is
ended by pid, and checked for in /proc at the end.
"""
import glob
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
NODE_DIR = os.path.join(BENCH, 'node')
WORK = os.path.join(BENCH, '.work')
JAR = os.path.join(BENCH, 'target', 'cfork-bench.jar')
PM2 = os.path.join(NODE_DIR, 'node_modules', '.bin', 'pm2')
SUPERVISORS = ['cfork', 'pm2', 'ours']
COUNTS = [int(n) for n in os.environ.get('BENCH_COUNTS', '2,8,32').split(',')]
RUNS = int(os.environ.get('BENCH_RUNS', '3'))
KILLS = int(os.environ.get('BENCH_KILLS', '4'))
SCALE = os.environ.get('BENCH_SCALE', '8,10,100,1000').split(',')
SCALE_KILLS = os.environ.get('BENCH_SCALE_KILLS', '500')
REFORK = os.path.join(WORK, 'refork')
LAUNCHER_KILLS = os.environ.get('BENCH_LAUNCHER_KILLS', '300')
LAUNCHER_SCALE = [int(n) for n in os.environ.get('BENCH_LAUNCHER_SCALE', '8,100,1000').split(',')]
LAUNCHER_ROUNDS = int(os.environ.get('BENCH_LAUNCHER_ROUNDS', '3'))
LAUNCHER_REFORK_N = [int(n) for n in os.environ.get('BENCH_LAUNCHER_REFORK_N', '8,1000').split(',')]
LAUNCHERS = ['native', 'jdk']
PORT = 3101
RES_WORKERS = int(os.environ.get('BENCH_RES_WORKERS', '1000'))
LEAK_RATE = int(os.environ.get('BENCH_LEAK_RATE', '20'))  # MiB/s
LEAK_LIMIT = int(os.environ.get('BENCH_LEAK_LIMIT', '200'))  # MiB: max-memory, --max-memory-restart
LEAK_CAP = 1500  # MiB: the leaking worker stops growing there, whoever supervises it
RESOURCES_BEGIN = '<!-- section: resources -->'
RESOURCES_END = '<!-- /section: resources -->'
RELOAD_BEGIN = '<!-- section: reload -->'  # written by bench/reload.py
RELOAD_END = '<!-- /section: reload -->'
CHECKS_BEGIN = '<!-- section: checks -->'  # from bench/run.sh --checks, kept as it is
CHECKS_END = '<!-- /section: checks -->'
started_pids = set()


def now_ms():
    return time.time() * 1000


def children(pid):
    kids = set()
    for path in glob.glob(f'/proc/{pid}/task/*/children'):
        try:
            with open(path) as f:
                kids.update(int(p) for p in f.read().split())
        except OSError:
            pass
    return kids


def alive(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def status(pid, key):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    return -1


def ready_files(ready_dir):
    out = {}
    for name in os.listdir(ready_dir):
        if name.isdigit():
            try:
                with open(os.path.join(ready_dir, name)) as f:
                    out[int(name)] = float(f.read())
            except (OSError, ValueError):
                pass
    return out


def wait_for(predicate, timeout, interval=0.0005):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError('gave up waiting')


class Run:
    """One supervisor with N workers: start, measure, kill workers, stop."""

    def __init__(self, supervisor, count, script='worker.js'):
        self.supervisor = supervisor
        self.count = count
        self.script = script
        self.ready_dir = tempfile.mkdtemp(dir=WORK, prefix='ready-')
        self.pm2_home = tempfile.mkdtemp(dir=WORK, prefix='pm2-')
        self.env = dict(os.environ, BENCH_READY_DIR=self.ready_dir, BENCH_PORT=str(PORT), BENCH_COUNT=str(count),
                        BENCH_SCRIPT=script, PM2_HOME=self.pm2_home)
        self.process = None
        self.supervisor_pid = None
        self.started_at = None

    def start(self):
        self.started_at = now_ms()
        if self.supervisor == 'cfork':
            self.process = subprocess.Popen(['node', os.path.join(NODE_DIR, 'cfork-master.js')], env=self.env,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                            start_new_session=True)
            self.supervisor_pid = self.process.pid
        elif self.supervisor == 'pm2':
            subprocess.run([PM2, 'start', os.path.join(NODE_DIR, self.script), '-i', str(self.count), '--name',
                            'bench'], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            with open(os.path.join(self.pm2_home, 'pm2.pid')) as f:
                self.supervisor_pid = int(f.read())
        else:
            self.process = subprocess.Popen(
                ['java', '-jar', JAR, '--spring.main.web-application-type=none', '--cfork.exec=node',
                 '--cfork.args=' + os.path.join(NODE_DIR, self.script), f'--cfork.count={self.count}',
                 '--cfork.min-uptime=1s', '--cfork.launcher=jdk', '--cfork.env.BENCH_OWN_PORT=1',
                 f'--cfork.env.BENCH_READY_DIR={self.ready_dir}', f'--cfork.env.BENCH_PORT={PORT}',
                 '--logging.level.cfork.worker=WARN'],
                env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            self.supervisor_pid = self.process.pid
        started_pids.add(self.supervisor_pid)

    def wait_ready(self, timeout=120):
        files = wait_for(lambda: (lambda r: r if len(r) >= self.count else None)(ready_files(self.ready_dir)),
                         timeout, 0.002)
        started_pids.update(files)
        return files

    def pool_start(self):
        path = os.path.join(self.ready_dir, 'pool-start')
        return float(open(path).read()) if os.path.exists(path) else None

    def forking_task(self, workers):
        """The children file of the supervisor's thread that forked the workers. Polling that one
        file, not every thread's, keeps the poll equally cheap for a 7-thread Node master and an
        80-thread JVM."""
        for path in glob.glob(f'/proc/{self.supervisor_pid}/task/*/children'):
            with open(path) as f:
                if set(int(p) for p in f.read().split()) & set(workers):
                    return path
        return None

    def kill_one(self, victim, task):
        """SIGKILL a worker: ms to its replacement's process existing, and to it being ready."""
        def kids():
            try:
                with open(task) as f:
                    return set(int(p) for p in f.read().split())
            except OSError:
                return set()
        before = kids()
        known = set(ready_files(self.ready_dir))
        killed = now_ms()
        os.kill(victim, signal.SIGKILL)
        new = wait_for(lambda: kids() - before - {victim}, 30, 0.0002)
        spawned = now_ms()
        started_pids.update(new)
        ready = wait_for(lambda: {p: t for p, t in ready_files(self.ready_dir).items() if p not in known}, 30,
                         0.001)
        started_pids.update(ready)
        return spawned - killed, max(ready.values()) - killed, next(iter(ready))

    def stop(self):
        if self.supervisor == 'pm2':
            subprocess.run([PM2, 'kill'], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elif self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in list(ready_files(self.ready_dir)) + [self.supervisor_pid]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.ready_dir, ignore_errors=True)
        shutil.rmtree(self.pm2_home, ignore_errors=True)


def measure(supervisor, count):
    run = Run(supervisor, count)
    try:
        run.start()
        ready = run.wait_ready()
        result = {'cold': max(ready.values()) - run.started_at}
        if run.pool_start():
            result['pool'] = max(ready.values()) - run.pool_start()
        time.sleep(1.5)  # steady state, and every worker older than our min-uptime (1 s)
        result['rss_kb'] = status(run.supervisor_pid, 'VmRSS')
        result['threads'] = status(run.supervisor_pid, 'Threads')
        spawned, readied = [], []
        ages = dict(ready)
        task = run.forking_task(list(ready))
        for _ in range(KILLS):
            victim = min(ages, key=ages.get)  # the oldest worker: well past min-uptime
            if now_ms() - ages[victim] < 1100:
                time.sleep((1100 - (now_ms() - ages[victim])) / 1000)
            to_spawn, to_ready, replacement = run.kill_one(victim, task)
            del ages[victim]
            ages[replacement] = now_ms()
            spawned.append(to_spawn)
            readied.append(to_ready)
        result['refork_spawn'] = statistics.median(spawned)
        result['refork_ready'] = statistics.median(readied)
        return result
    finally:
        run.stop()


def crash_loop(supervisor):
    """A worker that exits 1 at once, 2 of them: forks in the first 10 s."""
    run = Run(supervisor, 2, 'crash.js')
    seen = set()
    try:
        run.start()
        deadline = time.time() + 10
        while time.time() < deadline:
            kids = children(run.supervisor_pid)
            seen |= kids
            started_pids.update(kids)
            time.sleep(0.002)
        return len(seen)
    finally:
        run.stop()


def summary(values):
    return statistics.median(values), min(values), max(values)


def fmt(values, digits=0):
    med, lo, hi = summary(values)
    return f'{med:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})'


def scale_bench(mechanism=None):
    command = ['java']
    if mechanism:
        command.append(f'-Djdk.lang.Process.launchMechanism={mechanism}')
    command += [f'-Dbench.kills={SCALE_KILLS}', '-cp', JAR, '-Dloader.main=io.cfork.bench.ScaleBench',
                'org.springframework.boot.loader.launch.PropertiesLauncher'] + SCALE
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def launcher_java(*args):
    command = ['java', '-cp', JAR, '-Dloader.main=io.cfork.bench.LauncherBench',
               'org.springframework.boot.loader.launch.PropertiesLauncher'] + [str(a) for a in args]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def launcher_bench():
    """Native launcher, JDK launcher and the C floor: SIGKILL -> replacement's first instruction at each
    pool size; the master's threads, heap and RSS at each N, each measure in a process of its own."""
    fifo = os.path.join(WORK, 'stamps.fifo')
    if os.path.exists(fifo):
        os.remove(fifo)
    os.mkfifo(fifo)
    setpriv = shutil.which('setpriv') or '/usr/bin/setpriv'
    floor = lambda n, *wrapper: json.loads(subprocess.run([REFORK, 'floor', str(n), LAUNCHER_KILLS, fifo, *wrapper],
                                                          capture_output=True, text=True, check=True).stdout)
    data = {'kills': int(LAUNCHER_KILLS), 'rounds': LAUNCHER_ROUNDS, 'refork': {}, 'pools': []}
    masters = {}
    for n in LAUNCHER_REFORK_N:
        masters[('c', n)] = lambda n=n: floor(n)
        masters[('c_setpriv', n)] = lambda n=n: floor(n, setpriv, '--pdeathsig', 'KILL', '--')
        for launcher in LAUNCHERS:
            masters[(launcher, n)] = lambda launcher=launcher, n=n: launcher_java('refork', launcher, n, REFORK, fifo,
                                                                                 LAUNCHER_KILLS)
    for round in range(LAUNCHER_ROUNDS):
        for (key, n), run in masters.items():  # interleaved: each round runs every master once
            print(f'launchers: refork round {round + 1}/{LAUNCHER_ROUNDS}, {key}, N = {n}', file=sys.stderr, flush=True)
            data['refork'].setdefault(f'{key}@{n}', []).append(run())
    for n in LAUNCHER_SCALE:
        for launcher in LAUNCHERS:
            for mode in ('captured', 'silent'):
                print(f'launchers: {n} workers, {launcher}, {mode}', file=sys.stderr, flush=True)
                data['pools'].append(launcher_java('pool', launcher, n, mode))
    os.remove(fifo)
    return data


def launcher_section(data):
    if not data:
        return []
    r = data['refork']
    middle = lambda key, field: statistics.median(m[field] for m in r[key])
    spread = lambda key, field: f"{middle(key, field):.2f} ({min(m[field] for m in r[key]):.2f}–" \
                                f"{max(m[field] for m in r[key]):.2f})"
    sizes = sorted({int(key.split('@')[1]) for key in r})
    lines = [
        '<!-- launchers -->',
        '## The two launchers: native (`posix_spawn`, pidfd, epoll) and jdk (`ProcessBuilder`)',
        '',
        'SIGKILL → the replacement\'s first instruction: a C worker (`bench/refork.c worker`) stamps the',
        'start of its `main` on `CLOCK_MONOTONIC` (the clock of `System.nanoTime()`) and writes it to a FIFO the',
        'master reads; the latency runs from just before the `kill` to that stamp. A pool of N,',
        f"{data['kills']} SIGKILLs one slot after another, 10 ms apart. The floor is a C master doing the same with",
        'a plain `posix_spawn` and `waitpid` (`bench/refork.c floor`), without and with the `setpriv',
        f"--pdeathsig KILL` exec both launchers add. {data['rounds']} rounds, each running every master once, in a",
        'process of its own: the median of the runs\' medians and p99s (min–max over the runs).',
        '',
        '| N | master | median (ms) | p99 (ms) | median / C floor | p99 / C floor\'s p99 |',
        '|---|---|---|---|---|---|',
    ]
    labels = {'c': 'C `posix_spawn` (the floor)', 'c_setpriv': 'C `posix_spawn` of `setpriv --pdeathsig KILL --`',
              'native': 'ours, native launcher', 'jdk': 'ours, jdk launcher'}
    for n in sizes:
        c, c99 = middle(f'c@{n}', 'medianMs'), middle(f'c@{n}', 'p99Ms')
        for key in ('c', 'c_setpriv', 'native', 'jdk'):
            k = f'{key}@{n}'
            lines.append(f"| {n} | {labels[key]} | {spread(k, 'medianMs')} | {spread(k, 'p99Ms')} | "
                         f"{middle(k, 'medianMs') / c:.1f} | {middle(k, 'p99Ms') / c99:.1f} |")
    ns = sorted({p['workers'] for p in data['pools']})
    slash = lambda values: ' / '.join(values)
    lines += [
        '',
        'Past the floor, a refork pays for the `setpriv` exec (second row against the first: `posix_spawn`',
        'cannot set the parent-death signal; about 0.9 ms, 0.15 ms of it `setpriv` loading the locale) and',
        'for the pool\'s own part. Where that goes, from timestamps taken at each step (median of 300',
        'kills, N = 8, native launcher): SIGKILL → the worker\'s pidfd readable on the watcher thread',
        '0.21–0.27 ms; reaped and handed to the supervisor thread 0.13–0.17 ms; exit handled → fork',
        '0.09–0.12 ms; environment and file actions 0.10 ms; `posix_spawn` returns 0.20–0.25 ms; the',
        '`setpriv` and worker execs 1.5–1.7 ms, as in C. Two cuts took 0.3 ms off the pool\'s part: a',
        'worker that was ready is reforked in the task that handles its exit (it went through the timer',
        'queue), and the log lines of a supervisor task are handed to the log\'s thread when the task ends',
        '(waking that thread cost 0.15 ms before the spawn); the master\'s environment is encoded once,',
        'not per fork. The parent-death signal stays: without `setpriv`, a worker would outlive a SIGKILLed',
        'master until the watchdog\'s sweep finds it by its mark, and not at all if it rewrote its',
        'environment block (`setproctitle`, as nginx, PostgreSQL or Ruby\'s `$0=` do).',
        '',
        'The master with N `sleep` workers, each pool in a JVM of its own: its Java threads and all the',
        'threads of the process, heap used after GC and RSS, one second after the last spawn. Output',
        'captured: to a receiver that drops each line; silent: to `/dev/null`. Per worker: the growth from',
        f'the smallest to the largest pool, divided by the workers added ({ns[0]} → {ns[-1]}).',
        '',
        f"| launcher | output | Java threads, N = {slash(map(str, ns))} | process threads | heap (MB) | "
        f"heap per worker (KB) | RSS (MB) | RSS per worker (KB) | spawn {ns[-1]} (ms) |",
        '|---|---|---|---|---|---|---|---|---|',
    ]
    for launcher in LAUNCHERS:
        for captured in (True, False):
            pools = {p['workers']: p for p in data['pools']
                     if p['launcher'] == launcher and p['captured'] == captured}
            small, large = pools[ns[0]], pools[ns[-1]]
            added = ns[-1] - ns[0]
            cells = lambda key, scale, digits: slash(f'{pools[n][key] / scale:.{digits}f}' for n in ns)
            lines.append(
                f"| {launcher} | {'captured' if captured else 'silent'} | {cells('javaThreads', 1, 0)} | "
                f"{cells('threads', 1, 0)} | {cells('heapKb', 1024, 1)} | "
                f"{(large['heapKb'] - small['heapKb']) / added:.1f} | {cells('rssKb', 1024, 0)} | "
                f"{(large['rssKb'] - small['rssKb']) / added:.0f} | {large['spawnAllMs']:.0f} |")
    lines += [
        '',
        'The native launcher watches every worker\'s exit (a pidfd) and output (its pipes) on one `epoll`',
        'thread, and hands lines to the log on one more: its thread count does not depend on N. The jdk',
        'launcher costs a process reaper thread per worker, and two output threads per worker whose output',
        'is captured. Command:',
        '',
        '```sh',
        'bench/run.sh --launchers   # this section only; bench/run.sh runs it with everything else',
        '```',
        '<!-- /launchers -->',
        '',
    ]
    return lines


def launchers_only():
    """Runs the launcher benchmark alone and rewrites its section of BENCHMARKS.md."""
    os.makedirs(WORK, exist_ok=True)
    data = launcher_bench()
    data['machine'] = machine()
    with open(os.path.join(WORK, 'launchers.json'), 'w') as f:
        json.dump(data, f)
    path = os.path.join(ROOT, 'BENCHMARKS.md')
    with open(path) as f:
        text = f.read()
    section = '\n'.join(launcher_section(data))
    start, end = text.find('<!-- launchers -->'), text.find('<!-- /launchers -->')
    if start >= 0 and end >= 0:
        text = text[:start] + section + text[end + len('<!-- /launchers -->\n'):]
    else:
        at = text.find('## Reproduce')
        text = text[:at] + section + '\n' + text[at:]
    with open(path, 'w') as f:
        f.write(text)
    print(json.dumps(data, indent=1), file=sys.stderr)


def machine():
    def first_line(command):
        try:
            return subprocess.run(command, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return '?'
    mem = status('self', 'MemTotal') if False else int(open('/proc/meminfo').readline().split()[1])
    java = subprocess.run(['java', '-version'], capture_output=True, text=True).stderr.splitlines()[0]
    return {
        'cpus': os.cpu_count(), 'memory_gib': round(mem / 1024 / 1024, 1), 'kernel': platform.release(),
        'java': java, 'node': first_line(['node', '--version']), 'loadavg': open('/proc/loadavg').read().split()[:3],
    }


def chart(results, scale):
    data = os.path.join(WORK, 'chart.dat')
    with open(data, 'w') as f:
        for n in COUNTS:
            row = [str(n)]
            for s in SUPERVISORS:
                row.append(f"{statistics.median(r['refork_ready'] for r in results[s][n]):.1f}")
            for s in SUPERVISORS:
                row.append(f"{statistics.median(r['cold'] for r in results[s][n]):.0f}")
            row.append(f"{statistics.median(r['pool'] for r in results['ours'][n]):.0f}")
            f.write(' '.join(row) + '\n')
    mem = os.path.join(WORK, 'memory.dat')
    with open(mem, 'w') as f:
        for p in scale['pools']:
            f.write(f"{p['workers']} {p['heapKb'] / 1024:.1f} {p['rssKb'] / 1024:.1f} {p['threads']}\n")
    png = os.path.join(BENCH, 'benchmarks.png')
    script = f"""
set terminal pngcairo size 1500,480 font ",10"
set output '{png}'
set multiplot layout 1,3
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top left
set grid ytics
set yrange [0:*]
set title 'Refork latency: SIGKILL -> replacement ready (ms, median)'
set xlabel 'workers (N)'
plot '{data}' using 2:xtic(1) title 'cfork', '' using 3 title 'PM2', '' using 4 title 'ours'
set title 'Cold start: supervisor launched -> all N ready (ms, median)'
plot '{data}' using 5:xtic(1) title 'cfork', '' using 6 title 'PM2', '' using 7 title 'ours', '' using 8 title 'ours: pool start -> all ready'
set style data linespoints
set title 'Our master with N trivial workers (MB)'
set logscale x
set xlabel 'workers'
plot '{mem}' using 1:2 title 'heap used after GC' lw 2, '' using 1:3 title 'RSS' lw 2
unset multiplot
"""
    subprocess.run(['gnuplot'], input=script, text=True, check=True)


def resident_mib(pid):
    try:
        with open(f'/proc/{pid}/statm') as f:
            return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / (1 << 20)
    except (OSError, ValueError, IndexError):
        return None


def runs_leak(pid):
    """Whether a process runs the leaking worker: ours execs node leak.js, PM2 loads it into its
    ProcessContainerFork.js."""
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            cmdline = f.read()
    except OSError:
        return False
    return b'leak.js' in cmdline or b'ProcessContainerFork' in cmdline


def leak_run(supervisor, interval=None):
    """A Node worker leaking LEAK_RATE MiB/s under a LEAK_LIMIT MiB memory limit: how far past the
    limit it gets (its resident set polled every 5 ms from outside) before it is stopped."""
    run = Run(supervisor, 1, 'leak.js')
    run.env.update(LEAK_MB_PER_S=str(LEAK_RATE), LEAK_CAP_MB=str(LEAK_CAP))
    leak = os.path.join(NODE_DIR, 'leak.js')
    try:
        run.started_at = now_ms()
        if supervisor == 'pm2':
            subprocess.run([PM2, 'start', leak, '--name', 'leak', '--max-memory-restart', f'{LEAK_LIMIT}M'],
                           env=run.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            with open(os.path.join(run.pm2_home, 'pm2.pid')) as f:
                run.supervisor_pid = int(f.read())
        else:
            run.process = subprocess.Popen(
                ['java', '-jar', JAR, '--spring.main.web-application-type=none', '--cfork.exec=node',
                 f'--cfork.args={leak}', '--cfork.count=1', f'--cfork.max-memory={LEAK_LIMIT}MB',
                 f'--cfork.resources.interval={interval}', '--cfork.min-uptime=1s',
                 f'--cfork.env.BENCH_READY_DIR={run.ready_dir}', f'--cfork.env.LEAK_MB_PER_S={LEAK_RATE}',
                 f'--cfork.env.LEAK_CAP_MB={LEAK_CAP}'],
                env=run.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            run.supervisor_pid = run.process.pid
        started_pids.add(run.supervisor_pid)
        worker = wait_for(lambda: next((p for p in children(run.supervisor_pid) if runs_leak(p)), None), 60, 0.005)
        started_pids.add(worker)
        peak, crossed, started = 0.0, None, time.time()
        deadline = started + 120
        while alive(worker) and time.time() < deadline:
            rss = resident_mib(worker)
            if rss is not None:
                peak = max(peak, rss)
                if crossed is None and rss > LEAK_LIMIT:
                    crossed = time.time()
            time.sleep(0.005)
        stopped = not alive(worker)
        return {'supervisor': supervisor, 'interval': interval, 'peak_mib': round(peak, 1),
                'over_mib': round(peak - LEAK_LIMIT, 1), 'stopped': stopped,
                'crossed_to_stopped_s': round(time.time() - crossed, 2) if crossed else None}
    finally:
        run.stop()
        for pid in children(run.supervisor_pid) if run.supervisor_pid else []:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def resources_bench():
    command = ['java', '-Dbench.window=20', '-cp', JAR, '-Dloader.main=io.cfork.bench.ResourceBench',
               'org.springframework.boot.loader.launch.PropertiesLauncher', str(RES_WORKERS)]
    print(f'resources: sampling cost, {RES_WORKERS} workers', file=sys.stderr, flush=True)
    cost = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
                      .splitlines()[-1])
    leaks = []
    for supervisor, interval in (('ours', '1s'), ('ours', '5s'), ('pm2', None)):
        print(f'resources: leak under {supervisor} {interval or ""}', file=sys.stderr, flush=True)
        leaks.append(leak_run(supervisor, interval))
    return {'cost': cost, 'leaks': leaks, 'rate': LEAK_RATE, 'limit': LEAK_LIMIT, 'machine': machine()}


def resources_section(res):
    cost = res['cost']
    off, on = cost['withoutSampling'], cost['sampledEverySecond']
    m = res['machine']
    lines = [
        RESOURCES_BEGIN,
        '## What workers cost, and `max-memory` in time',
        '',
        f"Run by `bench/run.sh --resources` (also part of the full run); load average at the end "
        f"{' '.join(m['loadavg'])}.",
        '',
        f"**Sampling cost** (`bench/src/main/java/io/cfork/bench/ResourceBench.java`): {cost['workers']} `sleep` "
        f"workers, silent, the master's CPU over {cost['windowSeconds']} s. Each sample reads "
        f"`/proc/<pid>/stat` of every process on the machine ({on['processesOnMachine']} here) once, to find the "
        'workers\' sessions, and `statm` of their members, on one thread.',
        '',
        '| `cfork.resources.interval` | master CPU (% of a core) | sampler thread per sample (ms) | samples | workers with figures |',
        '|---|---|---|---|---|',
        f"| 1 h (no sample in the window) | {off['masterCpuPercent']:.2f} | – | {off['samples']} | {off['workersWithFigures']} |",
        f"| 1 s | {on['masterCpuPercent']:.2f} | {on['samplerCpuMsPerSample']:.1f} | {on['samples']} | "
        f"{on['workersWithFigures']} |",
        '',
        'At the default interval (5 s) sampling costs a fifth of that.',
        '',
        f"**How far past the limit a fast leak gets** (`bench/node/leak.js`: a Node worker keeping "
        f"{res['rate']} MiB more every second, up to {LEAK_CAP} MiB), with a limit of {res['limit']} MiB: ours "
        f"with `cfork.max-memory={res['limit']}MB`, PM2 (fork mode) with `--max-memory-restart {res['limit']}M`. "
        'The worker\'s resident set is polled every 5 ms from outside until it is stopped.',
        '',
        '| supervisor | check interval | peak resident set (MiB) | past the limit (MiB) | above the limit → stopped (s) |',
        '|---|---|---|---|---|',
    ]
    for leak in res['leaks']:
        interval = f"`cfork.resources.interval={leak['interval']}`" if leak['supervisor'] == 'ours' \
            else 'its worker loop, every 30 s (`PM2_WORKER_INTERVAL`)'
        seconds = leak['crossed_to_stopped_s'] if leak['stopped'] else 'not within 120 s'
        lines.append(f"| {leak['supervisor']} | {interval} | {leak['peak_mib']} | {leak['over_mib']} | {seconds} |")
    lines += [
        '',
        'Ours recycles a worker once two samples in a row saw it above the limit: at most two intervals',
        'after it crossed (plus its SIGTERM), so the overshoot is bounded by the leak rate times two',
        'intervals. PM2 checks every 30 s, whatever the rate.',
        RESOURCES_END,
        '',
        '',
    ]
    return lines


def splice_resources(res):
    """Writes the resources section into BENCHMARKS.md, leaving the rest of it as it is."""
    path = os.path.join(ROOT, 'BENCHMARKS.md')
    with open(path) as f:
        text = f.read()
    section = '\n'.join(resources_section(res))
    if RESOURCES_BEGIN in text:
        before, rest = text.split(RESOURCES_BEGIN, 1)
        after = rest.split(RESOURCES_END, 1)[1].lstrip('\n')
        text = before + section + after
    else:
        text = text.replace('## Reproduce', section + '## Reproduce', 1)
    with open(path, 'w') as f:
        f.write(text)


def report_only():
    """Rewrites BENCHMARKS.md and the chart from the last run's raw results (bench/.work/results.json)."""
    with open(os.path.join(WORK, 'results.json')) as f:
        saved = json.load(f)
    results = {s: {int(n): runs for n, runs in by_n.items()} for s, by_n in saved['results'].items()}
    chart(results, saved['scale'])
    write_report(results, saved['crash'], saved['scale'], saved['vfork'], saved['floor_c'], saved.get('machine'),
                 saved.get('launchers'))
    resources = os.path.join(WORK, 'resources.json')
    if os.path.exists(resources):
        with open(resources) as f:
            splice_resources(json.load(f))


def main():
    if '--report-only' in sys.argv:
        report_only()
        return
    if '--launchers' in sys.argv:
        launchers_only()
        return
    os.makedirs(WORK, exist_ok=True)
    if '--resources' in sys.argv:
        resources = resources_bench()
        with open(os.path.join(WORK, 'resources.json'), 'w') as f:
            json.dump(resources, f)
        splice_resources(resources)
        left = [p for p in started_pids if alive(p)]
        for p in left:
            os.kill(p, signal.SIGKILL)
        print(f'processes left and killed: {left}', file=sys.stderr)
        return
    floor_c = json.loads(subprocess.run([os.path.join(WORK, 'floor'), '500'], capture_output=True, text=True,
                                        check=True).stdout)
    results = {s: {n: [] for n in COUNTS} for s in SUPERVISORS}
    for n in COUNTS:
        for run in range(RUNS):
            order = SUPERVISORS[run % 3:] + SUPERVISORS[:run % 3]  # interleaved, rotating who goes first
            for s in order:
                print(f'N={n} run {run + 1}/{RUNS}: {s}', file=sys.stderr, flush=True)
                results[s][n].append(measure(s, n))
    crash = {s: crash_loop(s) for s in SUPERVISORS}
    print('scale (ours alone)', file=sys.stderr, flush=True)
    scale = scale_bench()
    vfork = scale_bench('VFORK')
    launchers = launcher_bench()
    with open(os.path.join(WORK, 'results.json'), 'w') as f:
        json.dump({'results': results, 'crash': crash, 'scale': scale, 'vfork': vfork, 'floor_c': floor_c,
                   'launchers': launchers, 'machine': machine()}, f)
    resources = resources_bench()
    with open(os.path.join(WORK, 'resources.json'), 'w') as f:
        json.dump(resources, f)
    chart(results, scale)
    write_report(results, crash, scale, vfork, floor_c, machine(), launchers)
    splice_resources(resources)
    left = [p for p in started_pids if alive(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    print(f'processes left and killed: {left}', file=sys.stderr)


def write_report(results, crash, scale, vfork, floor_c, facts=None, launchers=None):
    m = facts or machine()
    floors = {'java': scale['floor']['medianMs'], 'wrapped': scale['floorWrapped']['medianMs'],
              'c': floor_c['posix_spawn_median_us'] / 1000}

    def floor_ms(key):
        return f'{floors[key]:.2f}'

    floor = scale['floor']['medianMs']
    lines = [
        '# Benchmarks',
        '',
        'Produced by `bench/run.sh` (the whole file but its rolling-reload section, which `bench/reload.sh` writes, and `bench/benchmarks.png`). Timings are figures of the',
        'benchmark, never assertions of the test suite.',
        '',
        f"Machine: {m['cpus']} CPUs, {m['memory_gib']} GiB, Linux {m['kernel']}, {m['java']}, Node {m['node']}; "
        f"load average at the end {' '.join(m['loadavg'])}.",
        '',
        '![charts](bench/benchmarks.png)',
        '',
        '## Side by side: cfork, PM2 cluster mode, ours',
        '',
        'Same Node worker for all three (`bench/node/worker.js`: an HTTP server that writes a ready file',
        'once it listens). cfork: a 5-line master (`bench/node/cfork-master.js`); PM2: `pm2 start -i N` with a',
        'private `PM2_HOME`; ours: a minimal Spring Boot master with the starter and `cfork.exec=node`',
        '(`bench/src/main/java/io/cfork/bench/BenchMaster.java`), `cfork.min-uptime=1s` so that killed',
        'workers (all older than 1 s) are reforked at once, and `cfork.launcher=jdk` (the native launcher is',
        'measured in [its own section](#the-two-launchers-native-posix_spawn-pidfd-epoll-and-jdk-processbuilder)).',
        'Under cfork and PM2 the workers share one port',
        'through Node\'s cluster; under ours each listens on its own (Node 20 has no `reusePort`).',
        f'Median (min–max) over {RUNS} runs per supervisor and N, interleaved; refork latency is the median of',
        f'{KILLS} SIGKILLs per run. Times in ms, memory of the supervisor process only.',
        '',
        '| N | supervisor | cold start: launched → all ready | pool start → all ready | SIGKILL → replacement process | SIGKILL → replacement ready | RSS (MB) | threads |',
        '|---|---|---|---|---|---|---|---|',
    ]
    for n in COUNTS:
        for s in SUPERVISORS:
            rs = results[s][n]
            pool = fmt([r['pool'] for r in rs]) if s == 'ours' else '–'
            lines.append(f"| {n} | {s} | {fmt([r['cold'] for r in rs])} | {pool} | "
                         f"{fmt([r['refork_spawn'] for r in rs], 1)} | {fmt([r['refork_ready'] for r in rs], 1)} | "
                         f"{fmt([r['rss_kb'] / 1024 for r in rs])} | {fmt([r['threads'] for r in rs])} |")
    lines += ['', '### Ratios, ours / cfork (medians)', '', '| N | pool start → all ready (ours) / cold start (cfork) | refork → ready | refork → process |', '|---|---|---|---|']
    for n in COUNTS:
        med = lambda s, k: statistics.median(r[k] for r in results[s][n])
        lines.append(f"| {n} | {med('ours', 'pool') / med('cfork', 'cold'):.2f} | "
                     f"{med('ours', 'refork_ready') / med('cfork', 'refork_ready'):.2f} | "
                     f"{med('ours', 'refork_spawn') / med('cfork', 'refork_spawn'):.2f} |")
    lines += [
        '',
        'cfork\'s cold start is the whole of it (node starts in ~40 ms); ours is the JVM and Spring Boot',
        'start-up plus the pool\'s part, so its pool-start figure is the one to compare for the supervisor\'s',
        'own work, and its whole cold start is reported beside it.',
        '',
        '**Where ours is slower than cfork, and why.** Replacing a Node worker, ours takes a few ms more',
        'than cfork (the "refork → ready" ratio above). The spawn floors below say where they go:',
        f"the JDK starts a process through `jspawnhelper` (`posix_spawn`, then an exec): "
        f"{floor_ms('java')} ms for `/bin/true` against {floor_ms('c')} ms for a plain `posix_spawn` "
        "from C; and each worker is started through `setpriv --pdeathsig KILL` and `setsid`, two more execs",
        f"({floor_ms('wrapped')} ms through them). Those two buy what cfork does not have: workers die with",
        'a SIGKILLed master, Ctrl-C reaches only the master, and what a dead worker leaves behind is found',
        'by its session and killed. The pool\'s own part of a refork (exit seen → replacement started) is',
        'about the JDK\'s floor, see below. `-Djdk.lang.Process.launchMechanism=VFORK` (JDK 17; deprecated',
        'in later JDKs) takes ~0.4 ms off each spawn. With 32 Node workers the pool start is bound by 32',
        'node start-ups on 2 CPUs, the same for both.',
        '',
        '### Crash loop: a worker that exits 1 at once (2 slots), forks in the first 10 s',
        '',
        '| supervisor | forks in 10 s | what stops them |',
        '|---|---|---|',
        f"| cfork | {crash['cfork']} | its refork limit (60 within 60 s), then `reachReforkLimit`: no more forks |",
        f"| PM2 | {crash['pm2']} | `max_restarts` (16 unstable restarts), then the app is `errored` |",
        f"| ours | {crash['ours']} | the backoff (100 ms doubling per young death, cap 30 s) spaces them; the refork limit (60 within 60 s) stops them for good |",
        '',
        '## Ours alone, jdk launcher, trivial workers (`sleep 3600`), silent',
        '',
        f"Spawn floor on this machine: Java `ProcessBuilder.start()` + `waitFor()` of `/bin/true` "
        f"{scale['floor']['medianMs']:.2f} ms median (p99 {scale['floor']['p99Ms']:.2f}); the same through our "
        f"wrappers (`setpriv --pdeathsig KILL -- setsid /bin/true`) {scale['floorWrapped']['medianMs']:.2f} ms; "
        f"C `posix_spawn` {floor_c['posix_spawn_median_us'] / 1000:.2f} ms, `fork`+`exec` "
        f"{floor_c['fork_exec_median_us'] / 1000:.2f} ms.",
        '',
        '| workers | spawn all (ms) | refork latency median / p99 (ms) | × Java floor (median) | SIGKILL → new pid seen, median / p99 (ms) | threads | heap used (MB) | heap growth per worker (KB) | RSS (MB) | idle CPU (% of a core) |',
        '|---|---|---|---|---|---|---|---|---|---|',
    ]
    for label, data in (('default (POSIX_SPAWN)', scale), ('VFORK', vfork)):
        if label != 'default (POSIX_SPAWN)':
            lines.append(f'| **with `-Djdk.lang.Process.launchMechanism=VFORK`** | | | | | | | | | |')
        for p in data['pools']:
            growth = (p['heapKb'] - p['heapBeforeKb']) / p['workers']
            lines.append(
                f"| {p['workers']} | {p['spawnAllMs']:.0f} | {p['reforkMedianMs']:.2f} / {p['reforkP99Ms']:.2f} | "
                f"{p['reforkMedianMs'] / data['floor']['medianMs']:.2f} | {p['killToNewPidMedianMs']:.2f} / "
                f"{p['killToNewPidP99Ms']:.2f} | {p['threads']} | {p['heapKb'] / 1024:.1f} | {growth:.1f} | "
                f"{p['rssKb'] / 1024:.0f} | {p['idleCpuPercent']:.2f} |")
    lines += [
        '',
        f"Refork latency is the pool's own measure (`WorkerForked.reforkLatency()`: the exit seen by the JDK to",
        f"the replacement started), over {SCALE_KILLS} SIGKILLs spread over the pool; \"new pid seen\" is measured",
        'from outside, from the kill to the new pid in the pool\'s snapshot. Threads: each live worker costs',
        'the JDK one "process reaper" thread (it waits in `waitpid`); with output not silent, one more',
        'thread per worker drains its pipe.',
        '',
    ] + launcher_section(launchers) + [
        '## Reproduce',
        '',
        '```sh',
        'bench/run.sh',
        '```',
        '',
        'It installs gnuplot (Debian) and cfork and PM2 (npm, into `bench/node/node_modules`), builds the',
        'masters with `./mvnw -Pbench`, compiles `bench/floor.c`, runs everything and rewrites this file.',
        'Knobs: `BENCH_COUNTS`, `BENCH_RUNS`, `BENCH_KILLS`, `BENCH_SCALE`, `BENCH_SCALE_KILLS`,',
        '`BENCH_LAUNCHER_KILLS`, `BENCH_LAUNCHER_ROUNDS`, `BENCH_LAUNCHER_SCALE`, `BENCH_RES_WORKERS`,',
        '`BENCH_LEAK_RATE`, `BENCH_LEAK_LIMIT`. The raw figures are kept in',
        '`bench/.work/results.json` and `resources.json`; `python3 bench/run.py --report-only` renders this',
        'file and the chart from them again. `bench/run.sh --launchers` runs only the launchers\' section (no',
        'Node needed) and `bench/run.sh --resources` only the resources section; each rewrites it in place.',
        '`bench/reload.sh` writes the rolling-reload section, which this run keeps as it is.',
        '',
    ]
    path = os.path.join(ROOT, 'BENCHMARKS.md')
    reload = checks = ''
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
        if RELOAD_BEGIN in text:
            reload = RELOAD_BEGIN + text.split(RELOAD_BEGIN, 1)[1].split(RELOAD_END, 1)[0] + RELOAD_END + '\n\n'
        if CHECKS_BEGIN in text:
            checks = CHECKS_BEGIN + text.split(CHECKS_BEGIN, 1)[1].split(CHECKS_END, 1)[0] + CHECKS_END + '\n\n'
    text = '\n'.join(lines)
    if reload:
        text = text.replace('## Ours alone', reload + '## Ours alone', 1)
    if checks:
        text = text.replace('## Reproduce', checks + '## Reproduce', 1)
    with open(path, 'w') as f:
        f.write(text)


if __name__ == '__main__':
    main()
