-- GET / pipelined: each write carries `depth` requests (first script argument, default 16); wrk parses every
-- response and counts each one, but records one latency sample per batch (when the batch's last answer arrives).
local req

init = function(args)
  local depth = tonumber(args[1]) or 16
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format("GET", "/")
  end
  req = table.concat(r)
end

request = function()
  return req
end
