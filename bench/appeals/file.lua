-- wrk script: files one appeal per receipt reference read from REFS_FILE; each thread takes
-- every THREADS-th reference (THREADS: wrk's -t), so no two requests file on one decision.
local refs = {}
for line in io.lines(os.getenv("REFS_FILE")) do refs[#refs + 1] = line end
local threads = {}
local n = tonumber(os.getenv("THREADS") or "2")

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"grounds":"My income was read wrongly: I earn more than the form says.","category":"wrong-data","disputed":["monthly_income_pkr"],"lang":"en"}'

function request()
  local k = (thread_id or 0) + 1 + i * n
  i = i + 1
  -- Past the end the references repeat: those filings are refused (409) and counted as non-2xx.
  return wrk.format(nil, "/api/v1/receipts/" .. refs[((k - 1) % #refs) + 1] .. "/appeals")
end
