-- wrk script for a short diagnostic run after a run that had non-2xx responses:
-- prints the status and the first bytes of the body of every non-2xx response
-- to stderr (bench/lib/load.js counts them). Not used for measured runs: a Lua
-- response() callback slows wrk down.
function response(status, headers, body)
  if status < 200 or status > 299 then
    io.stderr:write(status .. " " .. string.gsub(string.sub(body or "", 1, 120), "\n", " ") .. "\n")
  end
end
