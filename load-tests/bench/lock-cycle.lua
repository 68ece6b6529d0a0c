-- wrk script: every connection (run with -t N -c N) alternates write-lock acquire (ttl 5 s) and
-- release on its own Mistore object; object ids are read one per line from BENCH_PATHS.
-- One operation = one acquire (201) followed by its release (204); anything else counts as bad.
-- Prints "RESULT ops=.. bad=.. seconds=.. p50ms=.. p99ms=.." (latencies are per request).
local ids = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do ids[#ids + 1] = line end
local threads = {}
local n = 0

function setup(thread)
  n = n + 1
  thread:set("id", ids[(n - 1) % #ids + 1])
  threads[#threads + 1] = thread
end

function init(args)
  ok, bad, token = 0, 0, nil
end

function request()
  if token then
    return wrk.format("DELETE", "/v1/locks/" .. token)
  end
  return wrk.format("POST", "/v1/objects/" .. id .. "/locks", {["Content-Type"] = "application/json"},
    '{"type":"write","ttlMs":5000}')
end

function response(status, headers, body)
  if token then
    token = nil
    if status == 204 then ok = ok + 1 else bad = bad + 1 end
  elseif status == 201 then
    token = string.match(body, '"token":"([^"]+)"')
    if not token then bad = bad + 1 end
  else
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local o, b = 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); b = b + t:get("bad") end
  io.write(string.format("RESULT ops=%d bad=%d seconds=%.3f p50ms=%.2f p99ms=%.2f\n", o, b,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
