#!/usr/bin/env bash
# Benchmark: mizan-dp's table build and query answers (issue #19), in one run.
#
#   bench/dp/run.sh                         (10 M rows, 5 repetitions, table in /tmp)
#   ROWS=1000000 REPS=9 bench/dp/run.sh
#
# Generates ROWS seeded rows (unit id, province with public keys, sex, district without
# public keys, income), builds the sandbox table (k = 3) and reports its build time and file
# size; then times `Table::read_for` + `answer` for a grouped count (2 group columns), grouped
# means, a partition selection and a grouped quantile, printing the median of REPS runs.
# Peak memory of the whole run comes from /usr/bin/time. Target: each query <= 1 s on 2 cores.
# Measured 2026-12-07 on 2 cores shared with another build (load about 1), release build under
# `nice`: 10 M rows -> 7.76 M kept of 3.17 M units; build 5.3-5.6 s (pushing 4.8-5.2 s,
# writing 0.4-0.5 s; generating the rows another 3 s), table 69.3 MiB (LZ4). Medians of 5,
# read_for + answer: count by province, sex 106-130 ms; mean(income) by province 138-201 ms;
# mean(income) by province, sex 173-205 ms; count by district (partition selection)
# 61-82 ms; quantile(income, 0.5) by province 305-348 ms. Peak RSS 235 MiB for the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${ROWS:-10000000}
REPS=${REPS:-5}
TABLE=${TABLE:-/tmp/mizan-dp-bench-$ROWS.arrow}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/mizan-target}

cargo build --release -q --example bench -p mizan-dp
BIN=$CARGO_TARGET_DIR/release/examples/bench
/usr/bin/time -v "$BIN" "$ROWS" "$REPS" "$TABLE" 2> /tmp/mizan-dp-bench.time
grep -E 'Maximum resident set size|Elapsed \(wall clock\)' /tmp/mizan-dp-bench.time
rm -f "$TABLE"
