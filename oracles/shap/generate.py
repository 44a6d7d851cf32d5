"""Regenerate the golden files of crates/mizan-explain/tests/data/.

Trains small seeded models with XGBoost, LightGBM and scikit-learn, writes the model files, and
records each library's own margins and contributions (pred_contribs / pred_contrib) plus shap's
TreeExplainer values (path-dependent and interventional with a fixed background) for test rows
that include missing values, zeros and values exactly on split thresholds.

Usage:  python3 -m venv /tmp/venv-shap && /tmp/venv-shap/bin/pip install -r requirements.txt
        /tmp/venv-shap/bin/python generate.py
"""
import json
import math
import os
import sys

import lightgbm as lgb
import numpy as np
import pandas as pd
import shap
import sklearn
import xgboost as xgb
from sklearn.linear_model import LogisticRegression

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "crates", "mizan-explain", "tests", "data")
SEED = 20260101
CATS = ["sex", "housing", "saving_accounts", "checking_account", "purpose"]


def clean(a):
    """Nested lists with NaN as None, so the JSON stays standard."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        v = float(a)
        return None if math.isnan(v) else v
    return [clean(x) for x in a]


def write(anchor, name, obj):
    d = os.path.join(OUT, anchor)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "w") as f:
        json.dump(obj, f, separators=(",", ":"))


def german():
    df = pd.read_csv(os.path.join(OUT, "german_credit.csv"))
    codes = {}
    for c in CATS:
        cat = pd.Categorical(df[c])
        codes[c] = list(cat.categories)
        df[c] = cat.codes.astype(np.float64)
    y = df.pop("risk").to_numpy()
    return df.astype(np.float64), y, codes


def synthetic(n=600):
    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(n, 6))
    X[:, 5] = rng.integers(0, 5, size=n)  # categorical codes 0..4
    X[:, 2] = np.round(X[:, 2], 1)  # many ties and exact zeros
    logits = X[:, 0] - 0.8 * X[:, 1] + 0.5 * (X[:, 5] == 2) - 0.7 * (X[:, 5] == 4) + 0.3 * X[:, 2] * X[:, 3]
    mask = rng.random(size=(n, 5)) < 0.12
    Xm = X.copy()
    Xm[:, :5][mask] = np.nan
    y_bin = (logits + rng.normal(scale=0.5, size=n) > 0).astype(int)
    y_reg = logits + rng.normal(scale=0.3, size=n)
    y_multi = np.digitize(logits, [-0.5, 0.5])
    cols = [f"x{i}" for i in range(5)] + ["colour"]
    return pd.DataFrame(Xm, columns=cols), y_bin, y_reg, y_multi


def xgb_thresholds(booster):
    gb = json.loads(booster.save_raw("json"))["learner"]["gradient_booster"]
    model = gb["gbtree"]["model"] if "gbtree" in gb else gb["model"]
    out = []
    for t in model["trees"]:
        for i, f in enumerate(t["split_indices"]):
            if t["left_children"][i] != -1 and t["split_type"][i] == 0:
                out.append((f, t["split_conditions"][i]))
    return out


def edge_rows(X, thresholds, n_rows, rng, skip=()):
    rows = X.iloc[:n_rows].to_numpy(dtype=np.float64).copy()
    extra = []
    for k, (f, thr) in enumerate(thresholds[:8]):
        if f in skip:
            continue
        r = rows[k % len(rows)].copy()
        r[f] = float(np.float32(thr)) if isinstance(thr, float) else thr
        extra.append(r)
    z = rows[0].copy()
    z[[i for i in range(len(z)) if i not in skip]] = 0.0
    extra.append(z)
    nanrow = rows[1].copy()
    nanrow[[i for i in range(len(z)) if i not in skip][:3]] = np.nan
    extra.append(nanrow)
    return np.vstack([rows, np.array(extra)])


def shap_sets(model, rows, background, feature_names):
    res = {"shap_version": shap.__version__}
    try:
        ex = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent")
        res["path_dependent"] = {"expected_value": clean(ex.expected_value), "values": clean(ex.shap_values(rows, check_additivity=False))}
    except Exception as e:  # recorded, not hidden
        res["path_dependent_error"] = str(e)
    try:
        ex = shap.TreeExplainer(model, data=background, feature_perturbation="interventional", model_output="raw")
        res["interventional"] = {"expected_value": clean(ex.expected_value), "values": clean(ex.shap_values(rows, check_additivity=False)), "background": clean(background)}
    except Exception as e:
        res["interventional_error"] = str(e)
    return res


def do_xgb(name, X, y, params, rounds, rows_from, categorical=False, shap_ok=True):
    rng = np.random.default_rng(SEED)
    dtrain = xgb.DMatrix(X, label=y, enable_categorical=categorical)
    bst = xgb.train({**params, "seed": SEED, "nthread": 1}, dtrain, num_boost_round=rounds)
    d = os.path.join(OUT, "xgboost")
    os.makedirs(d, exist_ok=True)
    bst.save_model(os.path.join(d, f"{name}.json"))
    bst.save_model(os.path.join(d, f"{name}.ubj"))
    skip = (5,) if categorical else ()
    rows = edge_rows(rows_from, xgb_thresholds(bst), 16, rng, skip=skip)
    drows = xgb.DMatrix(pd.DataFrame(rows, columns=X.columns).astype(X.dtypes.to_dict()) if categorical else rows, enable_categorical=categorical, feature_names=list(X.columns))
    margin = bst.predict(drows, output_margin=True)
    contribs = bst.predict(drows, pred_contribs=True)
    gold = {"library": "xgboost", "version": xgb.__version__, "model": f"{name}.json", "model_ubj": f"{name}.ubj",
            "feature_names": list(X.columns), "rows": clean(rows), "margin": clean(margin),
            "margin_f32_hex": [[float(v).hex() for v in np.atleast_1d(m)] for m in margin],
            "contribs": clean(contribs)}
    if shap_ok:
        gold["shap"] = shap_sets(bst, rows, X.iloc[100:140].to_numpy(dtype=np.float64), list(X.columns))
    write("xgboost", f"{name}.golden.json", gold)


def lgb_thresholds(booster):
    out = []
    def walk(n):
        if "split_feature" in n:
            if n["decision_type"] == "<=":
                out.append((n["split_feature"], n["threshold"]))
            walk(n["left_child"]); walk(n["right_child"])
    for t in booster.dump_model()["tree_info"]:
        walk(t["tree_structure"])
    return out


def do_lgb(name, X, y, params, rounds, cat=None):
    rng = np.random.default_rng(SEED)
    ds = lgb.Dataset(X, label=y, categorical_feature=cat or "auto", free_raw_data=False)
    bst = lgb.train({**params, "seed": SEED, "deterministic": True, "num_threads": 1, "verbose": -1}, ds, num_boost_round=rounds)
    d = os.path.join(OUT, "lightgbm")
    os.makedirs(d, exist_ok=True)
    bst.save_model(os.path.join(d, f"{name}.txt"))
    skip = (5,) if cat else ()
    rows = edge_rows(X, lgb_thresholds(bst), 16, rng, skip=skip)
    raw = bst.predict(rows, raw_score=True)
    contrib = bst.predict(rows, pred_contrib=True)
    gold = {"library": "lightgbm", "version": lgb.__version__, "model": f"{name}.txt", "feature_names": list(X.columns),
            "rows": clean(rows), "raw_score": clean(raw), "contribs": clean(contrib)}
    gold["shap"] = shap_sets(bst, rows, X.iloc[100:140].to_numpy(dtype=np.float64), list(X.columns))
    write("lightgbm", f"{name}.golden.json", gold)


def do_linear(X, y):
    clf = LogisticRegression(max_iter=5000, C=1.0).fit(X, y)
    mads = [float(np.median(np.abs(X[c] - np.median(X[c])))) or 1.0 for c in X.columns]
    model = {"format": "mizan-linear/1", "library": "scikit-learn", "version": sklearn.__version__,
             "link": "logit", "feature_names": list(X.columns), "coefficients": [float(v) for v in clf.coef_[0]],
             "intercept": float(clf.intercept_[0]), "feature_means": [float(v) for v in X.mean()], "feature_mads": mads}
    d = os.path.join(OUT, "sklearn")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "german_logistic.json"), "w") as f:
        json.dump(model, f, indent=1)
    rows = X.iloc[:16].to_numpy(dtype=np.float64)
    gold = {"library": "scikit-learn", "version": sklearn.__version__, "model": "german_logistic.json",
            "rows": clean(rows), "decision_function": clean(clf.decision_function(rows))}
    ex = shap.LinearExplainer(clf, shap.maskers.Independent(X, max_samples=len(X)))
    gold["shap"] = {"shap_version": shap.__version__, "expected_value": float(np.atleast_1d(ex.expected_value)[0]), "values": clean(ex.shap_values(rows))}
    write("sklearn", "german_logistic.golden.json", gold)


def main():
    Xg, yg, codes = german()
    Xs, yb, yr, ym = synthetic()
    do_xgb("german_binary", Xg, yg, {"objective": "binary:logistic", "max_depth": 3, "eta": 0.3}, 20, Xg)
    do_xgb("synth_reg", Xs.drop(columns=["colour"]), yr, {"objective": "reg:squarederror", "max_depth": 4, "eta": 0.3}, 15, Xs.drop(columns=["colour"]))
    do_xgb("synth_multi", Xs.drop(columns=["colour"]), ym, {"objective": "multi:softprob", "num_class": 3, "max_depth": 3, "eta": 0.3}, 8, Xs.drop(columns=["colour"]))
    Xc = Xs.copy()
    Xc["colour"] = pd.Categorical(Xc["colour"].astype(int), categories=[0, 1, 2, 3, 4])
    do_xgb("synth_categorical", Xc, yb, {"objective": "binary:logistic", "max_depth": 3, "eta": 0.3, "max_cat_to_onehot": 1, "tree_method": "hist"}, 10, Xc, categorical=True, shap_ok=False)
    do_xgb("synth_dart", Xs.drop(columns=["colour"]), yb, {"booster": "dart", "objective": "binary:logistic", "max_depth": 3, "eta": 0.3, "rate_drop": 0.3, "skip_drop": 0.0}, 10, Xs.drop(columns=["colour"]), shap_ok=False)
    do_lgb("synth_nan", Xs.drop(columns=["colour"]), yb, {"objective": "binary", "num_leaves": 8, "min_data_in_leaf": 10, "use_missing": True, "zero_as_missing": False}, 15)
    Xz = Xs.drop(columns=["colour"]).fillna(0.0)
    do_lgb("synth_zero", Xz, yb, {"objective": "binary", "num_leaves": 8, "min_data_in_leaf": 10, "use_missing": True, "zero_as_missing": True}, 15)
    do_lgb("synth_categorical", Xs, yb, {"objective": "binary", "num_leaves": 8, "min_data_in_leaf": 10, "cat_smooth": 1, "min_data_per_group": 5, "max_cat_to_onehot": 2}, 15, cat=[5])
    do_lgb("german_binary", Xg, yg, {"objective": "binary", "num_leaves": 8, "min_data_in_leaf": 10}, 15)
    do_linear(Xg, yg)
    with open(os.path.join(OUT, "german_codes.json"), "w") as f:
        json.dump(codes, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
