"""Generate golden files for mizan-fairness from fairlearn.

Writes seeded input CSVs and golden JSON (fairlearn MetricFrame by-group and
overall values, plus the scalar disparity metrics) into
crates/mizan-fairness/tests/data/fairlearn/. Run from the repository root:

    python3 -m venv /tmp/venv-fair
    /tmp/venv-fair/bin/pip install -r oracles/fairlearn/requirements.txt
    /tmp/venv-fair/bin/python oracles/fairlearn/generate.py

AIF360 goldens come from `aif360.sklearn.metrics` (privileged group against the
pooled complement), written to crates/mizan-fairness/tests/data/aif360/<case>.json.
Every input is in the repository (the German credit data is
crates/mizan-fairness/tests/data/german_credit.csv, with its licence beside it), so
a clean checkout regenerates every golden with the commands above; the test
crates/mizan-fairness/tests/oracle_versions.rs checks, without Python, that each
golden's recorded versions equal the pins in requirements.txt.
"""

import json
import math
import pathlib
import shutil

import fairlearn
import numpy as np
import pandas as pd
import sklearn
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score, precision_score

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/mizan-fairness/tests/data/fairlearn"
MISSING = "(missing)"


def precision(y_true, y_pred, sample_weight=None):
    return precision_score(y_true, y_pred, sample_weight=sample_weight, zero_division=0)


def accuracy(y_true, y_pred, sample_weight=None):
    return accuracy_score(y_true, y_pred, sample_weight=sample_weight)


METRICS = {
    "selection_rate": selection_rate,
    "true_positive_rate": true_positive_rate,
    "false_positive_rate": false_positive_rate,
    "false_negative_rate": false_negative_rate,
    "true_negative_rate": true_negative_rate,
    "precision": precision,
    "accuracy": accuracy,
    "count": count,
}


def num(x):
    x = float(x)
    return None if math.isnan(x) else x


def synthetic(seed, n):
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male", ""], size=n, p=[0.45, 0.5, 0.05])
    region = rng.choice(["north", "south", "east", "islands"], size=n, p=[0.4, 0.35, 0.2, 0.05])
    # empty intersection: `islands` never occurs with `female`
    region = np.where((region == "islands") & (sex == "female"), "north", region)
    age = rng.choice(["18-29", "30-49", "50+"], size=n, p=[0.3, 0.5, 0.2])
    channel = rng.choice(["web", "branch"], size=n, p=[0.6, 0.4])
    p = 0.35 + 0.15 * (sex == "male") + 0.1 * (age == "30-49")
    y = (rng.random(n) < p).astype(int)
    yhat = np.where(rng.random(n) < 0.7, y, 1 - y)
    # a group with no positives (labels) and one with no negatives
    y = np.where(region == "east", np.where(age == "50+", 0, y), y)
    y = np.where((region == "south") & (age == "18-29") & (sex == ""), 1, y)
    w = np.round(rng.uniform(0.5, 2.0, size=n), 3)
    df = pd.DataFrame(
        {"sex": sex, "region": region, "age_band": age, "channel": channel,
         "label": y, "prediction": yhat, "weight": w}
    )
    # a one-row group
    df.loc[n] = ["female", "south", "50+", "web", 1, 1, 1.25]
    df.loc[n, "region"] = "capital"
    return df


def golden(name, df, label, pred, pos, sensitive, control, weight, csv_name):
    yt = (df[label].astype(str) == str(pos)).astype(int).to_numpy()
    yp = (df[pred].astype(str) == str(pos)).astype(int).to_numpy()
    sf = df[sensitive].astype(str).replace({"": MISSING, "nan": MISSING})
    cf = df[[control]].astype(str) if control else None
    sw = df[weight].to_numpy(dtype=float) if weight else None
    out = {
        "anchor": {"library": "fairlearn", "version": fairlearn.__version__,
                   "scikit-learn": sklearn.__version__, "pandas": pd.__version__,
                   "numpy": np.__version__},
        "case": name, "input": csv_name, "label": label, "prediction": pred,
        "pos_label": str(pos), "sensitive": sensitive, "control": control,
        "weight": weight, "missing_group": MISSING,
    }
    params = {k: {"sample_weight": sw} for k in METRICS if k != "count"} if weight else None
    mf = MetricFrame(metrics=METRICS, y_true=yt, y_pred=yp, sensitive_features=sf,
                     control_features=cf, sample_params=params)
    bg = mf.by_group
    rows = []
    for key, row in bg.iterrows():
        key = list(key) if isinstance(key, tuple) else [key]
        rows.append({"group": [str(k) for k in key],
                     "metrics": {m: num(row[m]) for m in METRICS}})
    out["by_group"] = rows
    ov = mf.overall
    if control:
        out["overall"] = [{"group": [str(k) if not isinstance(k, tuple) else str(k[0])],
                           "metrics": {m: num(r[m]) for m in METRICS}} for k, r in ov.iterrows()]
    else:
        out["overall"] = {m: num(ov[m]) for m in METRICS}
    agg = {}
    for method in ["between_groups", "to_overall"]:
        for agg_name, fn in [("difference", mf.difference), ("ratio", mf.ratio)]:
            v = fn(method=method)
            if control:
                agg[f"{agg_name}:{method}"] = [
                    {"group": [str(k)], "metrics": {m: num(r[m]) for m in METRICS}}
                    for k, r in v.iterrows()]
            else:
                agg[f"{agg_name}:{method}"] = {m: num(v[m]) for m in METRICS}
    out["aggregates"] = agg
    if not control:
        out["group_min"] = {m: num(mf.group_min()[m]) for m in METRICS}
        out["group_max"] = {m: num(mf.group_max()[m]) for m in METRICS}
    scal = {}
    kw = dict(sensitive_features=sf, sample_weight=sw)
    for method in ["between_groups", "to_overall"]:
        scal[f"fairlearn:demographic_parity_difference:{method}"] = num(
            demographic_parity_difference(yt, yp, method=method, **kw))
        scal[f"fairlearn:demographic_parity_ratio:{method}"] = num(
            demographic_parity_ratio(yt, yp, method=method, **kw))
        for a in ["worst_case", "mean"]:
            scal[f"fairlearn:equalized_odds_difference:{method}:{a}"] = num(
                equalized_odds_difference(yt, yp, method=method, agg=a, **kw))
            scal[f"fairlearn:equalized_odds_ratio:{method}:{a}"] = num(
                equalized_odds_ratio(yt, yp, method=method, agg=a, **kw))
        scal[f"fairlearn:equal_opportunity_difference:{method}"] = num(
            equal_opportunity_difference(yt, yp, method=method, **kw))
        scal[f"fairlearn:equal_opportunity_ratio:{method}"] = num(
            equal_opportunity_ratio(yt, yp, method=method, **kw))
    out["scalars"] = scal if not control else {}
    (OUT / f"{name}.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")


def aif(name, df, label, pred, pos, sensitive, priv, weight, csv_name):
    import aif360
    import aif360.sklearn.metrics as am

    sf = df[sensitive].astype(str).replace({"": MISSING, "nan": MISSING})
    idx = pd.MultiIndex.from_frame(sf)
    yt = pd.Series((df[label].astype(str) == str(pos)).astype(int).to_numpy(), index=idx)
    yp = (df[pred].astype(str) == str(pos)).astype(int).to_numpy()
    sw = df[weight].to_numpy(dtype=float) if weight else None
    pg = tuple(priv) if len(priv) > 1 else priv[0]
    kw = dict(prot_attr=sensitive, priv_group=pg, pos_label=1, sample_weight=sw)
    out = {
        "anchor": {"library": "aif360", "version": aif360.__version__, "numpy": np.__version__,
                   "pandas": pd.__version__},
        "case": name, "input": csv_name, "label": label, "prediction": pred,
        "pos_label": str(pos), "sensitive": sensitive, "privileged": priv, "weight": weight,
        "missing_group": MISSING,
        "metrics": {
            "aif360:statistical_parity_difference": num(am.statistical_parity_difference(yt, yp, **kw)),
            "aif360:disparate_impact": num(am.disparate_impact_ratio(yt, yp, **kw)),
            "aif360:average_odds_difference": num(am.average_odds_difference(yt, yp, **kw)),
            "aif360:average_abs_odds_difference": num(am.average_odds_error(yt, yp, **kw)),
            "aif360:equal_opportunity_difference": num(am.equal_opportunity_difference(yt, yp, **kw)),
            "aif360:base_rate": num(am.base_rate(yt, pos_label=1, sample_weight=sw)),
            "aif360:dataset:statistical_parity_difference": num(am.statistical_parity_difference(yt, **kw)),
            "aif360:dataset:disparate_impact": num(am.disparate_impact_ratio(yt, **kw)),
            "aif360:dataset:class_imbalance": num(am.class_imbalance(yt, prot_attr=sensitive, priv_group=pg, sample_weight=sw)),
            "aif360:theil_index": num(am.generalized_entropy_error(yt, yp, alpha=1)),
            "aif360:generalized_entropy_index:alpha=2": num(am.generalized_entropy_error(yt, yp, alpha=2)),
            "aif360:generalized_entropy_index:alpha=0.5": num(am.generalized_entropy_error(yt, yp, alpha=0.5)),
            "aif360:between_group_generalized_entropy_index:alpha=2": num(
                am.between_group_generalized_entropy_error(yt, yp, prot_attr=sensitive, priv_group=pg, alpha=2)),
            "aif360:between_group_theil_index": num(
                am.between_group_generalized_entropy_error(yt, yp, prot_attr=sensitive, priv_group=pg, alpha=1)),
        },
    }
    d = OUT.parent / "aif360"
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{name}.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    df = synthetic(20261122, 3000)
    df.to_csv(OUT / "synthetic.csv", index=False)
    sens = ["sex", "region", "age_band"]
    golden("synthetic_01", df, "label", "prediction", 1, sens, None, None, "synthetic.csv")
    golden("synthetic_01_weighted", df, "label", "prediction", 1, sens, None, "weight", "synthetic.csv")
    golden("synthetic_01_control", df, "label", "prediction", 1, ["sex"], "channel", None, "synthetic.csv")
    golden("synthetic_01_control_weighted", df, "label", "prediction", 1, ["sex", "region"], "channel", "weight", "synthetic.csv")
    pm = df.copy()
    pm["label"] = pm["label"] * 2 - 1
    pm["prediction"] = pm["prediction"] * 2 - 1
    pm.to_csv(OUT / "synthetic_pm1.csv", index=False)
    golden("synthetic_pm1", pm, "label", "prediction", 1, ["sex", "region"], None, "weight", "synthetic_pm1.csv")
    st = df.copy()
    st["label"] = np.where(df["label"] == 1, "approved", "rejected")
    st["prediction"] = np.where(df["prediction"] == 1, "approved", "rejected")
    st.to_csv(OUT / "synthetic_strings.csv", index=False)
    golden("synthetic_strings", st, "label", "prediction", "approved", ["age_band"], None, None, "synthetic_strings.csv")
    g = pd.read_csv(ROOT / "crates/mizan-fairness/tests/data/german_credit.csv", keep_default_na=False)
    g["prediction"] = ((g["credit_amount"] < 4000) & (g["duration"] <= 24)).astype(int)
    g["age_band"] = pd.cut(g["age"], [0, 25, 40, 200], labels=["18-25", "26-40", "41+"]).astype(str)
    g.to_csv(OUT / "german_credit_scored.csv", index=False)
    aif("synthetic_sex", df, "label", "prediction", 1, ["sex"], ["male"], None, "synthetic.csv")
    aif("synthetic_sex_weighted", df, "label", "prediction", 1, ["sex"], ["male"], "weight", "synthetic.csv")
    aif("synthetic_intersection", df, "label", "prediction", 1, ["sex", "region"], ["male", "north"], "weight", "synthetic.csv")
    aif("synthetic_strings", st, "label", "prediction", "approved", ["age_band"], ["30-49"], None, "synthetic_strings.csv")
    aif("german_credit", g, "risk", "prediction", 1, ["sex"], ["male"], None, "german_credit_scored.csv")
    golden("german_credit", g, "risk", "prediction", 1, ["sex", "age_band"], None, None, "german_credit_scored.csv")


if __name__ == "__main__":
    main()
