-- Heartbeats from randomly chosen registered miners, each with its own token.
local miners
init = function(args) miners = dofile(args[1]) end
request = function()
  local m = miners[math.random(#miners)]
  return wrk.format("POST", "/api/v1/miners/" .. m[1] .. "/status",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. m[2]},
    '{"available":true,"current_load":1,"gpu_utilization":0.5,"temperature":61}')
end
