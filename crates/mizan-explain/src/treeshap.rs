//! Path-dependent TreeSHAP prepared once per ensemble and evaluated per row by quadrature.
//!
//! For one leaf with value `v` whose path has the distinct features `D` (`d = |D|`), each with
//! zero fraction `z_j` (the product of the cover fractions of its splits on the path) and one
//! fraction `o_j` (1 when the row follows the path at every split on `j`, else 0), the SHAP value
//! of `i ∈ D` is `v·(o_i − z_i)·Σ_{S ⊆ D∖i} |S|!(d−|S|−1)!/d! · Π_{j∈S} o_j · Π_{j∈D∖S∖i} z_j`.
//! The sum is `∫₀¹ Π_{j≠i} (z_j·(1−t) + o_j·t) dt` (the weights are Beta integrals), the integral
//! of a polynomial of degree `d − 1`, which Gauss–Legendre quadrature with `⌈d/2⌉` nodes
//! computes exactly. So one leaf costs `O(d·⌈d/2⌉)` multiplications instead of the `O(d²)`
//! divisions of Lundberg's Algorithm 2 (the idea behind XGBoost's QuadratureTreeSHAP).
//!
//! Everything that does not depend on the row (paths, distinct features, zero fractions,
//! expected values) is computed once in [`Prepared::new`]; a row then costs one comparison per
//! split and the quadrature per leaf, with no recursion and no allocation beyond one buffer of
//! split directions. Trees whose paths have more than [`MAX_ELEMENTS`] distinct features fall
//! back to the recursive Algorithm 2 in `shap.rs`.

use crate::ir::{Comparison, Ensemble, Model, Node, Tree};

/// Most distinct features on one path handled by quadrature (8 nodes, exact up to degree 15).
pub(crate) const MAX_ELEMENTS: usize = 16;

/// Gauss–Legendre nodes and weights on `[0, 1]` for 1 to 8 points, `(t, w)`, correctly rounded
/// from 50-digit values.
const GAUSS: [&[(f64, f64)]; 8] = [
    &[(0.5, 1.0)],
    &[(0.211_324_865_405_187_1, 0.5), (0.788_675_134_594_812_9, 0.5)],
    &[
        (0.112_701_665_379_258_31, 0.277_777_777_777_777_8),
        (0.5, 0.444_444_444_444_444_4),
        (0.887_298_334_620_741_7, 0.277_777_777_777_777_8),
    ],
    &[
        (0.069_431_844_202_973_71, 0.173_927_422_568_726_92),
        (0.330_009_478_207_571_87, 0.326_072_577_431_273_05),
        (0.669_990_521_792_428_1, 0.326_072_577_431_273_05),
        (0.930_568_155_797_026_3, 0.173_927_422_568_726_92),
    ],
    &[
        (0.046_910_077_030_668_004, 0.118_463_442_528_094_54),
        (0.230_765_344_947_158_45, 0.239_314_335_249_683_24),
        (0.5, 0.284_444_444_444_444_44),
        (0.769_234_655_052_841_5, 0.239_314_335_249_683_24),
        (0.953_089_922_969_332, 0.118_463_442_528_094_54),
    ],
    &[
        (0.033_765_242_898_423_99, 0.085_662_246_189_585_18),
        (0.169_395_306_766_867_73, 0.180_380_786_524_069_3),
        (0.380_690_406_958_401_56, 0.233_956_967_286_345_52),
        (0.619_309_593_041_598_5, 0.233_956_967_286_345_52),
        (0.830_604_693_233_132_2, 0.180_380_786_524_069_3),
        (0.966_234_757_101_576, 0.085_662_246_189_585_18),
    ],
    &[
        (0.025_446_043_828_620_736, 0.064_742_483_084_434_85),
        (0.129_234_407_200_302_77, 0.139_852_695_744_638_32),
        (0.297_077_424_311_301_4, 0.190_915_025_252_559_46),
        (0.5, 0.208_979_591_836_734_7),
        (0.702_922_575_688_698_5, 0.190_915_025_252_559_46),
        (0.870_765_592_799_697_2, 0.139_852_695_744_638_32),
        (0.974_553_956_171_379_3, 0.064_742_483_084_434_85),
    ],
    &[
        (0.019_855_071_751_231_884, 0.050_614_268_145_188_13),
        (0.101_666_761_293_186_64, 0.111_190_517_226_687_24),
        (0.237_233_795_041_835_5, 0.156_853_322_938_943_63),
        (0.408_282_678_752_175_1, 0.181_341_891_689_181),
        (0.591_717_321_247_825, 0.181_341_891_689_181),
        (0.762_766_204_958_164_5, 0.156_853_322_938_943_63),
        (0.898_333_238_706_813_4, 0.111_190_517_226_687_24),
        (0.980_144_928_248_768_1, 0.050_614_268_145_188_13),
    ],
];

/// How a split is evaluated for a row.
#[derive(Clone, Copy)]
enum Split {
    /// A leaf: never evaluated.
    Leaf,
    /// XGBoost's numeric split: `NaN` follows the default, else `(x as f32) < threshold`.
    LessF32 { feature: u32, threshold: f32, default_left: bool },
    /// Anything else (categorical, LightGBM): [`Tree::route`] on the original node.
    General,
}

/// One split on a leaf's path: the node, which way the path goes, and the path element of its
/// feature.
#[derive(Clone, Copy)]
struct Cond {
    node: u32,
    left: bool,
    element: u8,
}

/// One leaf: its weighted value and where its path elements and conditions start.
#[derive(Clone, Copy)]
struct Leaf {
    value: f64,
    elements: u32,
    conds: u32,
    n_elements: u8,
    n_conds: u8,
}

/// One tree's place in the prepared arrays.
struct PreparedTree {
    /// Index in the ensemble.
    index: usize,
    /// Evaluated by the recursive algorithm (a path with more than [`MAX_ELEMENTS`] features, or
    /// deeper than 255 splits).
    fallback: bool,
    splits: std::ops::Range<usize>,
    leaves: std::ops::Range<usize>,
}

/// The row-independent part of path-dependent TreeSHAP for one ensemble.
pub(crate) struct Prepared {
    trees: Vec<PreparedTree>,
    splits: Vec<Split>,
    leaves: Vec<Leaf>,
    element_feature: Vec<u32>,
    element_zero: Vec<f64>,
    conds: Vec<Cond>,
    max_nodes: usize,
    /// φ₀ per output.
    phi0: Vec<f64>,
}

/// Child weight fractions of a split, normalised so they sum to one.
pub(crate) fn fractions(t: &Tree, node: &Node) -> (f64, f64) {
    // Loaders validate child indices (`validate_tree`).
    let (l, r) = (t.nodes[node.left as usize].cover, t.nodes[node.right as usize].cover);
    let s = l + r;
    if s > 0.0 && s.is_finite() { (l / s, r / s) } else { (0.5, 0.5) }
}

impl Prepared {
    pub(crate) fn new(model: &Model, e: &Ensemble) -> Self {
        let mut p = Prepared {
            trees: Vec::with_capacity(e.trees.len()),
            splits: Vec::new(),
            leaves: Vec::new(),
            element_feature: Vec::new(),
            element_zero: Vec::new(),
            conds: Vec::new(),
            max_nodes: 0,
            phi0: (0..model.n_outputs()).map(|o| crate::shap::phi0(model, e, o)).collect(),
        };
        for (index, t) in e.trees.iter().enumerate() {
            p.max_nodes = p.max_nodes.max(t.nodes.len());
            let marks = (p.splits.len(), p.leaves.len(), p.element_feature.len(), p.conds.len());
            let fallback = !p.add_tree(t, e.comparison);
            if fallback {
                p.splits.truncate(marks.0);
                p.leaves.truncate(marks.1);
                p.element_feature.truncate(marks.2);
                p.element_zero.truncate(marks.2);
                p.conds.truncate(marks.3);
            }
            p.trees.push(PreparedTree {
                index,
                fallback,
                splits: marks.0..p.splits.len(),
                leaves: marks.1..p.leaves.len(),
            });
        }
        p
    }

    /// Adds one tree's splits and leaf paths; `false` when it needs the fallback.
    fn add_tree(&mut self, t: &Tree, cmp: Comparison) -> bool {
        let n = t.nodes.len();
        // Parent and side of every node (loaders validate that each node has one parent).
        let mut parent = vec![(u32::MAX, false); n];
        for (i, node) in t.nodes.iter().enumerate() {
            if node.is_leaf() {
                self.splits.push(Split::Leaf);
                continue;
            }
            parent[node.left as usize] = (i as u32, true);
            parent[node.right as usize] = (i as u32, false);
            self.splits.push(match (cmp, &node.categories) {
                (Comparison::LessF32, None) => Split::LessF32 {
                    feature: node.feature,
                    threshold: node.threshold as f32,
                    default_left: node.default_left,
                },
                _ => Split::General,
            });
        }
        let mut path: Vec<(u32, bool)> = Vec::new();
        let mut features: Vec<u32> = Vec::new();
        let mut zeros: Vec<f64> = Vec::new();
        for (i, node) in t.nodes.iter().enumerate() {
            if !node.is_leaf() {
                continue;
            }
            path.clear();
            let mut at = i;
            while parent[at].0 != u32::MAX {
                path.push(parent[at]);
                at = parent[at].0 as usize;
            }
            if at != 0 {
                continue; // unreachable from the root: contributes nothing
            }
            if path.len() > usize::from(u8::MAX) {
                return false;
            }
            path.reverse();
            features.clear();
            zeros.clear();
            let conds = self.conds.len();
            for &(p, left) in &path {
                let split = &t.nodes[p as usize];
                let (fl, fr) = fractions(t, split);
                let fraction = if left { fl } else { fr };
                let element = match features.iter().position(|&f| f == split.feature) {
                    Some(k) => {
                        zeros[k] *= fraction;
                        k
                    }
                    None => {
                        if features.len() == MAX_ELEMENTS {
                            return false;
                        }
                        features.push(split.feature);
                        zeros.push(fraction);
                        features.len() - 1
                    }
                };
                self.conds.push(Cond { node: p, left, element: element as u8 });
            }
            self.leaves.push(Leaf {
                value: node.value * t.weight,
                elements: self.element_feature.len() as u32,
                conds: conds as u32,
                n_elements: features.len() as u8,
                n_conds: path.len() as u8,
            });
            self.element_feature.extend_from_slice(&features);
            self.element_zero.extend_from_slice(&zeros);
        }
        true
    }

    /// φ₀ of an output (checked by the caller).
    pub(crate) fn phi0(&self, output: usize) -> f64 {
        self.phi0[output]
    }

    /// Adds the SHAP values of output `group`'s trees for row `x` to `phi`; trees needing the
    /// fallback are passed to `fallback`.
    pub(crate) fn add(
        &self,
        e: &Ensemble,
        x: &[f64],
        group: usize,
        phi: &mut [f64],
        mut fallback: impl FnMut(&Tree, &mut [f64]),
    ) {
        let mut left = vec![false; self.max_nodes];
        for pt in &self.trees {
            // `index` comes from enumerating `e.trees` in `new`.
            let t = &e.trees[pt.index];
            if t.group != group {
                continue;
            }
            if pt.fallback {
                fallback(t, phi);
                continue;
            }
            for (k, s) in self.splits[pt.splits.clone()].iter().enumerate() {
                left[k] = match *s {
                    Split::Leaf => false,
                    Split::LessF32 { feature, threshold, default_left } => {
                        // Rows are checked against the model's feature count and loaders
                        // validate split features, so the index is in range.
                        let v = x[feature as usize];
                        if v.is_nan() { default_left } else { (v as f32) < threshold }
                    }
                    Split::General => Tree::route(&t.nodes[k], e.comparison, x).goes_left(),
                };
            }
            for leaf in &self.leaves[pt.leaves.clone()] {
                self.leaf(leaf, &left, phi);
            }
        }
    }

    #[inline]
    fn leaf(&self, leaf: &Leaf, left: &[bool], phi: &mut [f64]) {
        let d = usize::from(leaf.n_elements);
        if d == 0 {
            return;
        }
        // Bit j set: the row leaves this leaf's path at a split on element j (branch-free: the
        // directions are data, not predictable).
        let c0 = leaf.conds as usize;
        let mut cold = 0u32;
        for c in &self.conds[c0..c0 + usize::from(leaf.n_conds)] {
            cold |= u32::from(left[c.node as usize] != c.left) << c.element;
        }
        let mut one = [1.0f64; MAX_ELEMENTS];
        for (j, o) in one.iter_mut().enumerate().take(d) {
            *o = f64::from((cold >> j) & 1 ^ 1);
        }
        let e0 = leaf.elements as usize;
        let zero = &self.element_zero[e0..e0 + d];
        let feature = &self.element_feature[e0..e0 + d];
        let v = leaf.value;
        match d {
            1 => quadrature::<1, 1>(v, &one, zero, feature, phi),
            2 => quadrature::<2, 1>(v, &one, zero, feature, phi),
            3 => quadrature::<3, 2>(v, &one, zero, feature, phi),
            4 => quadrature::<4, 2>(v, &one, zero, feature, phi),
            5 => quadrature::<5, 3>(v, &one, zero, feature, phi),
            6 => quadrature::<6, 3>(v, &one, zero, feature, phi),
            7 => quadrature::<7, 4>(v, &one, zero, feature, phi),
            8 => quadrature::<8, 4>(v, &one, zero, feature, phi),
            _ => quadrature_any(v, &one[..d], zero, feature, phi),
        }
    }
}

/// One leaf's contributions with `D` path elements and `M = ⌈D/2⌉` quadrature nodes, unrolled.
#[inline(always)]
fn quadrature<const D: usize, const M: usize>(
    value: f64,
    one: &[f64; MAX_ELEMENTS],
    zero: &[f64],
    feature: &[u32],
    phi: &mut [f64],
) {
    // The caller passes slices of length D (a leaf's elements); M indexes the table of 1 to 8
    // points.
    let zero: &[f64; D] = zero.try_into().expect("D zero fractions");
    let feature: &[u32; D] = feature.try_into().expect("D features");
    let gauss: &[(f64, f64); M] = GAUSS[M - 1].try_into().expect("M Gauss points");
    // Σ_q w_q Π_{j≠i} F_j(t_q), with F_j(t) = z_j (1 − t) + o_j t, by prefix and suffix products.
    let mut sum = [0.0f64; D];
    for &(t, w) in gauss {
        let mut f = [0.0f64; D];
        for j in 0..D {
            f[j] = zero[j] * (1.0 - t) + one[j] * t;
        }
        let mut before = [0.0f64; D];
        let mut prefix = w;
        for j in 0..D {
            before[j] = prefix;
            prefix *= f[j];
        }
        let mut suffix = 1.0;
        for j in (0..D).rev() {
            sum[j] += before[j] * suffix;
            suffix *= f[j];
        }
    }
    for j in 0..D {
        // Loaders validate split features and rows are checked against the feature count.
        phi[feature[j] as usize] += value * (one[j] - zero[j]) * sum[j];
    }
}

/// [`quadrature`] for any number of elements up to [`MAX_ELEMENTS`].
fn quadrature_any(value: f64, one: &[f64], zero: &[f64], feature: &[u32], phi: &mut [f64]) {
    let d = one.len();
    let mut sum = [0.0f64; MAX_ELEMENTS];
    let mut f = [0.0f64; MAX_ELEMENTS];
    let mut before = [0.0f64; MAX_ELEMENTS];
    for &(t, w) in GAUSS[(d - 1) / 2] {
        for j in 0..d {
            f[j] = zero[j] * (1.0 - t) + one[j] * t;
        }
        let mut prefix = w;
        for j in 0..d {
            before[j] = prefix;
            prefix *= f[j];
        }
        let mut suffix = 1.0;
        for j in (0..d).rev() {
            sum[j] += before[j] * suffix;
            suffix *= f[j];
        }
    }
    for j in 0..d {
        phi[feature[j] as usize] += value * (one[j] - zero[j]) * sum[j];
    }
}

#[cfg(test)]
mod tests {
    //! The quadrature against the recursive Algorithm 2 on deep random trees, where the
    //! brute-force property tests (at most 8 features) cannot reach: up to 16 distinct features
    //! on a path and the fallback beyond.

    use super::*;
    use crate::ir::{CoverSource, Link, MissingType, ModelBody, Source};
    use crate::shap::tree_shap;

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    fn build(nodes: &mut Vec<Node>, depth: u32, n: usize, rng: &mut Rng) -> u32 {
        let id = nodes.len() as u32;
        let leaf = depth == 0 || rng.next() < 0.1;
        nodes.push(Node {
            feature: ((rng.next() * n as f64) as u32).min(n as u32 - 1),
            threshold: (rng.next() * 8.0).round() / 4.0 - 1.0,
            left: u32::MAX,
            right: u32::MAX,
            default_left: rng.next() < 0.5,
            missing: MissingType::NaN,
            categories: None,
            categories_left: true,
            value: 4.0 * rng.next() - 2.0,
            cover: 1.0 + 10.0 * rng.next(),
        });
        if !leaf {
            let l = build(nodes, depth - 1, n, rng);
            let r = build(nodes, depth - 1, n, rng);
            nodes[id as usize].left = l;
            nodes[id as usize].right = r;
        }
        id
    }

    fn model(trees: Vec<Tree>, n: usize, comparison: Comparison) -> Model {
        Model {
            source: Source { library: "test".into(), version: String::new(), objective: String::new() },
            feature_names: (0..n).map(|i| format!("f{i}")).collect(),
            base_margin: vec![0.5],
            link: Link::Identity,
            body: ModelBody::Trees(Ensemble {
                trees,
                comparison,
                averaged: false,
                cover: CoverSource::SumHessian,
            }),
        }
    }

    fn check(m: &Model, rng: &mut Rng) {
        let ModelBody::Trees(e) = &m.body else { unreachable!("a tree model") };
        let p = Prepared::new(m, e);
        for _ in 0..20 {
            let x: Vec<f64> = (0..m.n_features())
                .map(|_| if rng.next() < 0.1 { f64::NAN } else { (rng.next() * 8.0).round() / 4.0 - 1.0 })
                .collect();
            let mut fast = vec![0.0; x.len()];
            p.add(e, &x, 0, &mut fast, |_, _| panic!("no fallback expected"));
            let mut slow = vec![0.0; x.len()];
            let mut path = Vec::new();
            for t in &e.trees {
                tree_shap(t, e.comparison, &x, &mut slow, &mut path);
            }
            for (a, b) in fast.iter().zip(&slow) {
                assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn quadrature_equals_algorithm_2_on_deep_trees() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for case in 0..40 {
            let n = 3 + case % 14;
            let depth = 4 + (case % 9) as u32;
            let trees = (0..3)
                .map(|_| {
                    let mut nodes = Vec::new();
                    build(&mut nodes, depth, n, &mut rng);
                    Tree { nodes, group: 0, weight: 0.7 }
                })
                .collect();
            let cmp = if case % 2 == 0 { Comparison::LessF32 } else { Comparison::LessEqF64 };
            check(&model(trees, n, cmp), &mut rng);
        }
        // Thirteen to sixteen distinct features on a path (the unrolled kernels stop at eight).
        let mut nodes = Vec::new();
        build(&mut nodes, 16, 16, &mut rng);
        check(&model(vec![Tree { nodes, group: 0, weight: 1.0 }], 16, Comparison::LessF32), &mut rng);
    }

    #[test]
    fn paths_with_more_than_sixteen_features_fall_back() {
        // A chain of 20 splits on 20 different features: split `2k` goes left to split `2k + 2`
        // and right to leaf `2k + 1`; node 40 is the last leaf.
        let node = |feature: u32, left: u32, right: u32, value: f64, cover: f64| Node {
            feature,
            threshold: 0.0,
            left,
            right,
            default_left: true,
            missing: MissingType::NaN,
            categories: None,
            categories_left: true,
            value,
            cover,
        };
        let mut nodes = Vec::new();
        for f in 0..20u32 {
            nodes.push(node(f, 2 * f + 2, 2 * f + 1, 0.0, 40.0 - f64::from(f)));
            nodes.push(node(0, u32::MAX, u32::MAX, f64::from(f), 1.0));
        }
        nodes.push(node(0, u32::MAX, u32::MAX, 7.0, 1.0));
        let m = model(vec![Tree { nodes, group: 0, weight: 1.0 }], 20, Comparison::LessEqF64);
        let ModelBody::Trees(e) = &m.body else { unreachable!("a tree model") };
        assert!(Prepared::new(&m, e).trees[0].fallback);
        let x = vec![-1.0; 20];
        let got = crate::shap::explain(&m, "h", &x, 0).expect("explains");
        let mut slow = vec![0.0; 20];
        tree_shap(&e.trees[0], e.comparison, &x, &mut slow, &mut Vec::new());
        assert_eq!(got.phi, slow);
        assert!(got.additivity_residual <= 1e-9);
    }
}
