-- Heartbeats from the registered miners in a random order (each with its own token), reporting no load.
-- Requests are formatted once in init so wrk spends its CPU sending, not building.
local requests = {}
local counter = 0
init = function(args)
  for line in io.lines(args[1]) do
    local address, token = line:match("(%S+) (%S+)")
    requests[#requests + 1] = wrk.format("POST", "/api/v1/miners/" .. address .. "/status",
      {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token},
      '{"available":true,"current_load":0,"gpu_utilization":0.5,"temperature":61}')
  end
  math.randomseed(os.time() + tonumber(tostring(requests):match("0x(%x+)") or "0", 16) % 1000)
  for i = #requests, 2, -1 do
    local j = math.random(i)
    requests[i], requests[j] = requests[j], requests[i]
  end
end
request = function()
  counter = counter % #requests + 1
  return requests[counter]
end
