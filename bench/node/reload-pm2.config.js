// PM2 side of the reload benchmark: cluster mode, the same worker, wait_ready (the worker sends
// 'ready' once it listens), a 5 s kill_timeout like ours' shutdown-timeout.
module.exports = {
  apps: [{
    name: 'bench',
    script: __dirname + '/reload-worker.js',
    exec_mode: 'cluster',
    instances: Number(process.env.BENCH_COUNT),
    wait_ready: true,
    listen_timeout: 10000,
    kill_timeout: 5000,
    env: { BENCH_PORT: process.env.BENCH_PORT, BENCH_VERSION_FILE: process.env.BENCH_VERSION_FILE },
  }],
};
