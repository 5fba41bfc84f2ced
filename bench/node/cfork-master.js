const cfork = require('cfork');
const path = require('path');
const fork = cfork.default || cfork.fork || cfork;
fork({ exec: path.join(__dirname, process.env.BENCH_SCRIPT || 'worker.js'), count: Number(process.env.BENCH_COUNT) })
  .on('reachReforkLimit', () => console.log('reachReforkLimit'));
