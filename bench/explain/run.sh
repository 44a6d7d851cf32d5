#!/usr/bin/env bash
# TreeSHAP benchmark (issue #6): Mizan's exact path-dependent TreeSHAP against XGBoost's own
# pred_contribs, on one model (500 trees of depth 6, 30 features, seeded synthetic data with
# missing values) and the same 10,000 rows, in one run with the same number of threads:
#   classic  XGBoost 3.2.0, the last release with the classic TreeSHAP algorithm (Python 3.11)
#   current  XGBoost 3.4.1, the current release, float32 QuadratureTreeSHAP (needs Python >= 3.12)
#   mizan    crates/mizan-explain/examples/treeshap_bench.rs, release build, rows in parallel
# then checks that every contribution agrees with Mizan's to the tolerance of the engine's
# XGBoost goldens, and prints the ratios and Mizan's one-at-a-time latency (SHAP alone, and
# SHAP plus a recourse search with the CLI's settings).
#
# Usage: bench/explain/run.sh [THREADS] [REPEATS] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${1:-2}; repeats=${2:-3}; out=${3:-$(mktemp -d /tmp/mizan-explain-bench.XXXXXX)}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mizan-target}"
venvs="${MIZAN_BENCH_VENVS:-$HOME/.cache/mizan-bench-explain}"
here=bench/explain

# A Python of the given minor version: on PATH, or from pyenv.
python_for() {
  local v=$1 p
  for p in "python$v" "$HOME/.pyenv/versions/$v"*/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sys' 2>/dev/null; then command -v "$p"; return; fi
  done
  echo "no Python $v found; install it (e.g. pyenv install $v)" >&2; exit 1
}
venv() {  # venv NAME PYTHON_VERSION
  local dir="$venvs/$1"
  if [ ! -x "$dir/bin/python" ] || ! cmp -s "$here/requirements.txt" "$dir/requirements.txt"; then
    rm -rf "$dir"
    "$(python_for "$2")" -m venv "$dir"
    "$dir/bin/pip" install -q -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$dir/requirements.txt"
  fi
  echo "$dir/bin/python"
}
classic=$(venv classic 3.11)
current=$(venv current 3.12)
cargo build --release -q -p mizan-explain --example treeshap_bench

echo "output in $out; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$classic" "$here/compare.py" train "$out"
"$classic" "$here/compare.py" xgboost "$out" classic "$threads" "$repeats"
"$current" "$here/compare.py" xgboost "$out" current "$threads" "$repeats"
"$CARGO_TARGET_DIR/release/examples/treeshap_bench" "$out" "$threads" "$repeats"
"$classic" "$here/compare.py" report "$out"
