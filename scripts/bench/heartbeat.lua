-- Heartbeats from the registered miners in turn, each with its own token.
-- Requests are formatted once in init so wrk spends its CPU sending, not building.
local requests = {}
local counter = 0
init = function(args)
  for line in io.lines(args[1]) do
    local address, token = line:match("(%S+) (%S+)")
    requests[#requests + 1] = wrk.format("POST", "/api/v1/miners/" .. address .. "/status",
      {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token},
      '{"available":true,"current_load":1,"gpu_utilization":0.5,"temperature":61}')
  end
end
request = function()
  counter = counter % #requests + 1
  return requests[counter]
end
