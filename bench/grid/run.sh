#!/usr/bin/env bash
# Benchmark: mizan-grid's usage import and sync plan (issue #20), in one run.
#
#   bench/grid/run.sh                      (1,000,000 jobs, 10,000 accounts, best of 3)
#   JOBS=2000000 ACCOUNTS=20000 REPS=5 bench/grid/run.sh
#
# Generates JOBS seeded `sacct -X -P -n` lines in memory, parses and imports them into a fresh
# UsageBook (and re-imports them, all unchanged); then generates desired and actual states of
# ACCOUNTS project accounts (one institution per 20 projects, 3 users each, about 5 % added,
# 5 % removed, 10 % with changed limits, 15 % with a changed user; 100 operator accounts out
# of scope) and times `plan`. Prints the best of REPS runs of each; peak memory of the whole
# run (the 140 MiB of generated text included) comes from /usr/bin/time. See README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
JOBS=${JOBS:-1000000}
ACCOUNTS=${ACCOUNTS:-10000}
REPS=${REPS:-3}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/mizan-target}

cargo build --release -q --example grid_bench -p mizan-grid
BIN=$CARGO_TARGET_DIR/release/examples/grid_bench
/usr/bin/time -v "$BIN" "$JOBS" "$ACCOUNTS" "$REPS" 2> /tmp/mizan-grid-bench.time
grep -E 'Maximum resident set size|Elapsed \(wall clock\)' /tmp/mizan-grid-bench.time
