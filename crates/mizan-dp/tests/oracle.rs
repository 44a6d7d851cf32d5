//! `plan()` against Python OpenDP: every case of `tests/goldens/opendp.json`, written by
//! `oracles/opendp/generate.py` with Python OpenDP building the same measurements and
//! finding their parameters with its own `binary_search_param`.
//!
//! Tolerance: 1e-9 relative on every number (scales, thresholds, accuracies, ε and δ). Both
//! sides search with the same routine for the same boundary; most cases agree bit for bit,
//! and the rest differ in the last bit or two of an `exp`, `ln` or division inside a map
//! (the PyPI wheel links other versions of OpenDP's big-number arithmetic, `dashu`). A
//! wrong sensitivity or ε split would move a number by a factor, far beyond the tolerance.

use mizan_dp::{Mechanism, Query, Settings, plan};
use serde::Deserialize;

const TOLERANCE: f64 = 1e-9;

#[derive(Deserialize)]
struct Goldens {
    anchor: Anchor,
    alpha: f64,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Anchor {
    library: String,
    version: String,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    settings: Settings,
    query: Query,
    expect: Expect,
}

#[derive(Deserialize)]
struct Expect {
    mechanism: Mechanism,
    scale: f64,
    count_scale: Option<f64>,
    threshold: Option<f64>,
    accuracy95: f64,
    count_accuracy95: Option<f64>,
    rank_accuracy95: Option<f64>,
    epsilon: f64,
    delta: f64,
    mapped_epsilon: f64,
    mapped_delta: f64,
}

fn goldens() -> Goldens {
    let text = include_str!("goldens/opendp.json");
    serde_json::from_str(text).expect("goldens/opendp.json parses")
}

fn close(what: &str, case: &str, got: f64, want: f64) -> Option<String> {
    let ok = got == want || (got - want).abs() <= TOLERANCE * got.abs().max(want.abs());
    (!ok).then(|| format!("{case}: {what} is {got:e}, OpenDP says {want:e}"))
}

fn close_opt(what: &str, case: &str, got: Option<f64>, want: Option<f64>) -> Option<String> {
    match (got, want) {
        (Some(g), Some(w)) => close(what, case, g, w),
        (None, None) => None,
        _ => Some(format!("{case}: {what} is {got:?}, OpenDP says {want:?}")),
    }
}

#[test]
fn goldens_come_from_the_pinned_opendp() {
    let g = goldens();
    assert_eq!(g.anchor.library, "opendp");
    let pin = include_str!("../../../oracles/opendp/requirements.txt")
        .lines()
        .find_map(|l| l.strip_prefix("opendp=="))
        .expect("requirements.txt pins opendp")
        .trim()
        .to_owned();
    assert_eq!(g.anchor.version, pin, "regenerate the goldens with the pinned OpenDP");
    // and the Rust side is that version too
    let lock = include_str!("../../../Cargo.lock");
    assert!(
        lock.contains(&format!("name = \"opendp\"\nversion = \"{pin}\"")),
        "Cargo.lock's opendp is not {pin}"
    );
    assert_eq!(g.alpha, 0.05);
}

#[test]
fn plans_match_python_opendp() {
    let g = goldens();
    assert!(g.cases.len() >= 60, "the goldens hold {} cases", g.cases.len());
    let mut failures = Vec::new();
    for c in &g.cases {
        let p = match plan(&c.settings, &c.query) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{}: refused: {e}", c.name));
                continue;
            }
        };
        let e = &c.expect;
        if p.mechanism != e.mechanism {
            failures
                .push(format!("{}: mechanism {:?}, OpenDP case says {:?}", c.name, p.mechanism, e.mechanism));
        }
        failures.extend(
            [
                close("scale", &c.name, p.scale, e.scale),
                close_opt("count_scale", &c.name, p.count_scale, e.count_scale),
                close_opt("threshold", &c.name, p.threshold, e.threshold),
                close("accuracy95", &c.name, p.accuracy95, e.accuracy95),
                close_opt("count_accuracy95", &c.name, p.count_accuracy95, e.count_accuracy95),
                close_opt("rank_accuracy95", &c.name, p.rank_accuracy95, e.rank_accuracy95),
                close("epsilon", &c.name, p.epsilon, e.epsilon),
                close("delta", &c.name, p.delta, e.delta),
                close("mapped_epsilon", &c.name, p.mapped_epsilon, e.mapped_epsilon),
                close("mapped_delta", &c.name, p.mapped_delta, e.mapped_delta),
            ]
            .into_iter()
            .flatten(),
        );
        if p.mapped_epsilon > p.epsilon || p.mapped_delta > p.delta {
            failures.push(format!("{}: the maps certify more than the plan charges", c.name));
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}
