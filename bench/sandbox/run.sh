#!/usr/bin/env bash
# The sandbox's budget check and record (issue #19: p99 ≤ 5 ms): Store::record_spend on a fresh
# SQLite database, and on PostgreSQL when DATABASE_URL is given. Usage:
#   bench/sandbox/run.sh [SPENDS] [CONCURRENCY]        (defaults 2000 and 8)
#   DATABASE_URL=postgres://... bench/sandbox/run.sh
# The DP queries themselves: bench/dp/run.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mizan-target}"
spends="${1:-2000}"
concurrency="${2:-8}"
cargo build --release --locked -q -p mizan-store --example spend_bench
bin="$CARGO_TARGET_DIR/release/examples/spend_bench"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "SQLite:"
"$bin" "sqlite://$dir/bench.db" "$spends" "$concurrency"
if [ -n "${DATABASE_URL:-}" ]; then
  echo "PostgreSQL:"
  "$bin" "$DATABASE_URL" "$spends" "$concurrency"
fi
