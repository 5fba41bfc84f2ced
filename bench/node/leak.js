// A worker that leaks at a fixed rate, for the max-memory benchmark: every 50 ms it keeps one more
// buffer, filled so that its pages are resident, LEAK_MB_PER_S MiB a second in all, up to
// LEAK_CAP_MB (a bound, so that a supervisor that never recycles it cannot exhaust the machine).
const rate = Number(process.env.LEAK_MB_PER_S || 20);
const cap = Number(process.env.LEAK_CAP_MB || 1500);
const kept = [];
const step = (rate << 20) / 20;
setInterval(() => {
  if (kept.length * step < cap << 20) {
    kept.push(Buffer.alloc(step, 1));
  }
}, 50);
