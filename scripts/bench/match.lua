-- Reserving matches over 20 models, half of them with a GPU-memory requirement.
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format(
    '{"job_type":"inference","model":"model-%d","requirements":{%s},"limit":3,"reserve":true}',
    counter % 20, (counter % 2 == 0) and '"min_gpu_memory":16384' or '')
  return wrk.format("POST", "/api/v1/match", {["Content-Type"] = "application/json"}, body)
end
