//! Settings both benchmark examples share, so their figures are for the same search.

use mizan_explain::recourse::{Direction, Favourable, RecourseConfig};

/// The CLI's recourse settings: two options' worth of changes, bounds and MADs from the rows,
/// and two features (the integer codes `f25`, `f26`) immutable.
pub fn recourse_config(rows: &[&[f64]], k: usize) -> RecourseConfig {
    let column = |j: usize| -> Vec<f64> {
        let mut c: Vec<f64> = rows.iter().map(|x| x[j]).filter(|v| !v.is_nan()).collect();
        c.sort_by(f64::total_cmp);
        c
    };
    let mut bounds = Vec::with_capacity(k);
    let mut mads = Vec::with_capacity(k);
    for j in 0..k {
        let c = column(j);
        bounds.push((c[0], c[c.len() - 1]));
        let med = c[c.len() / 2];
        let mut dev: Vec<f64> = c.iter().map(|v| (v - med).abs()).collect();
        dev.sort_by(f64::total_cmp);
        mads.push(dev[dev.len() / 2]);
    }
    RecourseConfig {
        output: 0,
        favourable: Favourable::Above(0.0),
        directions: (0..k)
            .map(|j| if j == 25 || j == 26 { Direction::Immutable } else { Direction::Any })
            .collect(),
        bounds,
        mads,
        max_options: 3,
        max_changes: 2,
    }
}
