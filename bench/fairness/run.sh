#!/usr/bin/env bash
# Fairness audit benchmark (issue 5): `mizan audit fairness` (release build) against a Python
# script computing the same fairlearn 0.15 MetricFrame and scalar metrics, on one seeded
# Parquet file of ROWS decisions (two sensitive features, a control feature, sample weights,
# label, prediction, and two columns nobody asks for). Both run in this one script on this
# machine, from a warm file cache, under `/usr/bin/time -v` (wall time, peak RSS).
#
# Prints whether the numbers are identical (counts exactly, rates and scalars to 1e-9), the
# speed and peak-memory ratios, and the count pass alone in rows/s (`--timings`, best and
# median of 5). Set KEEP=DIR to keep the data and outputs in DIR.
#
# Usage: bench/fairness/run.sh [ROWS]    (default 10000000; fairlearn then takes minutes)
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-10000000}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mizan-target}"
venv="${MIZAN_BENCH_VENV:-$HOME/.cache/mizan-bench-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -r bench/fairness/requirements.txt
[ -x /usr/bin/time ] || { sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo; $sudo apt-get install -y -qq time >/dev/null; }
cargo build --release -q -p mizan
bin="$CARGO_TARGET_DIR/release/mizan"
if [ -n "${KEEP:-}" ]; then work="$KEEP"; mkdir -p "$work"; else
  work=$(mktemp -d /tmp/mizan-fairness-bench.XXXXXX); trap 'rm -rf "$work"' EXIT; fi
py=("$venv/bin/python" bench/fairness/fairness_bench.py)
data="$work/decisions.parquet"

echo "== generating $rows rows"
"${py[@]}" generate "$rows" "$data"
ls -l "$data"
cat "$data" >/dev/null # warm the file cache for both sides

audit=("$bin" audit fairness --input "$data" --label label --prediction prediction
  --sensitive sex,region --control channel --weight weight --fairlearn-compat --format json)
echo "== mizan audit fairness (3 runs)"
rm -f "$work"/mizan.*.time
for i in 1 2 3; do
  /usr/bin/time -v -o "$work/mizan.$i.time" "${audit[@]}" --output "$work/mizan.json" 2>/dev/null
done
echo "== fairlearn"
/usr/bin/time -v -o "$work/fairlearn.time" "${py[@]}" fairlearn "$data" "$work/fairlearn.json"
echo "== same numbers?"
"${py[@]}" compare "$work/fairlearn.json" "$work/mizan.json"
echo "== count pass alone (--timings, 5 runs)"
for i in 1 2 3 4 5; do
  RUST_LOG=info NO_COLOR=1 "${audit[@]}" --bootstrap 0 --timings --output /dev/null 2>&1 \
    | sed 's/\x1b\[[0-9;]*m//g' | grep -o 'rows_per_s=[0-9.]*' | cut -d= -f2
done >"$work/count_pass.txt"
echo; echo "== summary ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
"${py[@]}" summary "$work"
