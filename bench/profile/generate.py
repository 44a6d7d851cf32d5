#!/usr/bin/env python3
"""Writes the benchmark's synthetic Parquet file: ROWS rows x 20 columns, seeded.

Usage: generate.py OUT.parquet ROWS
Row groups of 1 Mi rows (pyarrow's default), snappy, written a group at a time so memory
stays small. Columns: integers and floats with nulls, a boolean, a date, low-cardinality
text (province, gender, district), and high-cardinality text (names, CNICs, phones).
"""

import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

PROVINCES = ["Punjab", "Sindh", "Khyber Pakhtunkhwa", "Balochistan", "Islamabad Capital Territory"]
DISTRICTS = [f"District {i}" for i in range(140)] + ["لاہور", "کراچی", "پشاور", "کوئٹہ"]
GROUP = 1 << 20


def nulls(rng, n, p):
    return rng.random(n) < p


def chunk(rng, start, n):
    def ints(lo, hi, p=0.0):
        return pa.array(rng.integers(lo, hi, n), mask=nulls(rng, n, p) if p else None)

    def floats(mu, sd, p=0.0):
        return pa.array(rng.normal(mu, sd, n), mask=nulls(rng, n, p) if p else None)

    def pick(values, p=0.0):
        idx = rng.integers(0, len(values), n)
        return pa.array(np.array(values, dtype=object)[idx], type=pa.string(),
                        mask=nulls(rng, n, p) if p else None)

    def strings(fmt, hi, p=0.0):
        return pa.array([fmt.format(x) for x in rng.integers(0, hi, n)], type=pa.string(),
                        mask=nulls(rng, n, p) if p else None)

    return pa.table({
        "id": pa.array(np.arange(start, start + n, dtype=np.int64)),
        "age": ints(18, 91, 0.03),
        "household": ints(1, 15),
        "children": ints(0, 9, 0.1),
        "income": pa.array(np.round(rng.lognormal(10.5, 0.8, n), 2), mask=nulls(rng, n, 0.05)),
        "score": floats(0, 1),
        "risk": floats(0.3, 0.1, 0.02),
        "latitude": floats(30.4, 3.0),
        "longitude": floats(69.3, 3.0),
        "loan": ints(0, 5_000_000, 0.2),
        "approved": pa.array(rng.random(n) < 0.37),
        "joined": pa.array(rng.integers(16000, 20000, n).astype("int32"), type=pa.int32()).cast(pa.date32()),
        "province": pick(PROVINCES, 0.01),
        "gender": pick(["Male", "Female", "Transgender"], 0.01),
        "district": pick(DISTRICTS),
        "language": pick(["Urdu", "Punjabi", "Sindhi", "Pashto", "Balochi", "Saraiki", "English"], 0.05),
        "name": strings("person {}", 5_000_000),
        "cnic": strings("35202-{:07d}-1", 9_999_999),
        "phone": strings("0300-{:07d}", 9_999_999, 0.3),
        "email": strings("user{}@example.pk", 3_000_000, 0.4),
    })


def main():
    out, rows = sys.argv[1], int(sys.argv[2])
    rng = np.random.default_rng(18)
    writer = None
    for start in range(0, rows, GROUP):
        t = chunk(rng, start, min(GROUP, rows - start))
        writer = writer or pq.ParquetWriter(out, t.schema, compression="snappy")
        writer.write_table(t, row_group_size=GROUP)
    writer.close()


if __name__ == "__main__":
    main()
