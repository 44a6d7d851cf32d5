#!/usr/bin/env python3
"""Inputs and pandas/pyarrow goldens for mizan-profile (crates/mizan-profile/tests/goldens.rs).

Writes, into crates/mizan-profile/tests/data/:
  people.csv, people.parquet, people.jsonl   the same seeded synthetic table three ways
  pandas/people.json                         what pandas and NumPy compute on that table

The table has integers and floats with nulls, a boolean, ISO dates, Urdu text, a CNIC
column with some malformed values, a free-text column with commas, quotes and newlines,
three duplicated rows, and the sensitive columns `province` and `gender` (with a group
under the minimum size). Run from anywhere:

    python -m venv ~/.cache/mizan-oracles-profile
    ~/.cache/mizan-oracles-profile/bin/pip install -r oracles/profile/requirements.txt
    ~/.cache/mizan-oracles-profile/bin/python oracles/profile/generate.py
"""

import json
import pathlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "mizan-profile" / "tests" / "data"
# mizan_profile::NULL_TOKENS: what the crate reads as null in a CSV.
NULL_TOKENS = ["", "NA", "N/A", "n/a", "NULL", "null", "NaN", "nan", "None", "<NA>"]
N = 900
SEED = 18

PROVINCES = ["Punjab", "Sindh", "Khyber Pakhtunkhwa", "Balochistan", "Islamabad Capital Territory",
             "Gilgit-Baltistan"]
PROVINCE_P = [0.52, 0.23, 0.16, 0.06, 0.025, 0.005]
DISTRICTS = ["Lahore", "Karachi", "Peshawar", "Quetta", "Islamabad", "Multan", "Hyderabad",
             "لاہور", "کراچی", "پشاور", "کوئٹہ", "ملتان", "Sukkur", "Swat", "Gwadar", "Faisalabad",
             "Rawalpindi", "Sialkot", "Larkana", "Abbottabad"]
WORDS = ["کتاب", "پانی", "سڑک", "اسکول", "ہسپتال", "بجلی", "گیس", "زمین", "فصل", "بازار",
         "report", "loan", "farm", "clinic"]


def table(rng):
    n = N
    age = pd.array(rng.integers(18, 91, n), dtype="Int64")
    age[rng.random(n) < 0.05] = pd.NA
    income = np.round(rng.lognormal(10.5, 0.8, n), 2)
    income[rng.random(n) < 0.08] = np.nan
    score = rng.normal(0.0, 1.0, n)
    approved = rng.random(n) < 0.37
    province = rng.choice(PROVINCES, n, p=PROVINCE_P).astype(object)
    province[rng.random(n) < 0.03] = None
    gender = rng.choice(["Male", "Female", "Transgender"], n, p=[0.53, 0.465, 0.005]).astype(object)
    gender[rng.random(n) < 0.02] = None
    district = rng.choice(DISTRICTS, n).astype(object)
    name_ur = np.array([" ".join(rng.choice(WORDS, rng.integers(1, 4))) + f" {i % 700}" for i in range(n)],
                       dtype=object)
    days = rng.integers(0, 3650, n)
    joined = (pd.Timestamp("2015-01-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d").to_numpy(
        dtype=object)
    joined[rng.random(n) < 0.04] = None
    cnic = np.array([f"{rng.integers(10000, 99999)}-{rng.integers(1000000, 9999999)}-{rng.integers(0, 9)}"
                     for _ in range(n)], dtype=object)
    bad = rng.random(n) < 0.06
    cnic[bad] = [c.replace("-", "") + "9" for c in cnic[bad]]
    comment = np.array([None] * n, dtype=object)
    pick = rng.random(n) < 0.2
    templates = ['late, "urgent" case', "line one\nline two", "ok", 'said "no"', "نامکمل, دوبارہ"]
    comment[pick] = rng.choice(templates, pick.sum())
    df = pd.DataFrame({
        "id": np.arange(1, n + 1, dtype="int64"),
        "age": age,
        "income": income,
        "score": score,
        "approved": approved,
        "province": province,
        "gender": gender,
        "district": district,
        "name_ur": name_ur,
        "joined": joined,
        "cnic": cnic,
        "comment": comment,
    })
    # Three rows repeated exactly (one twice): four duplicated rows.
    dup = df.iloc[[5, 17, 17, 300]]
    return pd.concat([df, dup], ignore_index=True)


def write_inputs(df):
    OUT.mkdir(parents=True, exist_ok=True)
    df.to_csv(OUT / "people.csv", index=False, na_rep="", lineterminator="\n")
    back = pd.read_csv(OUT / "people.csv", keep_default_na=False, na_values=NULL_TOKENS)
    assert back.shape == df.shape and (back.isna().sum().values == df.isna().sum().values).all()
    t = pa.Table.from_pandas(df.assign(joined=pd.to_datetime(df["joined"]).dt.date), preserve_index=False)
    pq.write_table(t, OUT / "people.parquet", row_group_size=300, compression="snappy")
    with open(OUT / "people.jsonl", "w", encoding="utf-8") as f:
        for i, rec in enumerate(df.to_dict(orient="records")):
            obj = {}
            for k, v in rec.items():
                if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                    # Half the nulls as `null`, half as an absent key.
                    if i % 2 == 0:
                        obj[k] = None
                    continue
                obj[k] = v.item() if hasattr(v, "item") else v
            f.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")


def num(x):
    return None if x is None or pd.isna(x) else float(x)


def scalar(x):
    if x is None or x is pd.NA:
        return None
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x)
    return str(x)


def column(s):
    nn = s.dropna()
    out = {
        "nulls": int(s.isna().sum()),
        "nunique": int(s.nunique()),
        "min": scalar(nn.min()) if len(nn) else None,
        "max": scalar(nn.max()) if len(nn) else None,
    }
    vc = nn.value_counts()
    out["top_counts"] = [int(c) for c in vc.iloc[:10]]
    tenth = out["top_counts"][-1] if out["top_counts"] else 0
    out["counts_of"] = {str(scalar(k)): int(c) for k, c in vc.items() if c >= tenth}
    numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
    if numeric or pd.api.types.is_bool_dtype(s):
        vals = nn.astype("float64")
        out["mean"] = num(vals.mean())
        out["std"] = num(vals.std(ddof=1))
    if numeric:
        vals = nn.astype("float64")
        qs = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]
        out["quantiles"] = {f"p{round(q * 100)}": float(vals.quantile(q, interpolation="linear")) for q in qs}
        counts, edges = np.histogram(vals.to_numpy(), bins=20)
        out["histogram"] = {"counts": [int(c) for c in counts], "edges": [float(e) for e in edges]}
    if s.dtype == object:
        lens = nn.map(len)
        out["text_length"] = {"min": int(lens.min()), "max": int(lens.max()), "mean": float(lens.mean())}
    return out


def groups(df, col):
    s = df[col]
    vc = s.value_counts(dropna=True)
    share = s.value_counts(dropna=True, normalize=True)
    out = {"missing": int(s.isna().sum()), "groups": {}}
    for v, c in vc.items():
        sub = df[s == v]
        out["groups"][str(v)] = {
            "count": int(c),
            "share": float(share[v]),
            "missing_share_per_column": {o: float(sub[o].isna().mean()) for o in df.columns if o != col},
        }
    return out


def main():
    rng = np.random.default_rng(SEED)
    df = table(rng)
    write_inputs(df)
    golden = {
        "anchor": {"name": "pandas", "version": pd.__version__, "pyarrow": pa.__version__, "numpy": np.__version__},
        "note": "std is the sample standard deviation (ddof=1); quantiles use linear interpolation; "
                "histogram is numpy.histogram(bins=20)",
        "rows": int(len(df)),
        "duplicate_rows": int(df.duplicated().sum()),
        "columns": {c: column(df[c]) for c in df.columns},
        "bias": {c: groups(df, c) for c in ["province", "gender"]},
        # Conformance to the declared `cnic` shape: 12345-1234567-1 or 13 digits.
        "patterns": {"cnic": int(df["cnic"].str.fullmatch(r"\d{5}-\d{7}-\d|\d{13}").sum())},
        # Every value of `score`, sorted: the rank bound of the sketched quantiles is checked on it.
        "sorted_score": sorted(float(x) for x in df["score"]),
    }
    (OUT / "pandas").mkdir(exist_ok=True)
    with open(OUT / "pandas" / "people.json", "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    for p in ["people.csv", "people.parquet", "people.jsonl", "pandas/people.json"]:
        print(p, (OUT / p).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
