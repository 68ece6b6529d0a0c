-- wrk script: each connection (run with -t N -c N) PUTs 4 KiB to its own object; ids one per line in MISTORE_IDS.
local ids = {}
for line in io.lines(os.getenv("MISTORE_IDS")) do ids[#ids + 1] = line end
local n = 0
function setup(thread)
  n = n + 1
  thread:set("id", ids[(n - 1) % #ids + 1])
end
local body = string.rep("x", 4096)
function request()
  return wrk.format("PUT", "/v1/objects/" .. id, nil, body)
end
