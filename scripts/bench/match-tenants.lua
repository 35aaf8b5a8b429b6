-- Reserving matches like match.lua, each with its own job_id and one of 50 tenants: the billing
-- meter then also stores each job's tenant (a row per job, group-committed with the counts).
-- Each wrk thread formats 200,000 distinct requests once in init and sends them in turn.
local threads = 0
setup = function(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local requests = {}
local counter = 0
init = function()
  for i = 0, 199999 do
    local body = string.format(
      '{"job_type":"inference","model":"model-%d","requirements":{%s},"limit":3,"reserve":true,"job_id":"bench-%d-%d","tenant_id":"tenant-%d"}',
      i % 20, (i % 2 == 0) and '"min_gpu_memory":16384' or '', tid, i, i % 50)
    requests[i + 1] = wrk.format("POST", "/api/v1/match", {["Content-Type"] = "application/json"}, body)
  end
end
request = function()
  counter = counter % #requests + 1
  return requests[counter]
end
