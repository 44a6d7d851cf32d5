"""The fairness benchmark's Python side: data, the fairlearn baseline, and the comparison.

    fairness_bench.py generate N PATH        seeded decisions as Parquet (pyarrow defaults:
                                             snappy, 1Mi-row row groups)
    fairness_bench.py fairlearn PATH OUT     fairlearn 0.15 MetricFrame (two sensitive
                                             features, a control feature, sample weights)
                                             and the scalar metrics, as JSON
    fairness_bench.py compare FAIRLEARN MIZAN  checks counts exactly and rates and scalars
                                             to 1e-9; exits 1 on any difference
    fairness_bench.py summary WORKDIR        the table of times, peak memory and ratios from
                                             the `/usr/bin/time -v` outputs run.sh leaves there

`run.sh` in this directory runs all three and times `mizan audit fairness` against the
fairlearn step; see README.md.
"""

import json
import math
import sys
import time

import numpy as np

SENSITIVE = ["sex", "region"]
CONTROL = "channel"
LABEL, PREDICTION, WEIGHT = "label", "prediction", "weight"
SEED = 20261130


def generate(n, path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(SEED)
    sex = rng.choice(np.array(["female", "male", "nonbinary"]), size=n, p=[0.48, 0.5, 0.02])
    region = rng.choice(
        np.array(["punjab", "sindh", "kpk", "balochistan", "islamabad"]),
        size=n, p=[0.45, 0.25, 0.15, 0.1, 0.05])
    channel = rng.choice(np.array(["branch", "web", "agent"]), size=n, p=[0.3, 0.5, 0.2])
    p = 0.3 + 0.15 * (sex == "male") + 0.05 * (region == "islamabad") + 0.05 * (channel == "web")
    label = (rng.random(n) < p).astype(np.int8)
    prediction = np.where(rng.random(n) < 0.8, label, 1 - label).astype(np.int8)
    weight = np.round(rng.uniform(0.5, 2.0, size=n), 3)
    table = pa.table({
        "id": np.arange(n, dtype=np.int64),
        "sex": sex, "region": region, "channel": channel,
        "score": rng.random(n),
        LABEL: label, PREDICTION: prediction, WEIGHT: weight,
    })
    pq.write_table(table, path)


def num(x):
    x = float(x)
    return None if math.isnan(x) else x


def fairlearn_run(path, out):
    import fairlearn
    import pandas as pd
    from fairlearn.metrics import (
        MetricFrame, count, false_negative_rate, false_positive_rate, selection_rate,
        true_negative_rate, true_positive_rate,
    )
    from sklearn.metrics import accuracy_score, precision_score

    def precision(y_true, y_pred, sample_weight=None):
        return precision_score(y_true, y_pred, sample_weight=sample_weight, zero_division=0)

    def accuracy(y_true, y_pred, sample_weight=None):
        return accuracy_score(y_true, y_pred, sample_weight=sample_weight)

    metrics = {
        "selection_rate": selection_rate,
        "true_positive_rate": true_positive_rate,
        "false_positive_rate": false_positive_rate,
        "false_negative_rate": false_negative_rate,
        "true_negative_rate": true_negative_rate,
        "precision": precision,
        "accuracy": accuracy,
        "count": count,
    }
    start = time.perf_counter()
    df = pd.read_parquet(path, columns=SENSITIVE + [CONTROL, LABEL, PREDICTION, WEIGHT])
    sw = df[WEIGHT].to_numpy(dtype=float)
    mf = MetricFrame(
        metrics=metrics, y_true=df[LABEL].to_numpy(), y_pred=df[PREDICTION].to_numpy(),
        sensitive_features=df[SENSITIVE], control_features=df[[CONTROL]],
        sample_params={k: {"sample_weight": sw} for k in metrics if k != "count"})
    by_group = [
        {"stratum": str(key[0]), "group": [str(k) for k in key[1:]],
         "metrics": {m: num(row[m]) for m in metrics}}
        for key, row in mf.by_group.iterrows()
    ]
    # The scalar metrics with a control feature, as Mizan defines them: fairlearn's
    # disparity (MetricFrame.difference / .ratio, as fairlearn's own scalar functions use it)
    # in each stratum, the worst stratum counting.
    scalars = {}
    for method in ["between_groups", "to_overall"]:
        diff, ratio = mf.difference(method=method), mf.ratio(method=method)

        def worst(metric, is_diff):
            v = (diff if is_diff else ratio)[metric]
            return float(v.max() if is_diff else v.min())

        for is_diff, kind in [(True, "difference"), (False, "ratio")]:
            dp = worst("selection_rate", is_diff)
            tpr, fpr = worst("true_positive_rate", is_diff), worst("false_positive_rate", is_diff)
            scalars[f"fairlearn:demographic_parity_{kind}:{method}"] = dp
            scalars[f"fairlearn:equal_opportunity_{kind}:{method}"] = tpr
            scalars[f"fairlearn:equalized_odds_{kind}:{method}:worst_case"] = (
                max(tpr, fpr) if is_diff else min(tpr, fpr))
            scalars[f"fairlearn:equalized_odds_{kind}:{method}:mean"] = (tpr + fpr) / 2
    elapsed = time.perf_counter() - start
    json.dump({
        "anchor": {"library": "fairlearn", "version": fairlearn.__version__,
                   "pandas": pd.__version__, "numpy": np.__version__},
        "rows": len(df), "seconds": elapsed, "by_group": by_group, "scalars": scalars,
    }, open(out, "w"), indent=1)


def compare(fairlearn_json, mizan_json):
    fl = json.load(open(fairlearn_json))
    mz = json.load(open(mizan_json))
    report = mz["report"]
    bad = []

    def close(what, got, want):
        if want is None:
            if got is not None and not (isinstance(got, float) and math.isnan(got)):
                bad.append(f"{what}: want undefined, got {got}")
        elif got is None or abs(got - want) > 1e-9 * max(1.0, abs(want)):
            bad.append(f"{what}: fairlearn {want!r}, mizan {got!r}")

    groups = {(g["stratum"], tuple(g["group"])): g for g in report["groups"]}
    if len(groups) != len(fl["by_group"]):
        bad.append(f"groups: fairlearn {len(fl['by_group'])}, mizan {len(groups)}")
    rates = 0
    for want in fl["by_group"]:
        key = (want["stratum"], tuple(want["group"]))
        got = groups.get(key)
        if got is None:
            bad.append(f"group {key} missing from mizan")
            continue
        if got["rows"] != want["metrics"]["count"]:
            bad.append(f"{key} count: fairlearn {want['metrics']['count']}, mizan {got['rows']}")
        by_metric = {r["metric"]: r["value"] for r in got["rates"]}
        for m, v in want["metrics"].items():
            if m != "count":
                close(f"{key} {m}", by_metric.get(m), v)
                rates += 1
    scalars = {s["id"]: s["value"] for s in report["scalars"]}
    for sid, v in fl["scalars"].items():
        close(sid, scalars.get(sid), v)
    for line in bad[:20]:
        print("DIFFERENT:", line)
    print(f"compared {len(fl['by_group'])} groups (counts exactly), {rates} rates and "
          f"{len(fl['scalars'])} scalar metrics (to 1e-9): "
          + ("identical" if not bad else f"{len(bad)} differences"))
    return 0 if not bad else 1


def time_v(path):
    """Wall seconds and peak RSS (KiB) from a `/usr/bin/time -v` output."""
    wall = rss = None
    for line in open(path):
        key, _, value = line.strip().rpartition(": ")
        if key.startswith("Elapsed (wall clock) time"):
            parts = [float(p) for p in value.split(":")]
            wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
        elif key == "Maximum resident set size (kbytes)":
            rss = int(value)
    return wall, rss


def summary(work):
    import glob
    import os
    import statistics

    runs = [time_v(p) for p in sorted(glob.glob(os.path.join(work, "mizan.*.time")))]
    m_wall = statistics.median(w for w, _ in runs)
    m_rss = max(r for _, r in runs)
    f_wall, f_rss = time_v(os.path.join(work, "fairlearn.time"))
    fl = json.load(open(os.path.join(work, "fairlearn.json")))
    rates = [float(x) for x in open(os.path.join(work, "count_pass.txt")).read().split()]
    rows = fl["rows"]
    print(f"rows: {rows:,}")
    print(f"mizan audit fairness: {m_wall:.2f} s wall (median of {len(runs)}), "
          f"peak RSS {m_rss / 1024:.1f} MiB")
    print(f"fairlearn script:     {f_wall:.2f} s wall ({fl['seconds']:.2f} s after imports), "
          f"peak RSS {f_rss / 1024:.1f} MiB")
    print(f"speed: mizan {f_wall / m_wall:.1f}x faster (target >= 50x); "
          f"memory: mizan {m_rss / f_rss:.4f} of fairlearn's peak = 1/{f_rss / m_rss:.0f} "
          f"(target <= 1/10)")
    print(f"count pass alone ({len(rates)} warm runs): best {max(rates) / 1e6:.1f}, "
          f"median {statistics.median(rates) / 1e6:.1f} million rows/s (target >= 100)")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "generate":
        generate(int(args[0]), args[1])
    elif cmd == "fairlearn":
        fairlearn_run(args[0], args[1])
    elif cmd == "compare":
        sys.exit(compare(args[0], args[1]))
    elif cmd == "summary":
        summary(args[0])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
