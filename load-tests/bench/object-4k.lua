-- wrk script: every connection (run with -t N -c N) sends BENCH_METHOD (PUT, POST or GET) to its own
-- path; paths are read one per line from the file named by BENCH_PATHS. PUT and POST bodies are 4 KiB.
-- A response with status BENCH_EXPECT (default 200) counts as one operation, any other as bad.
-- With BENCH_FRESH=1 every request goes to a path of its own (path-<tag>-<thread>-<n>, tag from
-- BENCH_TAG: new keys each time, also across the warm-ups and the measured run).
-- Prints "RESULT ops=.. bad=.. seconds=.. p50ms=.. p99ms=.." for load-tests/bench/run.
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local method = os.getenv("BENCH_METHOD") or "GET"
local expect = tonumber(os.getenv("BENCH_EXPECT") or "200")
local fresh = os.getenv("BENCH_FRESH") == "1"
local tag = os.getenv("BENCH_TAG") or "run"
local body = nil
if method == "PUT" or method == "POST" then body = string.rep("m", 4096) end
local threads = {}
local n = 0

function setup(thread)
  n = n + 1
  thread:set("path", paths[(n - 1) % #paths + 1])
  thread:set("id", n)
  threads[#threads + 1] = thread
end

function init(args)
  ok, bad, sent = 0, 0, 0
end

function request()
  sent = sent + 1
  local target = path
  if fresh then target = path .. "-" .. tag .. "-" .. id .. "-" .. sent end
  return wrk.format(method, target, {["Content-Type"] = "application/octet-stream"}, body)
end

function response(status, headers, resp)
  if status == expect then ok = ok + 1 else bad = bad + 1 end
end

function done(summary, latency, requests)
  local o, b = 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); b = b + t:get("bad") end
  io.write(string.format("RESULT ops=%d bad=%d seconds=%.3f p50ms=%.2f p99ms=%.2f\n", o, b,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
