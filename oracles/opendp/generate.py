"""Generate crates/mizan-dp/tests/goldens/opendp.json from Python OpenDP.

For each query shape below, builds with Python OpenDP the same measurements mizan-dp's
`plan()` builds in Rust, finds their parameters with OpenDP's own search
(`binary_search_param` / `binary_search`), and records the noise scales, partition-selection
thresholds, accuracies at alpha = 0.05 (0.025 for a mean's two parts) and the epsilon and
delta the privacy maps certify. crates/mizan-dp/tests/oracle.rs checks `plan()` against
every case without Python.

What is shared with the Rust side is the *specification*, written down again here, not code:
- privacy unit: at most k rows per unit, so d_in = k under the symmetric distance;
- a count: make_count (ungrouped) or make_count_by_categories (grouped; cells = product of
  public key counts times bins) chained with discrete Laplace (make_laplace on i64);
- a sum: make_laplace on a vector of i64 cell sums at L1 distance k * max(|lower|, |upper|)
  in fixed-point units of 10^-decimals;
- a mean: epsilon split evenly between its sums and counts; a sum or a quantile gives a
  quarter to counts (used to leave out small cells), the rest to the statistic;
- a grouped quantile gives each of its groups 1/min(k, groups) of its share;
  make_private_quantile over 1001 (or fewer) integer candidates evenly spaced in units;
- partition selection (a group column without public keys): make_count_by chained with
  make_laplace_threshold; scale from epsilon alone, then the smallest integer threshold
  whose delta is within query_delta.
Splits never round above the total (checked with exact fractions).

Usage, from the repository root:

    python3.11 -m venv ~/.cache/mizan-opendp-venv
    ~/.cache/mizan-opendp-venv/bin/pip install -r oracles/opendp/requirements.txt
    ~/.cache/mizan-opendp-venv/bin/python oracles/opendp/generate.py
"""

import importlib.metadata
import json
import math
import pathlib
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import opendp.prelude as dp

dp.enable_features("contrib")

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/mizan-dp/tests/goldens/opendp.json"
ALPHA = 0.05
FAR_THRESHOLD = 2**40
CANDIDATES = 1001

PROVINCES = ["Punjab", "Sindh", "Khyber Pakhtunkhwa", "Balochistan"]
SEXES = ["female", "male"]


def settings(k, decimals=0, lower=0.0, upper=500000.0, query_delta=1e-7, project_delta=1e-5):
    return {
        "unit_column": "cnic",
        "max_rows_per_unit": k,
        "numeric": [{"name": "income", "lower": lower, "upper": upper, "decimals": decimals}],
        "categorical": [
            {"name": "province", "keys": PROVINCES},
            {"name": "sex", "keys": SEXES},
            {"name": "district"},
        ],
        "project_epsilon": 10.0,
        "project_delta": project_delta,
        "max_query_epsilon": 5.0,
        "query_delta": query_delta,
    }


def split_evenly(total, parts):
    x = total / parts
    while Fraction(x) * parts > Fraction(total):
        x = math.nextafter(x, 0.0)
    return x


def remainder(total, part):
    x = total - part
    while Fraction(x) + Fraction(part) > Fraction(total):
        x = math.nextafter(x, 0.0)
    return x


def units(x, decimals):
    """x in units of 10^-decimals, rounded half away from zero, as Rust's f64::round."""
    return int(Decimal(x * 10.0**decimals).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def rows_u32():
    return dp.vector_domain(dp.atom_domain(T="u32")), dp.symmetric_distance()


def count_part(k, eps, cells):
    if cells <= 1:
        count = dp.t.make_count(*rows_u32(), TO="i64")
        make = lambda s: count >> dp.m.then_laplace(s)  # noqa: E731
    else:
        count = dp.t.make_count_by_categories(
            *rows_u32(), categories=list(range(cells)), null_category=False,
            MO=dp.L1Distance["i64"], TOA="i64")
        make = lambda s: count >> dp.m.then_laplace(s)  # noqa: E731
    scale = dp.binary_search_param(make, d_in=k, d_out=eps)
    return scale, make(scale).map(k)


def selection_chain(scale, threshold):
    count_by = dp.t.make_count_by(
        dp.vector_domain(dp.atom_domain(T="u64")), dp.symmetric_distance(), TV="i64")
    return count_by >> dp.m.then_laplace_threshold(scale=scale, threshold=threshold)


def selection_part(k, eps, delta):
    def eps_ok(s):
        try:
            return selection_chain(s, FAR_THRESHOLD).map(k)[0] <= eps
        except Exception:
            return False

    scale = dp.binary_search(eps_ok, T=float)

    def ok(t):
        try:
            e, d = selection_chain(scale, t).map(k)
            return e <= eps and d <= delta
        except Exception:
            return False

    threshold = dp.binary_search(ok, bounds=(k, FAR_THRESHOLD), T="i64")
    e, d = selection_chain(scale, threshold).map(k)
    return scale, threshold, e, d


def sum_part(d_in, eps):
    space = dp.vector_domain(dp.atom_domain(T="i64")), dp.l1_distance(T="i64")
    make = lambda s: dp.m.make_laplace(*space, scale=s)  # noqa: E731
    scale = dp.binary_search_param(make, d_in=d_in, d_out=eps)
    return scale, make(scale).map(d_in)


def candidates(lo, hi):
    r = hi - lo
    n = min(CANDIDATES, r + 1)
    return [lo + j * r // (n - 1) for j in range(n)]


def quantile_part(k, q, cands, eps):
    space = dp.vector_domain(dp.atom_domain(T="i64")), dp.symmetric_distance()
    make = lambda s: dp.m.make_private_quantile(  # noqa: E731
        *space, dp.max_divergence(), candidates=cands, alpha=q, scale=s)
    scale = dp.binary_search_param(make, d_in=k, d_out=eps)
    return scale, make(scale).map(k)


def acc(scale, alpha):
    return dp.discrete_laplacian_scale_to_accuracy(scale, alpha)


def expect(s, q):
    """What mizan-dp's plan() must say for query `q` under settings `s`."""
    k = s["max_rows_per_unit"]
    eps = q["epsilon"]
    stat = q["statistic"]
    kind = stat["kind"]
    cat = {c["name"]: c.get("keys") for c in s["categorical"]}
    num = {n["name"]: n for n in s["numeric"]}
    groups = q.get("group_by", [])
    selection = any(cat[g] is None for g in groups)
    cells = 1
    for g in groups:
        cells *= len(cat[g]) if cat[g] is not None else 1
    if kind == "histogram":
        cells *= stat["bins"]

    if kind in ("count", "histogram"):
        count_eps, rest = eps, None
    elif kind == "mean":
        count_eps = split_evenly(eps, 2)
        rest = remainder(eps, count_eps)
    else:
        count_eps = split_evenly(eps, 4)
        rest = remainder(eps, count_eps)

    out = {"epsilon": eps, "delta": 0.0, "threshold": None, "count_scale": None,
           "count_accuracy95": None, "rank_accuracy95": None, "mapped_delta": 0.0}
    if selection:
        c_scale, threshold, c_eps, c_delta = selection_part(k, count_eps, s["query_delta"])
        out["threshold"] = float(threshold)
        out["delta"] = s["query_delta"]
        out["mapped_delta"] = c_delta
    else:
        c_scale, c_eps = count_part(k, count_eps, cells)
    alpha = ALPHA / 2 if kind == "mean" else ALPHA
    mapped = c_eps

    if kind in ("count", "histogram"):
        out["mechanism"] = "discrete-laplace-threshold" if selection else "discrete-laplace"
        out["scale"] = c_scale
        out["accuracy95"] = acc(c_scale, alpha)
    elif kind in ("sum", "mean"):
        n = num[stat["column"]]
        lo, hi = units(n["lower"], n["decimals"]), units(n["upper"], n["decimals"])
        d_in = k * max(abs(lo), abs(hi))
        s_scale, s_eps = sum_part(d_in, rest)
        mapped += s_eps
        unit = 10.0 ** n["decimals"]
        out["mechanism"] = "discrete-laplace-threshold" if selection else "discrete-laplace"
        out["scale"] = s_scale / unit
        out["count_scale"] = c_scale
        out["accuracy95"] = acc(s_scale, alpha) / unit
        out["count_accuracy95"] = acc(c_scale, alpha)
        out["sum_d_in"] = d_in
    else:
        n = num[stat["column"]]
        lo, hi = units(n["lower"], n["decimals"]), units(n["upper"], n["decimals"])
        cands = candidates(lo, hi)
        m = max(1, min(k, cells))
        per_group = split_evenly(rest, m)
        q_scale, q_eps = quantile_part(k, stat["q"], cands, per_group)
        mapped += m * q_eps
        unit = 10.0 ** n["decimals"]
        gaps = len(cands) - 1
        out["mechanism"] = "exponential"
        out["scale"] = q_scale
        out["count_scale"] = c_scale
        out["accuracy95"] = ((hi - lo + gaps - 1) // gaps) / unit
        out["count_accuracy95"] = acc(c_scale, alpha)
        out["rank_accuracy95"] = q_scale * math.log(len(cands) / ALPHA)
        out["groups_sharing"] = m
    out["mapped_epsilon"] = mapped
    return out


def query(kind, eps, group_by=(), column="income", **extra):
    stat = {"kind": kind}
    if kind != "count":
        stat["column"] = column
    stat.update(extra)
    return {"statistic": stat, "group_by": list(group_by), "filters": [], "epsilon": eps}


CASES = []


def case(name, s, q):
    CASES.append({"name": name, "settings": s, "query": q, "expect": expect(s, q)})


def main():
    for k in (1, 3):
        for eps in (0.1, 0.5, 1.0, 2.0, 0.3):
            case(f"count k={k} eps={eps}", settings(k), query("count", eps))
        for eps in (0.25, 1.0, 0.7):
            case(f"count by province k={k} eps={eps}", settings(k), query("count", eps, ["province"]))
            case(f"count by province, sex k={k} eps={eps}", settings(k),
                 query("count", eps, ["province", "sex"]))
    for k, eps, dec, lo, hi in [(1, 1.0, 0, 0.0, 500000.0), (3, 0.5, 2, -1000.5, 250000.25),
                                (2, 0.1, 1, 0.0, 100.0), (5, 2.0, 6, -0.5, 0.75)]:
        s = settings(k, decimals=dec, lower=lo, upper=hi)
        case(f"sum k={k} eps={eps} decimals={dec}", s, query("sum", eps))
        case(f"sum by sex k={k} eps={eps} decimals={dec}", s, query("sum", eps, ["sex"]))
        case(f"mean k={k} eps={eps} decimals={dec}", s, query("mean", eps))
        case(f"mean by province, sex k={k} eps={eps} decimals={dec}", s,
             query("mean", eps, ["province", "sex"]))
    for k, eps, bins in [(1, 1.0, 10), (2, 0.5, 7), (3, 3.0, 50)]:
        case(f"histogram {bins} bins k={k} eps={eps}", settings(k), query("histogram", eps, bins=bins))
        case(f"histogram {bins} bins by province k={k} eps={eps}", settings(k),
             query("histogram", eps, ["province"], bins=bins))
    for k, eps, q, group_by, dec, lo, hi in [
            (1, 1.0, 0.5, [], 0, 0.0, 500000.0),
            (1, 0.3, 0.9, ["province"], 0, 0.0, 500000.0),
            (3, 1.0, 0.9, ["province"], 0, 0.0, 500000.0),
            (5, 2.0, 0.25, ["sex"], 2, -100.0, 100.0),
            (2, 0.5, 0.1, ["province", "sex"], 0, 0.0, 300.0),
            (4, 1.5, 1 / 3, [], 1, 10.0, 20.0)]:
        case(f"quantile q={q} by {group_by} k={k} eps={eps}",
             settings(k, decimals=dec, lower=lo, upper=hi), query("quantile", eps, group_by, q=q))
    for k, eps, delta in [(1, 1.0, 1e-7), (3, 0.5, 1e-6), (1, 0.1, 1e-8), (10, 2.0, 1e-9)]:
        s = settings(k, query_delta=delta)
        case(f"count by district k={k} eps={eps} delta={delta}", s, query("count", eps, ["district"]))
        case(f"count by province, district k={k} eps={eps} delta={delta}", s,
             query("count", eps, ["province", "district"]))
        case(f"sum by district k={k} eps={eps} delta={delta}", s, query("sum", eps, ["district"]))
        case(f"mean by district, sex k={k} eps={eps} delta={delta}", s,
             query("mean", eps, ["district", "sex"]))
        case(f"histogram by district k={k} eps={eps} delta={delta}", s,
             query("histogram", eps, ["district"], bins=5))
    doc = {
        "anchor": {"library": "opendp", "version": importlib.metadata.version("opendp")},
        "alpha": ALPHA,
        "tolerance": "1e-9 relative (crates/mizan-dp/tests/oracle.rs)",
        "cases": CASES,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(CASES)} cases to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
