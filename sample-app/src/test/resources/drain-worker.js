// A Node worker for a pool with cfork.listen: it accepts on the master's socket (fd 3) and
// drains on SIGTERM, so that a reload, a restart or a stop fails no request.
const fs = require('fs');
const http = require('http');
const net = require('net');

const version = fs.readFileSync('version.txt', 'utf8').trim(); // the code on disk at fork time
let draining = false;
const server = http.createServer((req, res) => {
  if (draining) res.setHeader('Connection', 'close'); // the connection's last response says so
  res.setHeader('X-Worker-Pid', process.pid);
  res.end(`hello fork (version ${version})\n`);
});
server.listen({ fd: 3 }, () => console.log('listening')); // cfork.readiness: log "listening"

process.on('SIGTERM', () => {
  draining = true;
  // Stop accepting, keep the kept-alive connections, exit once all are closed. (http.Server's
  // close() also closes idle connections at once since Node 19, racing the client's next request:
  // net.Server's does not.)
  net.Server.prototype.close.call(server, () => process.exit(0));
  // A connection that sends nothing more is closed after a grace period.
  setTimeout(() => server.closeIdleConnections(), 2000).unref();
});
