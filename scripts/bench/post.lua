-- One JSON POST, repeated: wrk ... -s post.lua URL -- PATH BODY
init = function(args)
  request_bytes = wrk.format("POST", args[1], {["Content-Type"] = "application/json"}, args[2])
end
request = function()
  return request_bytes
end
