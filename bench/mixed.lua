-- wrk script: cycles through the paths in env BENCH_PATHS ("|"-separated), with BENCH_COOKIE.
local cookie = os.getenv("BENCH_COOKIE")
local paths = {}
for p in string.gmatch(os.getenv("BENCH_PATHS") or "/", "[^|]+") do
  table.insert(paths, p)
end
local n = 0

request = function()
  n = n + 1
  local headers = {}
  if cookie and cookie ~= "" then headers["Cookie"] = cookie end
  return wrk.format("GET", paths[(n % #paths) + 1], headers)
end

done = function(summary, latency, requests)
  io.write(string.format('BENCH_JSON {"requests": %d, "non2xx": %d}\n', summary.requests,
                         summary.errors.status))
end
