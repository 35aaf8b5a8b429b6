-- Reserving matches over 20 models, half of them with a GPU-memory requirement.
-- Requests are formatted once in init so wrk spends its CPU sending, not building.
local requests = {}
local counter = 0
init = function()
  for i = 0, 39 do
    local body = string.format(
      '{"job_type":"inference","model":"model-%d","requirements":{%s},"limit":3,"reserve":true}',
      i % 20, (i % 2 == 0) and '"min_gpu_memory":16384' or '')
    requests[i + 1] = wrk.format("POST", "/api/v1/match", {["Content-Type"] = "application/json"}, body)
  end
end
request = function()
  counter = counter % #requests + 1
  return requests[counter]
end
