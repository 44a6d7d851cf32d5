//! The audit report: per-group rates with intervals, impact ratios, scalar disparities,
//! group-versus-rest comparisons with multiple-testing correction, a seeded bootstrap of the
//! worst-case summaries and preset verdicts, all derived from [`Cells`]. This is the
//! documented JSON format the CLI writes; it carries the counts, the seed and the number of
//! replicates so anyone can re-derive every number.
//!
//! Decisions without a true outcome (a system's logged decisions, say) are audited with
//! [`GroundTruth::Absent`]: the cells then count favourable and unfavourable decisions only,
//! every number that needs a label (error rates, equalized odds, equal opportunity, their
//! comparisons and verdicts) is left out with a reason in [`Report::unavailable`], and what
//! remains (selection rates, demographic parity, impact ratios) is computed as usual.

use serde::Serialize;

use crate::bootstrap::{self, Bootstrap, IMPACT_RATIO_MIN};
use crate::cells::{Cells, Counts};
use crate::compare::{self, Comparison};
use crate::metrics::{self, EdgeMode, Rate, Value, rate};
use crate::preset::{Preset, Verdict, judge};
use crate::stats::{self, Correction, Interval, Z95};

/// Whether the audited rows carry the true outcome (a label) beside the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroundTruth {
    /// Each row has a label: every metric can be computed.
    #[default]
    Observed,
    /// Only decisions: the cells' label is the decision itself, and only the metrics of
    /// decisions alone are computed.
    Absent,
}

/// Why a label-dependent number is missing under [`GroundTruth::Absent`].
pub const NO_LABEL: &str = "needs the true outcome (a label), which the audited decisions do not carry";

/// Whether the definition `id` (a rate, scalar or comparison ID) needs labels.
#[must_use]
pub fn needs_label(id: &str) -> bool {
    !(id.contains("selection_rate")
        || id.contains("demographic_parity")
        || id == IMPACT_RATIO_MIN
        || id == "aif360:statistical_parity_difference"
        || id == "aif360:disparate_impact"
        || id == "aif360:dataset:class_imbalance")
}

/// Every AIF360 definition ID the report computes against a privileged group.
pub const AIF360_IDS: [&str; 14] = [
    "aif360:statistical_parity_difference",
    "aif360:disparate_impact",
    "aif360:average_odds_difference",
    "aif360:average_abs_odds_difference",
    "aif360:equal_opportunity_difference",
    "aif360:base_rate",
    "aif360:dataset:statistical_parity_difference",
    "aif360:dataset:disparate_impact",
    "aif360:dataset:class_imbalance",
    "aif360:theil_index",
    "aif360:between_group_theil_index",
    "aif360:generalized_entropy_index:alpha=0.5",
    "aif360:generalized_entropy_index:alpha=2",
    "aif360:between_group_generalized_entropy_index:alpha=2",
];

/// How [`Aif360::insufficient_reason`] begins when the privileged group is the side too small
/// to judge (otherwise it begins "everyone else").
pub const PRIVILEGED_SIDE: &str = "the privileged group";

/// Why the report has no AIF360 comparisons when no privileged group is named.
pub const NO_PRIVILEGED: &str =
    "AIF360's comparisons need a privileged group: one value per sensitive feature (--privileged sex=male)";

/// AIF360's comparisons of a privileged group with everyone else (pooled over strata), as
/// `aif360.sklearn.metrics` computes them with `priv_group`.
#[derive(Debug, Clone, Serialize)]
pub struct Aif360 {
    /// The privileged group: one value per sensitive feature.
    pub privileged: Vec<String>,
    /// Rows in the privileged group.
    pub privileged_rows: u64,
    /// Rows outside it.
    pub unprivileged_rows: u64,
    /// Why the privileged group or everyone else is too small to judge (the same rule as a
    /// group's), if so.
    pub insufficient_reason: Option<String>,
    /// Each metric by definition ID (NaN with no value when undefined; label-dependent ones
    /// are left out of an unlabelled audit and listed under `unavailable`).
    pub metrics: Vec<Scalar>,
}

/// A number the report could not compute, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unavailable {
    /// Definition ID.
    pub id: String,
    /// Why.
    pub reason: String,
}

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
    /// Correction across the group-versus-rest comparisons of one rate.
    pub correction: Correction,
    /// Significance level of the comparisons.
    pub alpha: f64,
    /// Bootstrap of the worst-case summaries (`replicates: 0` turns it off).
    pub bootstrap: bootstrap::Config,
    /// The privileged group of AIF360's comparisons, one value per sensitive feature.
    pub privileged: Option<Vec<String>>,
    /// Whether the rows carry labels.
    pub ground_truth: GroundTruth,
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
            correction: Correction::Holm,
            alpha: 0.05,
            bootstrap: bootstrap::Config::default(),
            privileged: None,
            ground_truth: GroundTruth::Observed,
        }
    }
}

/// One rate of one group.
#[derive(Debug, Clone, Serialize)]
pub struct RateEntry {
    /// fairlearn's name of the rate.
    pub metric: &'static str,
    /// Definition ID, such as `fairlearn:selection_rate`.
    pub id: &'static str,
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
    /// Too small to judge: fewer than the minimum rows, or fewer than the minimum events
    /// (favourable decisions) or non-events.
    pub insufficient: bool,
    /// Why the group is insufficient, if it is.
    pub insufficient_reason: Option<String>,
    /// Rates.
    pub rates: Vec<RateEntry>,
    /// Selection rate over the highest selection rate in the stratum among groups large
    /// enough to judge (among all groups when none is).
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
    /// Rows audited.
    pub rows: u64,
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
    /// Correction across comparisons: `holm`, `bh` or `none`.
    pub correction: &'static str,
    /// Significance level of the comparisons.
    pub alpha: f64,
    /// Per-group entries (every intersection, including empty ones).
    pub groups: Vec<GroupEntry>,
    /// fairlearn scalar disparities.
    pub scalars: Vec<Scalar>,
    /// Each group against the rest of its stratum, adjusted per rate.
    pub comparisons: Vec<Comparison>,
    /// Bootstrap of the worst-case summaries (absent when turned off).
    pub bootstrap: Option<Bootstrap>,
    /// Preset verdicts (empty without a preset).
    pub verdicts: Vec<Verdict>,
    /// Preset name, if any.
    pub preset: Option<String>,
    /// Whether the rows carried labels; without them only the metrics of decisions alone
    /// are computed.
    pub labelled: bool,
    /// Numbers left out, with the reason (every label-dependent one when unlabelled).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unavailable: Vec<Unavailable>,
    /// AIF360's comparisons against the privileged group; `None` when none was named (then
    /// `aif360_note` says so).
    pub aif360: Option<Aif360>,
    /// Why there are no AIF360 comparisons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aif360_note: Option<&'static str>,
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
    if cfg.ground_truth == GroundTruth::Absent && needs_label(r.definition()) {
        return RateEntry {
            metric: r.name(),
            id: r.definition(),
            value: Value { value: f64::NAN, reason: Some(NO_LABEL.to_owned()) },
            interval: Interval { lo: f64::NAN, hi: f64::NAN },
            insufficient: false,
        };
    }
    let value = rate(c, r, weighted, cfg.mode);
    let f = r.fraction(c, weighted);
    let interval = stats::wilson(value.value, f.effective_n, Z95);
    let events = if f.den > 0.0 { (value.value * f.rows).round() } else { 0.0 };
    RateEntry {
        metric: r.name(),
        id: r.definition(),
        value,
        interval,
        insufficient: stats::insufficient(f.rows, events, cfg.min_rows as f64, cfg.min_events as f64),
    }
}

/// Why a group is too small to judge (`None` if it is not): fewer than `min_rows` rows, or
/// fewer than `min_events` favourable or unfavourable decisions.
#[must_use]
pub fn insufficient_reason(c: &Counts, min_rows: u64, min_events: u64) -> Option<String> {
    let rows = c.rows();
    let selected = c.n[crate::cells::TP] + c.n[crate::cells::FP];
    if rows == 0 {
        Some("empty intersection: no rows".to_owned())
    } else if rows < min_rows {
        Some(format!("{rows} rows, fewer than {min_rows}"))
    } else if selected.min(rows - selected) < min_events {
        Some(format!(
            "{selected} favourable and {} unfavourable decisions; each needs at least {min_events}",
            rows - selected
        ))
    } else {
        None
    }
}

/// The reference of impact ratios in one stratum: the highest selection rate (and its
/// effective n) among groups large enough to judge, or among all groups when none is;
/// `None` when no group has a rate. A tiny group with a chance high rate is no yardstick.
fn highest(sel: &[(f64, f64, bool)]) -> Option<(f64, f64)> {
    let pick = |only_sufficient: bool| {
        sel.iter()
            .filter(|(p, _, ok)| !p.is_nan() && (*ok || !only_sufficient))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|&(p, n, _)| (p, n))
    };
    pick(true).or_else(|| pick(false))
}

/// The smallest impact ratio (selection rate over the stratum's reference, as in the
/// report's groups) among groups with at least `min_rows` rows, over all strata; NaN if none.
#[must_use]
pub fn impact_ratio_min(cells: &Cells, mode: EdgeMode, min_rows: u64, min_events: u64) -> f64 {
    let w = cells.weighted();
    let mut out = f64::NAN;
    for s in cells.strata() {
        let counts: Vec<Counts> = cells.groups().iter().map(|g| cells.get(s.as_deref(), g)).collect();
        let sel: Vec<(f64, f64, bool)> = counts
            .iter()
            .map(|c| {
                let sufficient = insufficient_reason(c, min_rows, min_events).is_none();
                (rate(c, Rate::SelectionRate, w, mode).value, 0.0, sufficient)
            })
            .collect();
        let Some((best, _)) = highest(&sel) else { continue };
        for (c, &(p, _, _)) in counts.iter().zip(&sel) {
            let ratio = p / best;
            if c.rows() >= min_rows && !ratio.is_nan() {
                out = out.min(ratio);
            }
        }
    }
    out
}

/// Builds the report.
#[must_use]
pub fn build(cells: &Cells, cfg: &Config) -> Report {
    let w = cells.weighted();
    let mut groups = Vec::new();
    for s in cells.strata() {
        let sel: Vec<(f64, f64, bool)> = cells
            .groups()
            .iter()
            .map(|g| {
                let c = cells.get(s.as_deref(), g);
                let f = Rate::SelectionRate.fraction(&c, w);
                let sufficient = insufficient_reason(&c, cfg.min_rows, cfg.min_events).is_none();
                (rate(&c, Rate::SelectionRate, w, cfg.mode).value, f.effective_n, sufficient)
            })
            .collect();
        let best = highest(&sel);
        let reference = cfg.reference.as_ref().map(|r| {
            let c = cells.get(s.as_deref(), r);
            rate(&c, Rate::SelectionRate, w, cfg.mode).value
        });
        for (i, g) in cells.groups().into_iter().enumerate() {
            let c = cells.get(s.as_deref(), &g);
            // `sel` has one entry per group, in `groups()` order.
            let (p, n, _) = sel[i];
            let (ratio, interval) = match best {
                Some((pb, nb)) => (p / pb, stats::katz(p, n, pb, nb, Z95)),
                None => (f64::NAN, Interval { lo: f64::NAN, hi: f64::NAN }),
            };
            let why = insufficient_reason(&c, cfg.min_rows, cfg.min_events);
            groups.push(GroupEntry {
                stratum: s.clone(),
                rows: c.rows(),
                counts: c,
                insufficient: why.is_some(),
                insufficient_reason: why,
                rates: Rate::ALL.iter().map(|&r| entry(&c, r, cfg, w)).collect(),
                impact_ratio_vs_highest: ratio,
                impact_ratio_vs_highest_interval: interval,
                impact_ratio_vs_reference: reference.map(|r| p / r),
                below_four_fifths: ratio < cfg.four_fifths,
                group: g,
            });
        }
    }
    let labelled = cfg.ground_truth == GroundTruth::Observed;
    let mut unavailable = Vec::new();
    if !labelled {
        let rates = Rate::ALL.iter().map(|r| r.definition().to_owned());
        let compared = compare::COMPARED.iter().map(|r| format!("mizan:group_vs_rest:{}", r.name()));
        for id in rates.chain(fairlearn_ids()).chain(compared) {
            if needs_label(&id) {
                unavailable.push(Unavailable { id, reason: NO_LABEL.to_owned() });
            }
        }
    }
    let scalars: Vec<Scalar> = fairlearn_ids()
        .into_iter()
        .filter(|id| labelled || !needs_label(id))
        .filter_map(|id| metrics::fairlearn_scalar(cells, &id, cfg.mode).map(|value| Scalar { id, value }))
        .collect();
    let mut comparisons = compare::compare(
        cells,
        &compare::Config {
            correction: cfg.correction,
            alpha: cfg.alpha,
            min_rows: cfg.min_rows,
            min_events: cfg.min_events,
            mode: cfg.mode,
        },
    );
    // Each rate is its own family, so dropping whole families leaves the others' adjustment as it was.
    comparisons.retain(|c| labelled || !needs_label(&c.id));
    let aif360 = cfg.privileged.as_ref().map(|privileged| {
        let split = crate::aif360::split(cells, privileged);
        let insufficient_reason =
            [(PRIVILEGED_SIDE, &split.privileged), ("everyone else", &split.unprivileged)].iter().find_map(
                |(who, c)| {
                    insufficient_reason(c, cfg.min_rows, cfg.min_events).map(|why| format!("{who}: {why}"))
                },
            );
        let metrics = AIF360_IDS
            .iter()
            .filter(|id| labelled || !needs_label(id))
            .filter_map(|id| {
                crate::aif360::metric(cells, id, privileged)
                    .map(|value| Scalar { id: (*id).to_owned(), value })
            })
            .collect();
        Aif360 {
            privileged: privileged.clone(),
            privileged_rows: split.privileged.rows(),
            unprivileged_rows: split.unprivileged.rows(),
            insufficient_reason,
            metrics,
        }
    });
    if !labelled && aif360.is_some() {
        for id in AIF360_IDS.iter().filter(|id| needs_label(id)) {
            if unavailable.iter().any(|u| u.id == *id) {
                continue;
            }
            unavailable.push(Unavailable { id: (*id).to_owned(), reason: NO_LABEL.to_owned() });
        }
    }
    let bootstrap = (cfg.bootstrap.replicates > 0).then(|| {
        let mut ids: Vec<String> = scalars.iter().map(|s| s.id.clone()).collect();
        ids.push(IMPACT_RATIO_MIN.to_owned());
        if let Some(a) = &aif360 {
            ids.extend(a.metrics.iter().map(|m| m.id.clone()));
        }
        bootstrap::run_with(
            cells,
            &ids,
            cfg.mode,
            (cfg.min_rows, cfg.min_events),
            cfg.privileged.as_deref(),
            &cfg.bootstrap,
        )
    });
    let mut report = Report {
        rows: cells.total(None).rows(),
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
        correction: cfg.correction.name(),
        alpha: cfg.alpha,
        groups,
        scalars,
        comparisons,
        bootstrap,
        verdicts: Vec::new(),
        preset: cfg.preset.as_ref().map(|p| p.name.to_owned()),
        labelled,
        unavailable,
        aif360_note: aif360.is_none().then_some(NO_PRIVILEGED),
        aif360,
    };
    if let Some(p) = &cfg.preset {
        report.verdicts = judge(p, &report);
    }
    report
}
