// The same tiny worker for every supervisor, like the seed's worker.js: an HTTP server that writes
// a ready file (named by its pid, holding the epoch time in ms) once it listens.
const fs = require('fs');
const http = require('http');
const index = Number(process.env.CFORK_WORKER_INDEX || process.env.NODE_APP_INSTANCE || 0);
// Node 20 cannot share a port without cluster (no reusePort): under our supervisor each worker
// listens on base + index; under cfork and PM2 (cluster) all share the base port.
const port = Number(process.env.BENCH_PORT) + (process.env.BENCH_OWN_PORT ? index : 0);
http.createServer((req, res) => res.end('hello fork\n')).listen(port, () => {
  const now = performance.timeOrigin + performance.now();
  fs.writeFileSync(`${process.env.BENCH_READY_DIR}/${process.pid}`, String(now));
  console.log(`ready ${now}`);
});
