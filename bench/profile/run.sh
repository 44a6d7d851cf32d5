#!/usr/bin/env bash
# Benchmark: mizan-profile (with a stand-in PII observer on every text and integer column)
# against ydata-profiling's minimal mode, on the same synthetic Parquet file, in one run.
#
#   ROWS=10000000 bench/profile/run.sh        (default 10 M rows x 20 columns, in /tmp)
#
# Needs the venv of bench/profile/requirements.txt at $VENV (default
# ~/.cache/mizan-bench-profile) and /usr/bin/time. Prints wall time and peak memory of each
# and the ratio. Target (issue #18): mizan-profile <= 20 s and < 1 GiB at 10 M rows.
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
ydata=$(measure ydata-minimal "$VENV/bin/python" bench/profile/ydata_minimal.py "$FILE")
printf 'rows %s: ydata-profiling minimal / mizan-profile = %.1fx\n' "$ROWS" "$(echo "$ydata / $mizan" | bc -l)"
