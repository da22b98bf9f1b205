-- GET /api/v1/payments/{id} over a set of existing payments.
-- args: ids-file api-key api-secret
local next_id = 1
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  ids = {}
  for line in io.lines(args[1]) do ids[#ids + 1] = line end
  sent = 0
  wrk.headers["X-Api-Key"] = args[2]
  wrk.headers["X-Api-Secret"] = args[3]
end

function request()
  sent = sent + 1
  return wrk.format("GET", "/api/v1/payments/" .. ids[(sent * 13 + tid) % #ids + 1])
end
