#!/usr/bin/env python3
"""ydata-profiling's minimal mode on a Parquet file: the benchmark's comparison."""

import sys
import time

import pandas as pd
from ydata_profiling import ProfileReport

start = time.time()
df = pd.read_parquet(sys.argv[1])
report = ProfileReport(df, minimal=True, progress_bar=False)
report.to_json()
print(f"ydata-profiling minimal: {len(df)} rows in {time.time() - start:.1f} s", file=sys.stderr)
