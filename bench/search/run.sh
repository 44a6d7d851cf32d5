#!/usr/bin/env bash
# Search benchmark (issue #18, item 7): indexes DOCS synthetic datasets (seeded; titles,
# descriptions and keywords in English and Urdu from small vocabularies, six facets) into a
# temporary directory with `Index::rebuild`, then times QUERIES searches (1–3 words, a third in
# Urdu, most ending mid-word, half filtered by province, some by theme or access, one in ten
# browsing, a fifth sorted by title or date; 20 hits each with highlights and all six facets)
# and prints p50/p95/p99. Target: p99 <= 20 ms at 100,000 datasets.
#
# Usage: bench/search/run.sh [DOCS] [QUERIES]   (defaults 100,000 and 2,000)
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mizan-target}"
cargo run --release -q -p mizan-search --example bench_search -- "${1:-100000}" "${2:-2000}"
