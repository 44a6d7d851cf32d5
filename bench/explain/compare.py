"""TreeSHAP benchmark: Mizan against XGBoost's own pred_contribs on one model and one set of rows.

Subcommands, run in this order by run.sh (each XGBoost version lives in its own virtualenv):

  train   OUT          train the model (500 trees, depth 6, 30 features, seeded synthetic data
                       with missing values), write OUT/model.json, OUT/rows.f64 (10,000 rows,
                       row-major little-endian f64, NaN = missing) and OUT/meta.json
  xgboost OUT TAG T R  time Booster.predict(pred_contribs=True) on the rows with T threads,
                       best of R repeats; write OUT/TAG.f32 (contributions) and OUT/TAG.json
  report  OUT          compare every contribution set with Mizan's (OUT/mizan.f64) to the
                       tolerance of the engine's goldens and print the timings and ratios

Mizan's side is `cargo run --release -p mizan-explain --example treeshap_bench`.
"""
import json
import os
import sys
import time

import numpy as np

SEED = 20260601
N_TRAIN = 20_000
N_ROWS = 10_000
N_FEATURES = 30
TREES = 500
DEPTH = 6
# The engine's XGBoost goldens (crates/mizan-explain/tests/golden.rs): XGBoost accumulates its
# contributions in f32, so |mizan - xgboost| <= ABS + REL * |xgboost|.
ABS, REL = 2e-5, 1e-5


def synthetic(rng, n):
    X = rng.normal(size=(n, N_FEATURES))
    X[:, 25:] = rng.integers(0, 8, size=(n, 5))  # small integer codes: many values on thresholds
    X[rng.random(size=X.shape) < 0.05] = np.nan  # 5% missing: default directions matter
    z = np.nan_to_num(X)
    logit = (
        z[:, 0] * z[:, 1]
        + np.sin(2 * z[:, 2])
        + 0.5 * z[:, 3] ** 2
        - z[:, 4]
        + 0.3 * z[:, 5:25].sum(axis=1)
        + 0.2 * (z[:, 25] > 3)
    )
    y = (logit + rng.logistic(size=n) > 0).astype(np.float64)
    return X, y


def train(out):
    import xgboost as xgb

    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    X, y = synthetic(rng, N_TRAIN)
    params = {
        "objective": "binary:logistic",
        "max_depth": DEPTH,
        "eta": 0.05,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
        "tree_method": "hist",
        "seed": SEED,
        "nthread": 2,
    }
    booster = xgb.train(params, xgb.DMatrix(X, label=y), num_boost_round=TREES)
    booster.save_model(os.path.join(out, "model.json"))
    rows, _ = synthetic(rng, N_ROWS)
    rows.astype("<f8").tofile(os.path.join(out, "rows.f64"))
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(
            {
                "rows": N_ROWS,
                "features": N_FEATURES,
                "trees": TREES,
                "depth": DEPTH,
                "seed": SEED,
                "trained_with": f"xgboost {xgb.__version__}",
            },
            f,
        )
    print(f"trained {TREES} trees of depth {DEPTH} on {N_TRAIN} rows x {N_FEATURES} features "
          f"with xgboost {xgb.__version__}")


def rows(out):
    meta = json.load(open(os.path.join(out, "meta.json")))
    X = np.fromfile(os.path.join(out, "rows.f64"), dtype="<f8")
    return X.reshape(meta["rows"], meta["features"])


def time_xgboost(out, tag, threads, repeats):
    import xgboost as xgb

    booster = xgb.Booster(model_file=os.path.join(out, "model.json"))
    booster.set_param({"nthread": threads})
    dm = xgb.DMatrix(rows(out), nthread=threads)
    booster.predict(dm, pred_contribs=True)  # warm-up: builds the predictor's caches
    seconds = []
    for _ in range(repeats):
        t = time.perf_counter()
        contribs = booster.predict(dm, pred_contribs=True)
        seconds.append(time.perf_counter() - t)
    contribs.astype("<f4").tofile(os.path.join(out, f"{tag}.f32"))
    result = {"library": f"xgboost {xgb.__version__}", "threads": threads, "seconds": seconds}
    with open(os.path.join(out, f"{tag}.json"), "w") as f:
        json.dump(result, f)
    print(f"{tag}: xgboost {xgb.__version__} pred_contribs, {threads} threads, "
          f"best of {repeats}: {min(seconds):.3f} s")


def report(out):
    meta = json.load(open(os.path.join(out, "meta.json")))
    n, k = meta["rows"], meta["features"]
    mizan = json.load(open(os.path.join(out, "mizan.json")))
    ours = np.fromfile(os.path.join(out, "mizan.f64"), dtype="<f8").reshape(n, k + 1)
    best = min(mizan["seconds"])
    print()
    print(f"model: {meta['trees']} trees, depth {meta['depth']}, {k} features; {n} rows; "
          f"{mizan['threads']} threads")
    print(f"mizan exact TreeSHAP (f64): best {best:.3f} s  ({best / n * 1e6:.1f} us/row/all threads)")
    ok = True
    for tag in ("classic", "current"):
        path = os.path.join(out, f"{tag}.json")
        if not os.path.exists(path):
            continue
        r = json.load(open(path))
        theirs = np.fromfile(os.path.join(out, f"{tag}.f32"), dtype="<f4").reshape(n, k + 1)
        theirs = theirs.astype(np.float64)
        err = np.abs(ours - theirs)
        excess = err - (ABS + REL * np.abs(theirs))
        agree = bool((excess <= 0).all())
        ok &= agree
        t = min(r["seconds"])
        print(f"{tag:8s} {r['library']} pred_contribs: best {t:.3f} s; mizan is {t / best:.2f}x "
              f"as fast; max |diff| {err.max():.2e}; within {ABS:g} + {REL:g}*|x|: "
              f"{'yes' if agree else 'NO (%d values)' % int((excess > 0).sum())}")
    print("latency, one explanation at a time on one thread (us): "
          + ", ".join(f"{k} {v}" for k, v in mizan["latency_us"].items()))
    if not ok:
        sys.exit(1)


def main():
    cmd, out = sys.argv[1], sys.argv[2]
    if cmd == "train":
        train(out)
    elif cmd == "xgboost":
        time_xgboost(out, sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "report":
        report(out)
    else:
        sys.exit(f"unknown command `{cmd}`")


if __name__ == "__main__":
    main()
