//! Appeal figures and sizes as the API and pages show them, shared by the appeal pages, the
//! public register (a system's and its provider's figures), the ethics board's review page and
//! the bulk register downloads.

use serde::Serialize;
use utoipa::ToSchema;

use crate::pages::Ctx;

/// Public appeal figures of a system.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsOut {
    /// Appeals received.
    pub received: i64,
    /// Decided by the provider.
    pub decided: i64,
    /// Median days from filing to the provider's decision.
    pub median_days_to_decision: Option<f64>,
    /// Share of decided appeals decided within 15 days.
    pub share_decided_on_time: Option<f64>,
    /// Share of decided appeals reversed or modified.
    pub share_changed: Option<f64>,
    /// Share of appeals taken to the regulator.
    pub share_escalated: Option<f64>,
    /// Appeals marked late.
    pub late: i64,
    /// Appeals still open.
    pub open: i64,
}

/// The public figures as shares.
#[must_use]
pub fn stats_out(s: &mizan_store::CaseStats) -> StatsOut {
    #[allow(clippy::cast_precision_loss)]
    let share = |n: i64, d: i64| (d > 0).then(|| n as f64 / d as f64);
    StatsOut {
        received: s.received,
        decided: s.decided,
        median_days_to_decision: s.median_days_to_decision,
        share_decided_on_time: share(s.decided_on_time, s.decided),
        share_changed: share(s.changed, s.decided),
        share_escalated: share(s.escalated, s.received),
        late: s.late,
        open: s.open,
    }
}

/// A system's appeal figures in words.
pub struct StatsView {
    /// Received.
    pub received: i64,
    /// Decided.
    pub decided: i64,
    /// Median days to a decision, in words.
    pub median: String,
    /// Decided on time, as "n of m".
    pub on_time: String,
    /// Reversed or changed, as "n of m".
    pub changed: String,
    /// Escalated, as "n of m".
    pub escalated: String,
    /// Marked late.
    pub late: i64,
}

/// [`StatsView`] of figures.
#[must_use]
pub fn stats_view(ctx: &Ctx, s: &mizan_store::CaseStats) -> StatsView {
    let of = |n: i64, total: i64| {
        ctx.lang.t_args("appeal-share", &[("share", n.to_string()), ("total", total.to_string())])
    };
    StatsView {
        received: s.received,
        decided: s.decided,
        median: s.median_days_to_decision.map_or_else(
            || "—".to_owned(),
            |d| ctx.lang.t_args("appeal-days", &[("days", format!("{d:.1}"))]),
        ),
        on_time: of(s.decided_on_time, s.decided),
        changed: of(s.changed, s.decided),
        escalated: of(s.escalated, s.received),
        late: s.late,
    }
}

/// A size in bytes, in words: `812 bytes`, `34 KB`, `5 MB` (binary units, rounded).
#[must_use]
pub fn size_words(ctx: &Ctx, bytes: i64) -> String {
    const K: i64 = 1024;
    let (key, n) = match bytes {
        b if b < K => ("size-bytes", b.to_string()),
        b if b < K * K => ("size-kb", ((b + K / 2) / K).to_string()),
        b if b % (K * K) == 0 => ("size-mb", (b / (K * K)).to_string()),
        #[allow(clippy::cast_precision_loss)]
        b => ("size-mb", format!("{:.1}", b as f64 / (K * K) as f64)),
    };
    ctx.lang.t_args(key, &[("n", n)])
}
