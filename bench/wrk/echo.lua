-- POST /echo with a 1 KB JSON body read from the file given as the first script argument
-- (wrk ... -s bench/wrk/echo.lua URL -- bench/fixtures/echo-1k.txt).
local req

init = function(args)
  local f = assert(io.open(args[1], "rb"))
  local body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/json"
  req = wrk.format("POST", "/echo", nil, body)
end

request = function()
  return req
end
