-- The baseline: a match-sized JSON body echoed back.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"job_type":"inference","model":"model-3","requirements":{"min_gpu_memory":16384},"limit":3,"reserve":true}'
