// The Node worker of the reload benchmark, the same for both supervisors: an HTTP server answering
// the version deployed on disk when it started, which drains on SIGTERM (ours) or SIGINT (PM2).
// Under ours it accepts on the master's socket (cfork.listen: fd 3) and is ready once it logs
// "listening"; under PM2's cluster mode it listens on the port (the cluster shares it) and says
// 'ready' (wait_ready).
const fs = require('fs');
const http = require('http');
const net = require('net');

const version = fs.readFileSync(process.env.BENCH_VERSION_FILE, 'utf8').trim();
let draining = false;
const server = http.createServer((req, res) => {
  // Draining: this response is the connection's last, and says so.
  if (draining) res.setHeader('Connection', 'close');
  res.end(`hello fork (version ${version})\n`);
});
const onMastersSocket = process.env.CFORK_WORKER_INDEX !== undefined;
server.listen(onMastersSocket ? { fd: 3 } : { port: Number(process.env.BENCH_PORT) }, () => {
  console.log('listening');
  if (process.send) process.send('ready');
});

function drain() {
  if (draining) return;
  draining = true;
  // Stop accepting; net.Server's close keeps the kept-alive connections (http.Server's closes the
  // idle ones at once since Node 19, racing the client's next request). Exit once all are closed.
  net.Server.prototype.close.call(server, () => process.exit(0));
  // A connection that sends nothing more is closed after a grace period.
  setTimeout(() => server.closeIdleConnections(), 2000).unref();
}
process.on('SIGTERM', drain);
process.on('SIGINT', drain);
