#!/usr/bin/env bash
# Benchmark: mizan-profile (with the platform's PII scanner, mizan-pii, on every column)
# against ydata-profiling's minimal mode, on the same synthetic Parquet file, in one run.
#
#   ROWS=10000000 bench/profile/run.sh        (default 10 M rows x 20 columns, in /tmp)
#
# Needs the venv of bench/profile/requirements.txt at $VENV (default
# ~/.cache/mizan-bench-profile) and /usr/bin/time. Prints wall time and peak memory of each
# and the ratio. Target (issue #18): mizan-profile <= 20 s and < 1 GiB at 10 M rows.
# Measured 2026-12-07 on 2 cores (shared with other builds, so +-15%): 10 M rows x 20 columns
# (795 MB, 10 row groups) in 11.7-13.0 s and 126-158 MiB with the PII scanner (8.5-15 s
# without, `--no-pii`); before the scanner's fast paths, per-distinct-value observing and
# observer locks held only while observing, 19.5-23.4 s (12.8-17.4 s without).
# ydata-profiling's minimal mode could not run at 10 M rows (8 GiB per million rows); at 1 M
# rows 254 s and 8 GiB against 4.99 s and 64 MiB: 51x (before the changes above).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${ROWS:-10000000}
VENV=${VENV:-$HOME/.cache/mizan-bench-profile}
FILE=/tmp/mizan-profile-bench-$ROWS.parquet
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/mizan-target}

[ -f "$FILE" ] || "$VENV/bin/python" bench/profile/generate.py "$FILE" "$ROWS"
ls -l "$FILE"
cargo build --release -q --example profile_file -p mizan-profile
BIN=$CARGO_TARGET_DIR/release/examples/profile_file

measure() { # name, command...
    local name=$1; shift
    /usr/bin/time -v "$@" > /dev/null 2> "/tmp/mizan-bench-$name.log"
    local wall rss
    wall=$(grep 'Elapsed (wall clock)' "/tmp/mizan-bench-$name.log" | awk '{print $NF}' |
        awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    rss=$(grep 'Maximum resident set size' "/tmp/mizan-bench-$name.log" | awk '{print $NF}')
    printf '%-14s %8.2f s  %8.1f MiB\n' "$name" "$wall" "$(echo "$rss / 1024" | bc -l)" >&2
    echo "$wall"
}

mizan=$(measure mizan-profile "$BIN" "$FILE" --sensitive province,gender,language)
# ydata-profiling needs about 8 GiB per million rows here: SKIP_YDATA=1 measures Mizan alone.
if [ -n "${SKIP_YDATA:-}" ]; then exit 0; fi
ydata=$(measure ydata-minimal "$VENV/bin/python" bench/profile/ydata_minimal.py "$FILE")
printf 'rows %s: ydata-profiling minimal / mizan-profile = %.1fx\n' "$ROWS" "$(echo "$ydata / $mizan" | bc -l)"
