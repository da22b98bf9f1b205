-- POST /api/v1/payments with a unique Idempotency-Key per request.
-- args: orders-file run-id api-key api-secret
local next_id = 1
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  orders = {}
  for line in io.lines(args[1]) do orders[#orders + 1] = line end
  run_id = args[2]
  sent = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Api-Key"] = args[3]
  wrk.headers["X-Api-Secret"] = args[4]
end

function request()
  sent = sent + 1
  local order = orders[(sent * 7 + tid) % #orders + 1]
  wrk.headers["Idempotency-Key"] = run_id .. "-" .. tid .. "-" .. sent
  local body = '{"order_id":"' .. order .. '","method":"upi","vpa":"shopper@okbank"}'
  return wrk.format(nil, nil, nil, body)
end
