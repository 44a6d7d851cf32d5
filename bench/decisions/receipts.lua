-- wrk script: GETs receipts (with their tlog-proof) for references read from REFS_FILE.
local refs = {}
for line in io.lines(os.getenv("REFS_FILE")) do refs[#refs + 1] = line end
local i = 0
function request()
  i = i + 1
  return wrk.format("GET", "/api/v1/receipts/" .. refs[(i % #refs) + 1])
end
