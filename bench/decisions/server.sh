# Sourced by run.sh and memory.sh (from the repository root): takes MIZAN_BIN or builds the
# release binary, starts `mizan serve --demo` on a fresh data directory (removed on exit), and
# exports MIZAN_TOKEN and MIZAN_SYSTEM for the wrk scripts. Sets bin, data, server, base, shard;
# on exit also stops the process in `load`, if the caller started one.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mizan-target}"
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo; $sudo apt-get install -y -qq wrk >/dev/null; }
# MIZAN_BIN: a prebuilt binary (to compare two builds in one run); otherwise build this tree.
if [ -n "${MIZAN_BIN:-}" ]; then bin=$MIZAN_BIN; else cargo build --release -q -p mizan; bin="$CARGO_TARGET_DIR/release/mizan"; fi
data=$(mktemp -d /tmp/mizan-bench.XXXXXX)
trap 'kill $server ${load:-} 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$data"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
RUST_LOG=warn "$bin" serve --data-dir "$data" --listen "127.0.0.1:$port" --demo 2>"$data/server.log" &
server=$!
for _ in $(seq 600); do curl -fs "$base/api/v1/systems?per_page=1" >/dev/null && break; sleep 0.1; done
MIZAN_TOKEN=$("$bin" admin --data-dir "$data" create-token --org demo-indus-bank \
  --scopes decisions:write --expires-in-days 1 2>/dev/null)
MIZAN_SYSTEM=$(curl -fs "$base/api/v1/systems?q=Personal+loan" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
export MIZAN_TOKEN MIZAN_SYSTEM
shard=$(date -u +%Y)
