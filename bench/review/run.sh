#!/usr/bin/env bash
# Review-queue benchmark: loads SYSTEMS systems (AWAITING of them high-risk and waiting for the
# ethics board) into a fresh SQLite data directory, serves them with the release binary, signs in
# as a reviewer through the real login form, and drives the review queue page with wrk on
# loopback. Prints requests/s and latency percentiles (the target is p99 < 50 ms at 10,000
# systems).
#
# Usage: bench/review/run.sh [SYSTEMS] [AWAITING] [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/../.."
systems=${1:-10000}; awaiting=${2:-1000}; seconds=${3:-20}; conns=${4:-16}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mizan-target}"
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo; $sudo apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p mizan
cargo build --release -q -p mizan-server --example seed_bench
data=$(mktemp -d /tmp/mizan-bench.XXXXXX)
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
echo "loading $systems systems, $awaiting awaiting review..."
"$CARGO_TARGET_DIR/release/examples/seed_bench" "sqlite://$data/mizan.db" "$systems" "$awaiting"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
RUST_LOG=warn "$CARGO_TARGET_DIR/release/mizan" serve --data-dir "$data" --listen "127.0.0.1:$port" &
server=$!
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fs "$base/api/v1/systems?per_page=1" >/dev/null && break; sleep 0.1; done
jar="$data/cookies"
csrf=$(curl -fs -c "$jar" -b "$jar" "$base/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
curl -fs -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf=$csrf" \
  --data-urlencode "email=bench-reviewer@example.pk" --data-urlencode "password=bench-reviewer" "$base/login"
cookie=$(sed 's/^#HttpOnly_//' "$jar" | awk '!/^#/ && NF >= 7 {printf "%s=%s; ", $6, $7}')
rows=$(curl -fs -H "Cookie: $cookie" "$base/review" | grep -c 'href="/review/systems/' || true)
[ "$rows" -gt 0 ] || { echo "signed-in queue page shows no systems; sign-in failed?" >&2; exit 1; }
echo "queue page lists $rows systems per page"
for path in "/review" "/review?page=10"; do
  echo; echo "== GET $path  ($conns connections, ${seconds}s, 2 threads)"
  wrk -t2 -c"$conns" -d"${seconds}s" --latency -H "Cookie: $cookie" "$base$path" | grep -E "Requests/sec|Latency|50%|99%|Non-2xx"
done
