-- GET /users/{id} with the id cycling through 1..1000 (every request routes a path parameter).
local n = 0

request = function()
  n = n + 1
  return wrk.format("GET", "/users/" .. ((n % 1000) + 1))
end
