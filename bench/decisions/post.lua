-- wrk script: POSTs batches of BATCH decisions with unique idempotency keys.
-- Environment: MIZAN_SYSTEM, MIZAN_TOKEN, BATCH (default 100), TAG (run label).
local counter = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

local system = os.getenv("MIZAN_SYSTEM")
local token = os.getenv("MIZAN_TOKEN")
local batch = tonumber(os.getenv("BATCH") or "100")
local tag = os.getenv("TAG") or "run"
local decided_at = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() - 120)

wrk.method = "POST"
wrk.path = "/api/v1/systems/" .. system .. "/decisions"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token

function request()
  local items = {}
  for i = 1, batch do
    counter = counter + 1
    local key = tag .. "-" .. (thread_id or 0) .. "-" .. counter
    items[i] = '{"idempotency_key":"' .. key .. '","system_version":1,"model_hash":"sha256:bench",' ..
      '"features":{"monthly_income_pkr":' .. (40000 + counter % 90000) .. ',"existing_loans":' .. (counter % 4) ..
      ',"months_at_employer":' .. (counter % 96) .. ',"credit_history_months":' .. (counter % 120) .. '},' ..
      '"output":"approve","score":0.71,"human":{"involved":false,"by":null},' ..
      '"decided_at":"' .. decided_at .. '","subject_ref":"' .. key .. '"}'
  end
  return wrk.format(nil, nil, nil, "[" .. table.concat(items, ",") .. "]")
end

