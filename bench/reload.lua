-- wrk script of the reload benchmark: counts the responses other than 2xx (wrk's own count is of
-- those >= 400) and prints the run as one JSON line.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local n = 0
  for _, thread in ipairs(threads) do
    n = n + thread:get("non2xx")
  end
  local e = summary.errors
  io.write(string.format('{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,' ..
    '"non2xx":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n', summary.requests, summary.duration, e.connect, e.read,
    e.write, e.timeout, n, latency:percentile(50), latency:percentile(99), latency.max))
end
