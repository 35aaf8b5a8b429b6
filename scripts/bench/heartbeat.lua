-- Heartbeats from the registered miners in turn, each with its own token.
-- Requests are formatted once in init so wrk spends its CPU sending, not building.
local requests = {}
local counter = 0
init = function(args)
  for i, m in ipairs(dofile(args[1])) do
    requests[i] = wrk.format("POST", "/api/v1/miners/" .. m[1] .. "/status",
      {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. m[2]},
      '{"available":true,"current_load":1,"gpu_utilization":0.5,"temperature":61}')
  end
end
request = function()
  counter = counter % #requests + 1
  return requests[counter]
end
