#!/usr/bin/env python3
"""Reload benchmark: the same rolling reload of N workers under wrk load, ours beside `pm2 reload`.

Run through bench/reload.sh, which installs wrk and PM2 and builds the sample. For each N given on
the command line, in one run: ours with the Node worker (bench/node/reload-worker.js) on the
master's socket, ours with the sample's Java workers (HelloForkWorker), and PM2's cluster mode
with the same Node worker; for each, wrk with keep-alive and with `Connection: close`: a run
without a reload (p99 at rest), then a run around a full reload (wrk starts 0.5 s before it and
stops 0.2 s after it ended). Results go to bench/.work/reload-N.json; --report writes the section
of BENCHMARKS.md from them.
"""
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from run import alive, wait_for

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
NODE_DIR = os.path.join(BENCH, 'node')
WORK = os.path.join(BENCH, '.work')
PM2 = os.path.join(NODE_DIR, 'node_modules', '.bin', 'pm2')
SAMPLE_JAR = os.path.join(ROOT, 'sample-app', 'target', 'sample-app-0.1.0-SNAPSHOT.jar')
WORKER = os.path.join(NODE_DIR, 'reload-worker.js')
LUA = os.path.join(BENCH, 'reload.lua')
PORT = 3201
ACTUATOR = 8281
CONNECTIONS = int(os.environ.get('BENCH_CONNECTIONS', '16'))
AT_REST_SECONDS = int(os.environ.get('BENCH_AT_REST', '5'))
SUPERVISORS = ['ours-node', 'ours-java', 'pm2']
# --boot: the sample itself as Spring Boot workers (Tomcat on the master's socket, graceful shutdown).
BOOT = 'ours-boot'
BOOT_PATH = '/actuator/health/liveness'
MODES = ['keep-alive', 'close']
BEGIN = '<!-- section: reload -->'
END = '<!-- /section: reload -->'


def descendants(pid):
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f'/proc/{p}/task')
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f'/proc/{p}/task/{task}/children') as f:
                    kids = {int(k) for k in f.read().split()}
            except OSError:
                continue
            todo.extend(kids - out)
            out |= kids
    return out


def answer(path='/'):
    """One request on a fresh connection: (status, body)."""
    connection = http.client.HTTPConnection('127.0.0.1', PORT, timeout=5)
    try:
        connection.request('GET', path, headers={'Connection': 'close'})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def versions_answering(samples=200):
    return {answer()[1].strip() for _ in range(samples)}


class Supervisor:
    """Ours (the sample's master, with Node or Java workers) or PM2, with N workers on PORT."""

    def __init__(self, kind, count):
        self.kind = kind
        self.count = count
        self.directory = tempfile.mkdtemp(dir=WORK, prefix=f'reload-{kind}-')
        self.version_file = os.path.join(self.directory, 'hello-fork.version')
        self.version = 1
        self.write_version()
        self.env = dict(os.environ, BENCH_PORT=str(PORT), BENCH_COUNT=str(count),
                        BENCH_VERSION_FILE=self.version_file, PM2_HOME=os.path.join(self.directory, 'pm2'))
        self.process = None
        self.pids = set()
        self.path = BOOT_PATH if kind == BOOT else '/'

    def write_version(self):
        with open(self.version_file, 'w') as f:
            f.write(f'{self.version}\n')

    def start(self):
        if self.kind == 'pm2':
            subprocess.run([PM2, 'start', os.path.join(NODE_DIR, 'reload-pm2.config.js')], env=self.env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            with open(os.path.join(self.env['PM2_HOME'], 'pm2.pid')) as f:
                self.pids.add(int(f.read()))
        else:
            command = ['java', '-jar', SAMPLE_JAR, f'--server.port={ACTUATOR}', f'--cfork.count={self.count}',
                       f'--cfork.listen[0].port={PORT}', f'--cfork.env.HELLO_FORK_PORT={PORT}',
                       '--management.endpoint.cfork.access=unrestricted', '--logging.level.cfork.worker=WARN']
            if self.kind == 'ours-node':
                command += ['--cfork.java.main-class=', '--cfork.exec=node', f'--cfork.args={WORKER}',
                            '--cfork.readiness.log-pattern=listening',
                            f'--cfork.env.BENCH_VERSION_FILE={self.version_file}']
            elif self.kind == BOOT:
                command += ['--cfork.java.main-class=io.cfork.sample.SampleApplication', '--cfork.readiness.type=notify',
                            '--cfork.readiness.timeout=60s', '--cfork.shutdown-timeout=30s',
                            '--cfork.java.jvm-args=-Xmx128m,-XX:TieredStopAtLevel=1,-XX:+UseSerialGC',
                            '--cfork.env.SERVER_SHUTDOWN=graceful']
            self.process = subprocess.Popen(command, cwd=self.directory, env=self.env, start_new_session=True,
                                            stdout=open(os.path.join(self.directory, 'master.log'), 'w'),
                                            stderr=subprocess.STDOUT)
            self.pids.add(self.process.pid)
        if self.kind == BOOT:
            wait_for(lambda: self.answers_ok(), 300, 0.5)
        else:
            wait_for(lambda: self.all_answer(f'hello fork (version {self.version})'), 120, 0.2)

    def answers_ok(self):
        try:
            return all(answer(self.path)[0] == 200 for _ in range(20))
        except OSError:
            return False

    def all_answer(self, body):
        try:
            return versions_answering(20) == {body}
        except OSError:
            return False

    def reload(self):
        """Deploys the next version and reloads: the wall time from the command to the reload's end."""
        self.version += 1
        self.write_version()
        started = time.time()
        if self.kind == 'pm2':
            subprocess.run([PM2, 'reload', 'bench'], env=self.env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
        else:
            request = urllib.request.Request(f'http://127.0.0.1:{ACTUATOR}/actuator/cfork', method='POST',
                                             data=b'{"reload":true}', headers={'Content-Type': 'application/json'})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 202, response.status

            def ended():
                with urllib.request.urlopen(f'http://127.0.0.1:{ACTUATOR}/actuator/cfork', timeout=10) as r:
                    reload = json.load(r)['reload']
                return reload if reload['state'] != 'IN_PROGRESS' else None
            outcome = wait_for(ended, 300, 0.02)
            assert outcome['state'] == 'DONE', outcome
        return time.time() - started

    def stop(self):
        self.pids |= {p for pid in list(self.pids) if alive(pid) for p in descendants(pid)}
        if self.kind == 'pm2':
            subprocess.run([PM2, 'kill'], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elif self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
        left = [p for p in self.pids if alive(p)]
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.directory, ignore_errors=True)
        return left


def wrk(mode, seconds=None, path='/'):
    command = ['wrk', '-t2', f'-c{CONNECTIONS}', '-d', f'{seconds or 600}s', '--latency', '-s', LUA]
    if mode == 'close':
        command += ['-H', 'Connection: close']
    return subprocess.Popen(command + [f'http://127.0.0.1:{PORT}{path}'], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def wrk_result(process):
    output = process.communicate(timeout=700)[0]
    for line in output.splitlines():
        if line.startswith('{'):
            result = json.loads(line)
            result['failed'] = sum(result[k] for k in ('connect', 'read', 'write', 'timeout', 'non2xx'))
            return result
    raise RuntimeError('no result from wrk: ' + output)


def measure(kind, count):
    supervisor = Supervisor(kind, count)
    results = {}
    try:
        supervisor.start()
        for mode in MODES:
            print(f'N={count} {kind} {mode}', file=sys.stderr, flush=True)
            at_rest = wrk_result(wrk(mode, AT_REST_SECONDS, supervisor.path))
            load = wrk(mode, path=supervisor.path)
            time.sleep(0.5)
            seconds = supervisor.reload()
            time.sleep(0.2)
            load.send_signal(signal.SIGINT)
            during = wrk_result(load)
            after = versions_answering() if kind != BOOT else set()
            results[mode] = {'at_rest': at_rest, 'reload': during, 'reload_seconds': round(seconds, 2),
                             'after': sorted(after), 'all_new': after == {f'hello fork (version {supervisor.version})'}}
    finally:
        results['left'] = supervisor.stop()
    return results


def machine():
    java = subprocess.run(['java', '-version'], capture_output=True, text=True).stderr.splitlines()[0]
    node = subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip()
    # From its package: `pm2 --version` would start a daemon.
    with open(os.path.join(NODE_DIR, 'node_modules', 'pm2', 'package.json')) as f:
        pm2 = json.load(f)['version']
    wrk_version = subprocess.run(['wrk', '--version'], capture_output=True, text=True).stdout.split(' [')[0]
    return {'cpus': os.cpu_count(), 'java': java, 'node': node, 'pm2': pm2, 'wrk': wrk_version,
            'loadavg': open('/proc/loadavg').read().split()[:3]}


def section():
    runs = {}
    for name in sorted(os.listdir(WORK)):
        if name.startswith('reload-') and name.endswith('.json') and name != 'reload-boot.json':
            with open(os.path.join(WORK, name)) as f:
                data = json.load(f)
            runs[data['count']] = data
    counts = sorted(runs)
    m = runs[counts[-1]]['machine']
    lines = [
        BEGIN,
        '## Rolling reload under load: ours beside `pm2 reload`',
        '',
        f"Produced by `bench/reload.sh` ({', '.join(f'N = {n}' for n in counts)}; {m['cpus']} CPUs, {m['java']}, "
        f"Node {m['node']}, PM2 {m['pm2']}, {m['wrk']}; load average at the end {' '.join(m['loadavg'])}). Each N is one "
        'run with the three side by side: **ours-node**, the sample\'s master (`sample-app`) with the Node worker '
        '`bench/node/reload-worker.js` accepting on the master\'s socket (`cfork.listen`, `listen({fd: 3})`, ready '
        'once it logs `listening`); **ours-java**, the sample as it ships (`HelloForkWorker` JVMs on the master\'s '
        'socket); **pm2**, PM2\'s cluster mode with the same Node worker (`bench/node/reload-pm2.config.js`: '
        '`wait_ready` with `process.send(\'ready\')`, `listen_timeout` 10 s, `kill_timeout` 5 s). Both Node '
        'workers drain alike on SIGTERM (ours) or SIGINT (PM2): stop accepting, `Connection: close` on each '
        'kept-alive connection\'s next response, exit once all are closed.',
        '',
        f"Load: `wrk -t2 -c{CONNECTIONS}` with keep-alive, and with `-H 'Connection: close'` (a new connection per "
        'request); wrk never retries. **failed** = socket errors (connect, read, write, timeout) + non-2xx '
        'responses, counted by `bench/reload.lua`. The reload run starts wrk 0.5 s before the reload (`POST '
        '/actuator/cfork {"reload":true}`, polled until `DONE`; `pm2 reload bench`) and stops it 0.2 s after it '
        f"ended; **p99 at rest** is a {AT_REST_SECONDS} s wrk run just before it, same connections, no reload. "
        '**reload time**: from the command to the reload\'s end (ours: the endpoint says `DONE`; PM2: `pm2 reload` '
        'returns). **all new**: 200 fresh requests afterwards all answered the new version.',
        '',
        '| N | load | supervisor | failed (requests) | reload time (s) | p99 during reload (ms) | p99 at rest (ms) | p99 ratio | all new |',
        '|---|---|---|---|---|---|---|---|---|',
    ]
    for n in counts:
        for mode in MODES:
            for kind in SUPERVISORS:
                r = runs[n]['results'][kind][mode]
                during, rest = r['reload']['p99_us'] / 1000, r['at_rest']['p99_us'] / 1000
                errors = r['reload']
                detail = ', '.join(f'{k} {errors[k]}' for k in ('connect', 'read', 'write', 'timeout', 'non2xx')
                                   if errors[k])
                lines.append(f"| {n} | {mode} | {kind} | **{errors['failed']}**{f' ({detail})' if detail else ''} "
                             f"of {errors['requests']} | {r['reload_seconds']:.2f} | {during:.1f} | {rest:.1f} | "
                             f"{during / rest:.1f} | {'yes' if r['all_new'] else 'no: ' + ', '.join(r['after'])} |")
    lines += ['', '### Ratios, ours / PM2', '',
              '| N | load | reload time, ours-node / pm2 | p99 during reload, ours-node / pm2 | failed: ours-node, ours-java, pm2 |',
              '|---|---|---|---|---|']
    for n in counts:
        for mode in MODES:
            r = runs[n]['results']
            o, p, j = r['ours-node'][mode], r['pm2'][mode], r['ours-java'][mode]
            lines.append(f"| {n} | {mode} | {o['reload_seconds'] / p['reload_seconds']:.2f} | "
                         f"{o['reload']['p99_us'] / p['reload']['p99_us']:.2f} | {o['reload']['failed']}, "
                         f"{j['reload']['failed']}, {p['reload']['failed']} |")
    boot = os.path.join(WORK, 'reload-boot.json')
    if os.path.exists(boot):
        with open(boot) as f:
            data = json.load(f)
        lines += ['', '### Spring Boot workers: Tomcat on the master\'s socket, `server.shutdown=graceful`', '',
                  f"`bench/reload.sh --boot` (N = {data['count']}): the sample application itself as the workers "
                  '(`cfork.java.main-class=io.cfork.sample.SampleApplication`; the worker auto-configuration makes '
                  'Tomcat accept on the inherited socket and says READY over `NOTIFY_SOCKET`, '
                  '`cfork.readiness.type=notify`), `server.shutdown=graceful`, `cfork.shutdown-timeout=30s`; wrk '
                  f"on `{BOOT_PATH}` (a 200 that the shutdown does not turn into a 503, unlike `/actuator/health`, "
                  'whose readiness goes `OUT_OF_SERVICE` as the context closes). Same columns as above. Before '
                  "Boot's graceful shutdown, each worker turns keep-alive off, pauses Tomcat's connector, closes its "
                  'copy of the socket and waits up to 2 s for its connections to close; with Boot\'s graceful '
                  'shutdown alone, the same command gave 13 failed requests (read) of 105329 with keep-alive and 3 '
                  '(read) of 82839 with `Connection: close`.', '',
                  '| N | load | failed (requests) | reload time (s) | p99 during reload (ms) | p99 at rest (ms) |',
                  '|---|---|---|---|---|---|']
        for mode in MODES:
            r = data['results'][BOOT][mode]
            e = r['reload']
            detail = ', '.join(f'{k} {e[k]}' for k in ('connect', 'read', 'write', 'timeout', 'non2xx') if e[k])
            lines.append(f"| {data['count']} | {mode} | **{e['failed']}**{f' ({detail})' if detail else ''} of "
                         f"{e['requests']} | {r['reload_seconds']:.2f} | {e['p99_us'] / 1000:.1f} | "
                         f"{r['at_rest']['p99_us'] / 1000:.1f} |")
    lines += [END, '', '']
    return '\n'.join(lines)


def splice():
    path = os.path.join(ROOT, 'BENCHMARKS.md')
    with open(path) as f:
        text = f.read()
    if BEGIN in text:
        before, rest = text.split(BEGIN, 1)
        text = before + section() + rest.split(END, 1)[1].lstrip('\n')
    else:
        text = text.replace('## Ours alone', section() + '## Ours alone', 1)
    with open(path, 'w') as f:
        f.write(text)


def main():
    os.makedirs(WORK, exist_ok=True)
    if sys.argv[1:] == ['--report']:
        splice()
        return
    boot = '--boot' in sys.argv
    for count in (int(n) for n in sys.argv[1:] if n != '--boot'):
        results = {kind: measure(kind, count) for kind in ([BOOT] if boot else SUPERVISORS)}
        name = 'reload-boot.json' if boot else f'reload-{count}.json'
        with open(os.path.join(WORK, name), 'w') as f:
            json.dump({'count': count, 'results': results, 'machine': machine()}, f, indent=1)
        left = [p for kind in results.values() for p in kind['left']]
        print(f'N={count}: processes left and killed: {left}', file=sys.stderr)
    splice()


if __name__ == '__main__':
    main()
