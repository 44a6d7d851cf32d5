#!/usr/bin/env bash
# Appeals benchmark (issue #17): the release `mizan serve --demo` on a fresh data directory,
# wrk on loopback.
#
# 1. Queue page: logs OPEN decisions of the demo bank's loan system through the API, opens an
#    appeal on each with `seed_appeals` (mizan-app example: `Store::open_case`, the rows filing
#    writes), signs in as the bank's admin and drives `GET /app/appeals` (target p99 <= 100 ms
#    at 100,000 open appeals).
# 2. Filing: `POST /api/v1/receipts/{ref}/appeals`, one appeal per fresh receipt (file.lua
#    reads FILE references logged beforehand), with the server's public-form allowance raised
#    (`--public-form-free`, as every request comes from 127.0.0.1) (target p99 <= 50 ms).
# 3. Figures: `case_stats_bench` (mizan-store example) times the public figures of SYSTEMS
#    systems with CASES closed appeals each: `Store::case_stats` once per system, and
#    `Store::case_stats_by_system` in one pass (target <= 1 s for 1,000 x 1,000).
#
# Usage: [MIZAN_BIN=path] bench/appeals/run.sh [SECONDS] [CONNECTIONS] [OPEN] [FILE] [SYSTEMS] [CASES]
# (defaults 10 s, 16 connections, 100,000 open appeals, 20,000 receipts to file on, 1,000
# systems x 1,000 cases)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}; conns=${2:-16}; open=${3:-100000}; file=${4:-20000}; systems=${5:-1000}; cases=${6:-1000}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mizan-target}"
cargo build --release -q -p mizan-app --example seed_appeals
cargo build --release -q -p mizan-store --example case_stats_bench
examples="$CARGO_TARGET_DIR/release/examples"
# Every request comes from 127.0.0.1: let it file as many appeals as the run needs.
export MIZAN_PUBLIC_FORM_FREE=1000000000
source bench/decisions/server.sh
echo "system $MIZAN_SYSTEM; $bin"
# The demo holds declined loans for a person's review (its oversight policy); this benchmark
# appeals declined decisions, which may be appealed only once in effect, so it lifts the policy.
policy_token=$("$bin" admin --data-dir "$data" create-token --org demo-indus-bank --scopes oversight:set \
  --expires-in-days 1 2>/dev/null)
for v in $(curl -fs "$base/api/v1/systems/$MIZAN_SYSTEM/oversight" \
  | python3 -c 'import json,sys; print(" ".join(str(p["from_version"]) for p in json.load(sys.stdin)["policies"]))'); do
  curl -fs -o /dev/null -X PUT -H "Authorization: Bearer $policy_token" -H "Content-Type: application/json" \
    -d "{\"version\": $v, \"policy\": {}}" "$base/api/v1/org/systems/$MIZAN_SYSTEM/oversight"
done

# Decisions to appeal: batches of 1,000 through the API; their references, one a line.
log_decisions() { # count file tag
  python3 - "$base" "$MIZAN_SYSTEM" "$MIZAN_TOKEN" "$1" "$3" > "$2" <<'PY'
import json, sys, time, urllib.request
base, system, token, count, tag = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 120))
for start in range(0, count, 1000):
    items = [{"idempotency_key": f"{tag}-{i}", "system_version": 1, "model_hash": "sha256:bench",
              "features": {"monthly_income_pkr": 40000 + i % 90000, "existing_loans": i % 4,
                           "months_at_employer": i % 96, "credit_history_months": i % 120},
              "output": "decline", "score": 0.31, "human": {"involved": False, "by": None},
              "decided_at": at, "subject_ref": f"{tag}-{i}"} for i in range(start, min(start + 1000, count))]
    req = urllib.request.Request(f"{base}/api/v1/systems/{system}/decisions", data=json.dumps(items).encode(),
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    for r in json.load(urllib.request.urlopen(req))["receipts"]:
        print(r["reference"])
PY
}
t0=$(date +%s)
log_decisions "$open" "$data/open-refs" open
log_decisions "$file" "$data/file-refs" file
sleep 1
echo "logged $(wc -l < "$data/open-refs") + $(wc -l < "$data/file-refs") decisions in $(( $(date +%s) - t0 )) s"
"$examples/seed_appeals" "sqlite://$data/mizan.db" "$data/open-refs"

# Sign in as the demo bank's admin through the login form.
jar="$data/cookies"
csrf=$(curl -fs -c "$jar" -b "$jar" "$base/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
curl -fs -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf=$csrf" \
  --data-urlencode "email=admin@indus-bank.demo" --data-urlencode "password=demo-bank-admin" "$base/login"
cookie=$(sed 's/^#HttpOnly_//' "$jar" | awk '!/^#/ && NF >= 7 {printf "%s=%s; ", $6, $7}')
rows=$(curl -fs -H "Cookie: $cookie" "$base/app/appeals" | grep -o 'href="/app/appeals/AP-' | wc -l)
[ "$rows" -gt 0 ] || { echo "the queue page shows no appeals; sign-in failed?" >&2; exit 1; }
echo; echo "== GET /app/appeals with $open + demo open appeals ($rows rows on the page), $conns connections, ${seconds}s"
wrk -t2 -c"$conns" -d"${seconds}s" --latency -H "Cookie: $cookie" "$base/app/appeals" \
  | grep -E "requests in|Requests/sec|Latency|50%|99%|Non-2xx|Socket errors"

echo; echo "== POST /api/v1/receipts/{ref}/appeals, one per fresh receipt, $conns connections, ${seconds}s"
REFS_FILE="$data/file-refs" THREADS=2 wrk -t2 -c"$conns" -d"${seconds}s" --latency -s bench/appeals/file.lua "$base" \
  | grep -E "requests in|Requests/sec|Latency|50%|99%|Non-2xx|Socket errors"
filed=$(python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(\"SELECT count(*) FROM cases c JOIN decisions d ON d.reference = c.subject WHERE c.case_type = 'appeal' AND d.idempotency_key LIKE 'file-%'\").fetchone()[0])" "$data/mizan.db")
echo "appeals filed: $filed of $(wc -l < "$data/file-refs") receipts"

echo; echo "== public figures of $systems systems x $cases closed appeals"
"$examples/case_stats_bench" "$data/stats" "$systems" "$cases"
