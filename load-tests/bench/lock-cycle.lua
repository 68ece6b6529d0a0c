-- wrk script: each connection (run with -t N -c N) alternates write-lock acquire and release on its
-- own object. Object ids come one per line from the file named by MISTORE_IDS.
-- Each completed acquire+release pair counts as two wrk requests.
local ids = {}
for line in io.lines(os.getenv("MISTORE_IDS")) do ids[#ids + 1] = line end
local n = 0
function setup(thread)
  n = n + 1
  thread:set("id", ids[(n - 1) % #ids + 1])
end
local token = nil
function request()
  if token then
    return wrk.format("DELETE", "/v1/locks/" .. token)
  end
  return wrk.format("POST", "/v1/objects/" .. id .. "/locks", {["Content-Type"] = "application/json"},
    '{"type":"write","ttlMs":2000}')
end
function response(status, headers, body)
  if token then
    token = nil
  elseif status == 201 then
    token = string.match(body, '"token":"([^"]+)"')
  end
end
