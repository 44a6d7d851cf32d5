#!/usr/bin/env bash
# Server memory over a long run of the decision API: batches of 1000 decisions from 8
# connections for SECONDS, printing every INTERVAL seconds the log size and the server's RSS
# (total, and its anonymous part: the pages of SQLite's mapped database file that were read
# count in RSS too, but they are the page cache's, not the server's own memory).
#
# Needs about 1 GB of disk per million decisions (database, write-ahead log, tiles).
# Usage: [MIZAN_BIN=path] bench/decisions/memory.sh [SECONDS] [INTERVAL]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-120}; every=${2:-10}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mizan-target}"
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo; $sudo apt-get install -y -qq wrk >/dev/null; }
if [ -n "${MIZAN_BIN:-}" ]; then bin=$MIZAN_BIN; else cargo build --release -q -p mizan; bin="$CARGO_TARGET_DIR/release/mizan"; fi
data=$(mktemp -d /tmp/mizan-memory.XXXXXX)
trap 'kill $server $load 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$data"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
RUST_LOG=warn "$bin" serve --data-dir "$data" --listen "127.0.0.1:$port" --demo 2>"$data/server.log" &
server=$!
for _ in $(seq 600); do curl -fs "$base/api/v1/systems?per_page=1" >/dev/null && break; sleep 0.1; done
export MIZAN_TOKEN=$("$bin" admin --data-dir "$data" create-token --org demo-indus-bank \
  --scopes decisions:write --expires-in-days 1 2>/dev/null)
export MIZAN_SYSTEM=$(curl -fs "$base/api/v1/systems?q=Personal+loan" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
shard=$(date -u +%Y)
TAG=memory BATCH=1000 wrk -t2 -c8 -d"${seconds}s" -s bench/decisions/post.lua "$base" >/dev/null &
load=$!
printf '%8s %12s %12s %14s\n' seconds entries rss_kB anonymous_kB
for t in $(seq 0 "$every" "$seconds"); do
  [ "$t" -gt 0 ] && sleep "$every"
  size=$(sed -n 2p "$data/ledger/$shard/checkpoint")
  read -r rss anon < <(awk '/VmRSS/ {r=$2} /RssAnon/ {a=$2} END {print r, a}' /proc/$server/status)
  printf '%8s %12s %12s %14s\n' "$t" "$size" "$rss" "$anon"
done
wait $load || true
