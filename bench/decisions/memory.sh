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
source bench/decisions/server.sh
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
