#!/usr/bin/env bash
# Decision-ledger benchmark through the real HTTP API on loopback, durable (fsync'd) on this
# machine's disk: the release `mizan serve --demo` on a fresh data directory, wrk as the load
# generator (Lua scripts in this directory give every decision a unique idempotency key).
#
# Prints, per scenario, requests/s and latency percentiles (time to acknowledgement), and the
# decisions/s they amount to; then receipt-proof requests/s; then the server's RSS and the log's
# hash-tile bytes per entry.
#
# Usage: [MIZAN_BIN=path] bench/decisions/run.sh [SECONDS] [CONNECTIONS]
# (CONNECTIONS for the batches of 100, single decisions and receipts; batches of 1000 use 8,
# and single decisions run once more with 128)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}; conns=${2:-32}
source bench/decisions/server.sh
# RSS, and its anonymous part: SQLite maps its database file, and the pages of it that were
# read count in RSS too (shared with the page cache, not the server's own memory).
rss() { awk '/VmRSS/ {r=$2} /RssAnon/ {a=$2} END {print r " kB (anonymous " a " kB)"}' /proc/$server/status; }
size() { sed -n 2p "$data/ledger/$shard/checkpoint"; }
echo "system $MIZAN_SYSTEM; server RSS at start: $(rss)"

scenario() { # name batch connections
  local before after
  before=$(size)
  echo; echo "== $1: batches of $2, $3 connections, ${seconds}s"
  TAG="$1" BATCH="$2" wrk -t2 -c"$3" -d"${seconds}s" --latency -s bench/decisions/post.lua "$base" \
    | grep -E "Requests/sec|Latency|50%|99%|Non-2xx|Socket errors"
  sleep 1
  after=$(size)
  echo "decisions logged: $((after - before)) = $(( (after - before) / seconds ))/s; server RSS: $(rss)"
}
scenario batch1000 1000 8
scenario batch100 100 "$conns"
scenario single 1 "$conns"
# More clients at once make bigger groups: one sync of the log and one commit serve them all.
scenario single-128 1 128

# Receipt proofs for a sample of the logged decisions.
refs="$data/refs"
python3 -c 'import json,time; t=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time()-120)); print(json.dumps([{"idempotency_key": f"refs-{i}", "system_version": 1, "model_hash": "sha256:bench", "features": {"i": i}, "output": "approve", "score": 0.5, "human": {"involved": False, "by": None}, "decided_at": t, "subject_ref": f"r{i}"} for i in range(1000)]))' > "$data/refs.json"
curl -fs -H "Authorization: Bearer $MIZAN_TOKEN" -H 'Content-Type: application/json' -d @"$data/refs.json" \
  "$base/api/v1/systems/$MIZAN_SYSTEM/decisions" | python3 -c 'import json,sys; [print(r["reference"]) for r in json.load(sys.stdin)["receipts"]]' > "$refs"
sleep 1
echo; echo "== receipts with proofs: $(wc -l < "$refs") references, $conns connections, ${seconds}s"
REFS_FILE="$refs" wrk -t2 -c"$conns" -d"${seconds}s" --latency -s bench/decisions/receipts.lua "$base" \
  | grep -E "Requests/sec|Latency|50%|99%|Non-2xx"

entries=$(size)
tiles=$(find "$data/ledger/$shard/tile" -path '*/entries' -prune -o -type f -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
echo; echo "log size $entries entries; hash tiles $tiles bytes = $(python3 -c "print(round($tiles/$entries, 2))") bytes/entry; server RSS at end: $(rss)"
