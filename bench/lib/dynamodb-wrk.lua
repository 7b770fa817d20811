-- wrk script of `--measure=dynamodb` (bench/lib/dynamodb.js) and `--measure=s3`
-- (bench/lib/s3.js): replays a pool of pre-signed requests, cycling through
-- them in order from the start index (the S3 bench starts its measured
-- PutObject run in the middle of the pool, so it writes keys the warm-up did not).
--
--   wrk -t 1 -c 32 -d 5s --latency -s dynamodb-wrk.lua http://127.0.0.1:PORT/ -- <pool file> [start index]
--
-- The pool file (writePool of bench/lib/dynamodb-requests.js or s3-requests.js) holds, per request,
-- its length in bytes in decimal, a newline, then the complete HTTP/1.1 request
-- (head with Host, X-Amz-Target, X-Amz-Date, Authorization, Content-Length;
-- then the JSON body). SigV4 signatures have no nonce and stay valid for 15
-- minutes, so replaying them is what a fast client that signs elsewhere does.
-- No response() callback: it would slow wrk down (answers are checked on
-- samples by the harness, with node:http, before and after each run).

local reqs = {}
local n = 0
local i = 0

function init(args)
  local f = assert(io.open(args[1], "rb"))
  local data = f:read("*a")
  f:close()
  local pos = 1
  local size = #data
  while pos <= size do
    local nl = string.find(data, "\n", pos, true)
    if not nl then break end
    local len = tonumber(string.sub(data, pos, nl - 1))
    n = n + 1
    reqs[n] = string.sub(data, nl + 1, nl + len)
    pos = nl + len + 1
  end
  if n == 0 then error("empty request pool: " .. args[1]) end
  i = (tonumber(args[2] or "0") or 0) % n
end

function request()
  i = i + 1
  if i > n then i = 1 end
  return reqs[i]
end
