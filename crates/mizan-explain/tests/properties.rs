//! Property tests on random tree ensembles: TreeSHAP equals brute-force Shapley values of the
//! same games (all subsets), and the Shapley axioms and tree-order independence hold.
#![expect(clippy::needless_range_loop, reason = "indices name features in three parallel vectors")]

use mizan_explain::ir::{CoverSource, Ensemble, MissingType};
use mizan_explain::{Comparison, Link, Model, ModelBody, Node, Source, Tree, shap};
use proptest::prelude::*;

/// A random tree of the given depth over `n` features, built from a stream of numbers.
fn build(nodes: &mut Vec<Node>, depth: u32, n: usize, seed: &mut impl Iterator<Item = f64>) -> u32 {
    let mut next = || seed.next().unwrap_or(0.5);
    let id = nodes.len() as u32;
    let cover = 1.0 + 10.0 * next();
    if depth == 0 || next() < 0.15 {
        nodes.push(Node {
            feature: 0,
            threshold: 0.0,
            left: u32::MAX,
            right: u32::MAX,
            default_left: false,
            missing: MissingType::NaN,
            categories: None,
            categories_left: true,
            value: 4.0 * next() - 2.0,
            cover,
        });
        return id;
    }
    let feature = ((next() * n as f64) as u32).min(n as u32 - 1);
    let threshold = (next() * 4.0).round() / 4.0;
    let default_left = next() < 0.5;
    nodes.push(Node {
        feature,
        threshold,
        left: 0,
        right: 0,
        default_left,
        missing: MissingType::NaN,
        categories: None,
        categories_left: true,
        value: 0.0,
        cover,
    });
    let l = build(nodes, depth - 1, n, seed);
    let r = build(nodes, depth - 1, n, seed);
    nodes[id as usize].left = l;
    nodes[id as usize].right = r;
    id
}

fn model(n: usize, trees: usize, depth: u32, nums: &[f64], cmp: Comparison) -> Model {
    let mut seed = nums.iter().copied().cycle();
    let trees = (0..trees)
        .map(|_| {
            let mut nodes = Vec::new();
            build(&mut nodes, depth, n, &mut seed);
            Tree { nodes, group: 0, weight: 1.0 }
        })
        .collect();
    Model {
        source: Source { library: "test".into(), version: "0".into(), objective: "reg".into() },
        feature_names: (0..n).map(|i| format!("f{i}")).collect(),
        base_margin: vec![0.25],
        link: Link::Identity,
        body: ModelBody::Trees(Ensemble {
            trees,
            comparison: cmp,
            averaged: false,
            cover: CoverSource::SumHessian,
        }),
    }
}

/// E[f(x) | x_S] with cover-weighted expectation over features not in S (the game that
/// path-dependent TreeSHAP solves).
fn cond_exp(t: &Tree, cmp: Comparison, x: &[f64], s: u32, node: usize) -> f64 {
    let n = &t.nodes[node];
    if n.is_leaf() {
        return n.value;
    }
    if s >> n.feature & 1 == 1 {
        let next = if Tree::route(n, cmp, x).goes_left() { n.left } else { n.right };
        return cond_exp(t, cmp, x, s, next as usize);
    }
    let (l, r) = (&t.nodes[n.left as usize], &t.nodes[n.right as usize]);
    let tot = l.cover + r.cover;
    (l.cover * cond_exp(t, cmp, x, s, n.left as usize) + r.cover * cond_exp(t, cmp, x, s, n.right as usize))
        / tot
}

fn brute_force(n: usize, v: impl Fn(u32) -> f64) -> Vec<f64> {
    let mut fact = vec![1.0f64; n + 1];
    for i in 1..=n {
        fact[i] = fact[i - 1] * i as f64;
    }
    let values: Vec<f64> = (0..1u32 << n).map(&v).collect();
    (0..n)
        .map(|i| {
            let mut phi = 0.0;
            for s in 0..1u32 << n {
                if s >> i & 1 == 1 {
                    continue;
                }
                let k = s.count_ones() as usize;
                phi += fact[k] * fact[n - k - 1] / fact[n]
                    * (values[(s | 1 << i) as usize] - values[s as usize]);
            }
            phi
        })
        .collect()
}

fn trees(m: &Model) -> &Ensemble {
    match &m.body {
        ModelBody::Trees(e) => e,
        ModelBody::Linear(_) => unreachable!("test models are trees"),
    }
}

fn row(n: usize, xs: &[f64]) -> Vec<f64> {
    (0..n).map(|i| if xs[i] > 3.8 { f64::NAN } else { (xs[i] * 4.0).round() / 4.0 }).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn path_dependent_equals_brute_force(n in 2usize..=8, nt in 1usize..4, depth in 1u32..5,
        nums in prop::collection::vec(0.0f64..1.0, 64), xs in prop::collection::vec(0.0f64..4.0, 8),
        f32cmp in any::<bool>()) {
        let cmp = if f32cmp { Comparison::LessF32 } else { Comparison::LessEqF64 };
        let m = model(n, nt, depth, &nums, cmp);
        let x = row(n, &xs);
        let e = shap::explain(&m, "h", &x, 0).expect("explains");
        let bf = brute_force(n, |s| 0.25 + trees(&m).trees.iter().map(|t| cond_exp(t, cmp, &x, s, 0)).sum::<f64>());
        for i in 0..n {
            prop_assert!((e.phi[i] - bf[i]).abs() <= 1e-12, "feature {}: {} vs brute force {}", i, e.phi[i], bf[i]);
        }
        // Efficiency.
        prop_assert!(e.additivity_residual <= 1e-9);
        // Dummy: a feature no split uses gets exactly zero.
        let used: Vec<bool> = (0..n).map(|i| trees(&m).trees.iter().any(|t| t.nodes.iter().any(|nd| !nd.is_leaf() && nd.feature as usize == i))).collect();
        for i in 0..n {
            if !used[i] { prop_assert_eq!(e.phi[i], 0.0); }
        }
        // Tree order does not matter.
        let mut rev = m.clone();
        if let ModelBody::Trees(en) = &mut rev.body { en.trees.reverse(); }
        let e2 = shap::explain(&rev, "h", &x, 0).expect("explains");
        for i in 0..n {
            prop_assert!((e.phi[i] - e2.phi[i]).abs() <= 1e-12);
        }
    }

    #[test]
    fn interventional_equals_brute_force(n in 2usize..=7, nt in 1usize..3, depth in 1u32..5,
        nums in prop::collection::vec(0.0f64..1.0, 64), xs in prop::collection::vec(0.0f64..4.0, 8),
        bgs in prop::collection::vec(prop::collection::vec(0.0f64..4.0, 8), 1..4)) {
        let cmp = Comparison::LessEqF64;
        let m = model(n, nt, depth, &nums, cmp);
        let x = row(n, &xs);
        let bg: Vec<Vec<f64>> = bgs.iter().map(|b| row(n, b)).collect();
        let e = shap::explain_interventional(&m, "h", &x, &bg, 0).expect("explains");
        let bf = brute_force(n, |s| {
            bg.iter().map(|z| {
                let mixed: Vec<f64> = (0..n).map(|i| if s >> i & 1 == 1 { x[i] } else { z[i] }).collect();
                m.predict_margin(&mixed).expect("predicts")[0]
            }).sum::<f64>() / bg.len() as f64
        });
        for i in 0..n {
            prop_assert!((e.phi[i] - bf[i]).abs() <= 1e-12, "feature {}: {} vs brute force {}", i, e.phi[i], bf[i]);
        }
        prop_assert!(e.additivity_residual <= 1e-9);
    }

    #[test]
    fn symmetric_features_get_equal_values(v in -3.0f64..3.0, c in 1.0f64..5.0) {
        // f = v when x0 < 1 and x1 < 1: x0 and x1 play identical roles.
        let leaf = |value: f64| Node { feature: 0, threshold: 0.0, left: u32::MAX, right: u32::MAX, default_left: false, missing: MissingType::NaN, categories: None, categories_left: true, value, cover: c };
        let split = |feature: u32, left: u32, right: u32, cover: f64| Node { feature, threshold: 1.0, left, right, default_left: true, missing: MissingType::NaN, categories: None, categories_left: true, value: 0.0, cover };
        let nodes = vec![split(0, 1, 4, 3.0 * c), split(1, 2, 3, 2.0 * c), leaf(v), leaf(0.0), leaf(0.0)];
        let nodes2 = vec![split(1, 1, 4, 3.0 * c), split(0, 2, 3, 2.0 * c), leaf(v), leaf(0.0), leaf(0.0)];
        let mut m = model(2, 1, 1, &[0.5], Comparison::LessEqF64);
        if let ModelBody::Trees(en) = &mut m.body {
            en.trees = vec![Tree { nodes, group: 0, weight: 0.5 }, Tree { nodes: nodes2, group: 0, weight: 0.5 }];
        }
        let e = shap::explain(&m, "h", &[0.0, 0.0], 0).expect("explains");
        prop_assert!((e.phi[0] - e.phi[1]).abs() <= 1e-12);
    }
}
