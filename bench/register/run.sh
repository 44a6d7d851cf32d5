#!/usr/bin/env bash
# Register benchmark: loads 10,000 registered systems into a fresh SQLite data directory, serves
# them with the release binary, and drives the JSON list endpoint and the HTML register page
# with wrk on loopback. Prints requests/s, latency percentiles and the server's memory before
# and after the load (to show it stays flat).
#
# Usage: [MIZAN_BIN=path] bench/register/run.sh [SYSTEMS] [SECONDS] [CONNECTIONS]
# (MIZAN_BIN: a prebuilt `mizan` to serve, to compare two builds in one run; the systems are
# loaded with this tree's `seed_bench` either way)
set -euo pipefail
cd "$(dirname "$0")/../.."
systems=${1:-10000}; seconds=${2:-20}; conns=${3:-32}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mizan-target}"
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo; $sudo apt-get install -y -qq wrk >/dev/null; }
if [ -n "${MIZAN_BIN:-}" ]; then bin=$MIZAN_BIN; else cargo build --release -q -p mizan; bin="$CARGO_TARGET_DIR/release/mizan"; fi
cargo build --release -q -p mizan-server --example seed_bench
data=$(mktemp -d /tmp/mizan-bench.XXXXXX)
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
echo "loading $systems systems..."
"$CARGO_TARGET_DIR/release/examples/seed_bench" "sqlite://$data/mizan.db" "$systems"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
RUST_LOG=warn "$bin" serve --data-dir "$data" --listen "127.0.0.1:$port" &
server=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/api/v1/systems?per_page=1" >/dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2 " kB"}' /proc/$server/status; }
echo "server RSS before: $(rss)"
for path in "/api/v1/systems" "/register" "/api/v1/systems?sector=health&page=3" "/register?q=system+00042"; do
  echo; echo "== GET $path  ($conns connections, ${seconds}s, 2 threads)"
  wrk -t2 -c"$conns" -d"${seconds}s" --latency "http://127.0.0.1:$port$path" | grep -E "Requests/sec|Latency|50%|99%|Non-2xx"
  echo "server RSS: $(rss)"
done
