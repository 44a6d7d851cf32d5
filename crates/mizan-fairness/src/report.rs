//! The audit report: per-group rates with intervals, impact ratios, scalar disparities and
//! preset verdicts, all derived from [`Cells`]. This is the documented JSON format the CLI
//! writes; it carries the counts so anyone can re-derive every number.

use serde::Serialize;

use crate::cells::{Cells, Counts};
use crate::metrics::{self, EdgeMode, Rate, Value, rate};
use crate::preset::{Preset, Verdict, judge};
use crate::stats::{self, Interval, Z95};

/// Knobs for an audit.
#[derive(Debug, Clone)]
pub struct Config {
    /// Zero-denominator behaviour.
    pub mode: EdgeMode,
    /// Groups with fewer rows are flagged insufficient.
    pub min_rows: u64,
    /// Groups with fewer events (or non-events) in a rate are flagged insufficient.
    pub min_events: u64,
    /// Impact ratios below this are flagged (a flag, not a verdict).
    pub four_fifths: f64,
    /// Reference group for impact ratios, one value per sensitive feature.
    pub reference: Option<Vec<String>>,
    /// Preset whose verdicts to include.
    pub preset: Option<Preset>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            mode: EdgeMode::Honest,
            min_rows: 30,
            min_events: 5,
            four_fifths: 0.8,
            reference: None,
            preset: None,
        }
    }
}

/// One rate of one group.
#[derive(Debug, Clone, Serialize)]
pub struct RateEntry {
    /// fairlearn's name of the rate.
    pub metric: &'static str,
    /// Value (NaN with a reason when undefined).
    #[serde(flatten)]
    pub value: Value,
    /// 95% Wilson interval (Kish effective n when weighted).
    pub interval: Interval,
    /// Denominator too small to judge.
    pub insufficient: bool,
}

/// One group of one stratum.
#[derive(Debug, Clone, Serialize)]
pub struct GroupEntry {
    /// Control stratum, if any.
    pub stratum: Option<String>,
    /// One value per sensitive feature.
    pub group: Vec<String>,
    /// Rows (0 for an empty intersection, which is still shown).
    pub rows: u64,
    /// Raw counts.
    pub counts: Counts,
    /// Fewer than the minimum rows.
    pub insufficient: bool,
    /// Rates.
    pub rates: Vec<RateEntry>,
    /// Selection rate over the highest group's selection rate in the stratum.
    pub impact_ratio_vs_highest: f64,
    /// Katz 95% interval of that ratio.
    pub impact_ratio_vs_highest_interval: Interval,
    /// Selection rate over the reference group's, when a reference is set.
    pub impact_ratio_vs_reference: Option<f64>,
    /// Impact ratio against the highest group below the four-fifths threshold.
    pub below_four_fifths: bool,
}

/// A scalar disparity.
#[derive(Debug, Clone, Serialize)]
pub struct Scalar {
    /// Definition ID.
    pub id: String,
    /// Value.
    pub value: f64,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Sensitive feature names.
    pub sensitive: Vec<String>,
    /// Control feature, if any.
    pub control: Option<String>,
    /// Whether sample weights were used.
    pub weighted: bool,
    /// Edge-case mode.
    pub mode: &'static str,
    /// Minimum rows per group.
    pub min_rows: u64,
    /// Minimum events per rate.
    pub min_events: u64,
    /// Four-fifths threshold used for the flag.
    pub four_fifths: f64,
    /// Per-group entries (every intersection, including empty ones).
    pub groups: Vec<GroupEntry>,
    /// fairlearn scalar disparities.
    pub scalars: Vec<Scalar>,
    /// Preset verdicts (empty without a preset).
    pub verdicts: Vec<Verdict>,
    /// Preset name, if any.
    pub preset: Option<String>,
}

/// Every fairlearn scalar definition ID the engine knows.
#[must_use]
pub fn fairlearn_ids() -> Vec<String> {
    let mut ids = Vec::new();
    for m in ["between_groups", "to_overall"] {
        for n in ["demographic_parity_difference", "demographic_parity_ratio"] {
            ids.push(format!("fairlearn:{n}:{m}"));
        }
        for n in ["equalized_odds_difference", "equalized_odds_ratio"] {
            for a in ["worst_case", "mean"] {
                ids.push(format!("fairlearn:{n}:{m}:{a}"));
            }
        }
        for n in ["equal_opportunity_difference", "equal_opportunity_ratio"] {
            ids.push(format!("fairlearn:{n}:{m}"));
        }
    }
    ids
}

#[expect(clippy::cast_precision_loss, reason = "counts stay far below 2^53")]
fn entry(c: &Counts, r: Rate, cfg: &Config, weighted: bool) -> RateEntry {
    let value = rate(c, r, weighted, cfg.mode);
    let f = r.fraction(c, weighted);
    let interval = stats::wilson(value.value, f.effective_n, Z95);
    let events = if f.den > 0.0 { (value.value * f.rows).round() } else { 0.0 };
    RateEntry {
        metric: r.name(),
        value,
        interval,
        insufficient: stats::insufficient(f.rows, events, cfg.min_rows as f64, cfg.min_events as f64),
    }
}

/// Builds the report.
#[must_use]
pub fn build(cells: &Cells, cfg: &Config) -> Report {
    let w = cells.weighted();
    let mut groups = Vec::new();
    for s in cells.strata() {
        let sel: Vec<(f64, f64)> = cells
            .groups()
            .iter()
            .map(|g| {
                let c = cells.get(s.as_deref(), g);
                let f = Rate::SelectionRate.fraction(&c, w);
                (rate(&c, Rate::SelectionRate, w, cfg.mode).value, f.effective_n)
            })
            .collect();
        let best =
            sel.iter().enumerate().filter(|(_, v)| !v.0.is_nan()).max_by(|a, b| a.1.0.total_cmp(&b.1.0));
        let reference = cfg.reference.as_ref().map(|r| {
            let c = cells.get(s.as_deref(), r);
            rate(&c, Rate::SelectionRate, w, cfg.mode).value
        });
        for (i, g) in cells.groups().into_iter().enumerate() {
            let c = cells.get(s.as_deref(), &g);
            let (p, n) = sel[i];
            let (ratio, interval) = match best {
                Some((_, &(pb, nb))) => (p / pb, stats::katz(p, n, pb, nb, Z95)),
                None => (f64::NAN, Interval { lo: f64::NAN, hi: f64::NAN }),
            };
            groups.push(GroupEntry {
                stratum: s.clone(),
                rows: c.rows(),
                counts: c,
                insufficient: c.rows() < cfg.min_rows,
                rates: Rate::ALL.iter().map(|&r| entry(&c, r, cfg, w)).collect(),
                impact_ratio_vs_highest: ratio,
                impact_ratio_vs_highest_interval: interval,
                impact_ratio_vs_reference: reference.map(|r| p / r),
                below_four_fifths: ratio < cfg.four_fifths,
                group: g,
            });
        }
    }
    let scalars: Vec<Scalar> = fairlearn_ids()
        .into_iter()
        .filter_map(|id| metrics::fairlearn_scalar(cells, &id, cfg.mode).map(|value| Scalar { id, value }))
        .collect();
    let mut report = Report {
        sensitive: cells.features().to_vec(),
        control: cells.control().map(str::to_owned),
        weighted: w,
        mode: match cfg.mode {
            EdgeMode::Honest => "honest",
            EdgeMode::FairlearnCompat => "fairlearn-compat",
        },
        min_rows: cfg.min_rows,
        min_events: cfg.min_events,
        four_fifths: cfg.four_fifths,
        groups,
        scalars,
        verdicts: Vec::new(),
        preset: cfg.preset.as_ref().map(|p| p.name.to_owned()),
    };
    if let Some(p) = &cfg.preset {
        report.verdicts = judge(p, &report);
    }
    report
}
