#!/usr/bin/env bash
# Bounded-work benchmark (issue #14): serves the release binary with the demo data, sends each
# bomb of the issue and reports the answer, the time to it and the server's peak memory (VmHWM)
# before and after, with the peak's growth as a multiple of the bomb's size. The limits are
# asserted in tests (mizan-fairness-io tests/bounds.rs, mizan-server tests/it); this measures.
#
# Usage: [MIZAN_BIN=path] bench/bounds/run.sh
# (MIZAN_BIN: a prebuilt `mizan`, to compare two builds; the bombs come from bombs.py with the
# pinned pyarrow of requirements.txt, in a virtualenv under ~/.cache)
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mizan-target}"
if [ -n "${MIZAN_BIN:-}" ]; then bin=$MIZAN_BIN; else cargo build --release -q -p mizan; bin="$CARGO_TARGET_DIR/release/mizan"; fi
venv="${MIZAN_BENCH_VENV:-$HOME/.cache/mizan-bounds-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -r bench/bounds/requirements.txt
data=$(mktemp -d /tmp/mizan-bounds.XXXXXX)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$data"' EXIT
mkdir "$data/bombs"
"$venv/bin/python" bench/bounds/bombs.py "$data/bombs"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
RUST_LOG=warn "$bin" serve --demo --data-dir "$data" --listen "127.0.0.1:$port" 2>"$data/server.log" &
server=$!
base="http://127.0.0.1:$port"
for _ in $(seq 300); do curl -fs "$base/api/v1/systems?per_page=1" >/dev/null && break; sleep 0.1; done
token=$("$bin" admin --data-dir "$data" create-token --org demo-indus-bank --name bench \
  --scopes systems:read,systems:write,audits:run --expires-in-days 1 2>/dev/null)
system=$(curl -fs -H "authorization: Bearer $token" "$base/api/v1/org/systems" | jq -r '.[0].id // .items[0].id')
hwm() { awk '/VmHWM/ {print $2}' /proc/$server/status; }
printf '%-46s %9s %6s %9s %10s %10s %9s\n' bomb "input KiB" status "seconds" "HWM0 MiB" "HWM1 MiB" "growth/in"
send() { # name file url content-type
  local before after out size
  size=$(stat -c %s "$2"); before=$(hwm)
  out=$(curl -s -o "$data/answer" -w '%{http_code} %{time_total}' -H "authorization: Bearer $token" \
    -H "content-type: $4" --data-binary "@$2" "$3")
  after=$(hwm)
  printf '%-46s %9d %6s %9s %10.1f %10.1f %9.1f\n' "$1" $((size / 1024)) ${out% *} ${out#* } \
    "$(echo "$before/1024" | bc -l)" "$(echo "$after/1024" | bc -l)" "$(echo "($after-$before)*1024/$size" | bc -l)"
  echo "    $(jq -r '.detail // empty' <"$data/answer" 2>/dev/null | head -c 240)"
}
audits="$base/api/v1/org/systems/$system/versions/1/audits"
send "20,000 groups in one column (CSV)" "$data/bombs/groups.csv" \
  "$audits?label=repaid&prediction=approved&sensitive=zip&file_name=groups.csv" text/csv
send "16 MiB over five columns (CSV)" "$data/bombs/wide.csv" \
  "$audits?label=repaid&prediction=approved&sensitive=a,b,c,d,e&file_name=wide.csv" text/csv
send "four 16 MiB LZ4 strings (Parquet)" "$data/bombs/strings.parquet" \
  "$audits?label=repaid&prediction=approved&sensitive=gender&file_name=s.parquet" application/octet-stream
send "30 MiB model JSON" "$data/bombs/model.json" \
  "$base/api/v1/org/systems/$system/versions/1/model" application/octet-stream
send "16 MiB model JSON, invalid at its end" "$data/bombs/model-limit.json" \
  "$base/api/v1/org/systems/$system/versions/1/model" application/octet-stream
