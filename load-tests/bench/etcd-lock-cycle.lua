-- wrk script: the etcd side of lock-cycle.lua, through etcd's JSON gateway. Every connection
-- (run with -t N -c N) first grants itself a lease (like an etcd client's session), then
-- alternates lock and unlock of its own lock name
-- (bench-$BENCH_TAG-lock-N, so a warm-up's last held lock does not block the measured run).
-- One operation = one lock (200 with a key) followed by its unlock (200). Prints the same RESULT line as lock-cycle.lua.
local threads = {}
local n = 0

function setup(thread)
  n = n + 1
  thread:set("name", "bench-" .. (os.getenv("BENCH_TAG") or "run") .. "-lock-" .. n)
  threads[#threads + 1] = thread
end

local function b64(s)
  local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  return ((s:gsub(".", function(c)
    local r, byte = "", c:byte()
    for i = 8, 1, -1 do r = r .. (byte % 2 ^ i - byte % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return chars:sub(c + 1, c + 1)
  end) .. ({"", "==", "="})[#s % 3 + 1])
end

function init(args)
  ok, bad, lease, key = 0, 0, nil, nil
  name64 = b64(name)
end

function request()
  if not lease then
    return wrk.format("POST", "/v3/lease/grant", nil, '{"TTL":60}')
  elseif key then
    return wrk.format("POST", "/v3/lock/unlock", nil, '{"key":"' .. key .. '"}')
  end
  return wrk.format("POST", "/v3/lock/lock", nil, '{"name":"' .. name64 .. '","lease":"' .. lease .. '"}')
end

function response(status, headers, body)
  if not lease then
    lease = string.match(body, '"ID":"(%d+)"')
  elseif key then
    key = nil
    if status == 200 then ok = ok + 1 else bad = bad + 1 end
  elseif status == 200 then
    key = string.match(body, '"key":"([^"]+)"')
    if not key then bad = bad + 1 end
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
