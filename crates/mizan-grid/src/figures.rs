//! The grid's public figures: allocations and CPU/GPU-hours granted and used per province,
//! per institution kind, per month and per sector (startups versus academia), and the grid's
//! utilisation. Plain rows in (the app fills them from the store), totals out, CSV by
//! [`Figures::to_csv`].
//!
//! Everything is summed in integer seconds (minutes × 60 for grants) and turned into hours
//! with two decimals only when shown ([`crate::hours`]), so the rows of a breakdown add up to
//! its total to the second. A grant counts in the month its allocation starts; usage in the
//! month its jobs ended (the app sums usage per institution and month). Rows outside the
//! period are left out.

use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;

use time::{Date, Month};

use crate::model::{InstitutionKind, Province, Resource, Sector, TresMinutes, Usage, hours};

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    /// The year.
    pub year: i32,
    /// The month.
    pub month: Month,
}

impl YearMonth {
    /// The month a day is in.
    #[must_use]
    pub fn of(date: Date) -> Self {
        Self { year: date.year(), month: date.month() }
    }

    /// Its number of seconds.
    #[must_use]
    pub fn seconds(self) -> u64 {
        u64::from(self.month.length(self.year)) * 86_400
    }

    /// The month after.
    #[must_use]
    pub fn next(self) -> Self {
        if self.month == Month::December {
            Self { year: self.year + 1, month: Month::January }
        } else {
            Self { year: self.year, month: self.month.next() }
        }
    }
}

impl fmt::Display for YearMonth {
    /// `2026-12`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, u8::from(self.month))
    }
}

/// Whole months, first and last included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// The first month.
    pub first: YearMonth,
    /// The last month.
    pub last: YearMonth,
}

impl Period {
    /// Whether the month is in the period.
    #[must_use]
    pub fn contains(&self, m: YearMonth) -> bool {
        self.first <= m && m <= self.last
    }

    /// Its number of seconds (zero when `last` is before `first`).
    #[must_use]
    pub fn seconds(&self) -> u128 {
        let mut total = 0u128;
        let mut m = self.first;
        while m <= self.last {
            total += u128::from(m.seconds());
            m = m.next();
        }
        total
    }
}

/// One approved allocation, for the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantRow {
    /// The institution's province.
    pub province: Province,
    /// The institution's kind.
    pub kind: InstitutionKind,
    /// The first day of the allocation.
    pub starts: Date,
    /// Its budget.
    pub budget: TresMinutes,
}

/// Usage of one institution in one month, for the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageRow {
    /// The institution's province.
    pub province: Province,
    /// The institution's kind.
    pub kind: InstitutionKind,
    /// The month the jobs ended.
    pub month: YearMonth,
    /// What they used.
    pub used: Usage,
}

/// Allocations and TRES-seconds granted and used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Allocations.
    pub allocations: u64,
    /// CPU-seconds granted.
    pub granted_cpu_seconds: u128,
    /// GPU-seconds granted.
    pub granted_gpu_seconds: u128,
    /// CPU-seconds used.
    pub used_cpu_seconds: u128,
    /// GPU-seconds used.
    pub used_gpu_seconds: u128,
}

impl Totals {
    fn grant(&mut self, g: &GrantRow) {
        let (cpu, gpu) = g.budget.seconds();
        self.allocations += 1;
        self.granted_cpu_seconds += cpu;
        self.granted_gpu_seconds += gpu;
    }

    fn usage(&mut self, u: &UsageRow) {
        self.used_cpu_seconds += u128::from(u.used.cpu_seconds);
        self.used_gpu_seconds += u128::from(u.used.gpu_seconds);
    }
}

/// Used over available, exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Utilisation {
    /// TRES-seconds used in the period.
    pub used_seconds: u128,
    /// TRES-seconds the grid offered: units × seconds in the period.
    pub capacity_seconds: u128,
}

impl Utilisation {
    /// A percentage with `decimals` decimals, rounded half up (`"42.50"`); `"0"` style zero
    /// when there is no capacity.
    #[must_use]
    pub fn percent(&self, decimals: u32) -> String {
        if self.capacity_seconds == 0 {
            return format!("{:.*}", decimals as usize, 0.0);
        }
        let scale = 10u128.pow(decimals);
        let num = self.used_seconds.saturating_mul(100 * scale);
        let v = (num + self.capacity_seconds / 2) / self.capacity_seconds;
        if decimals == 0 {
            v.to_string()
        } else {
            format!("{}.{:0width$}", v / scale, v % scale, width = decimals as usize)
        }
    }
}

/// The public figures for a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    /// Every row in the period.
    pub total: Totals,
    /// Per province.
    pub by_province: BTreeMap<Province, Totals>,
    /// Per institution kind.
    pub by_kind: BTreeMap<InstitutionKind, Totals>,
    /// Per sector: startups versus academia (and other).
    pub by_sector: BTreeMap<Sector, Totals>,
    /// Per month (grants by start, usage by job end).
    pub by_month: BTreeMap<YearMonth, Totals>,
    /// CPU utilisation: CPU-seconds used over the resources' CPUs × the period's seconds.
    pub cpu_utilisation: Utilisation,
    /// GPU utilisation, likewise.
    pub gpu_utilisation: Utilisation,
}

/// Sums grants and usage in `period` by province, kind, sector and month, and the grid's
/// utilisation over `resources` (partitions taken as disjoint).
#[must_use]
pub fn figures(grants: &[GrantRow], usage: &[UsageRow], resources: &[Resource], period: Period) -> Figures {
    let mut f = Figures::default();
    for g in grants.iter().filter(|g| period.contains(YearMonth::of(g.starts))) {
        f.total.grant(g);
        f.by_province.entry(g.province).or_default().grant(g);
        f.by_kind.entry(g.kind).or_default().grant(g);
        f.by_sector.entry(g.kind.sector()).or_default().grant(g);
        f.by_month.entry(YearMonth::of(g.starts)).or_default().grant(g);
    }
    for u in usage.iter().filter(|u| period.contains(u.month)) {
        f.total.usage(u);
        f.by_province.entry(u.province).or_default().usage(u);
        f.by_kind.entry(u.kind).or_default().usage(u);
        f.by_sector.entry(u.kind.sector()).or_default().usage(u);
        f.by_month.entry(u.month).or_default().usage(u);
    }
    let seconds = period.seconds();
    let cpus: u128 = resources.iter().map(|r| u128::from(r.cpus)).sum();
    let gpus: u128 = resources.iter().map(|r| u128::from(r.gpus)).sum();
    f.cpu_utilisation =
        Utilisation { used_seconds: f.total.used_cpu_seconds, capacity_seconds: cpus * seconds };
    f.gpu_utilisation =
        Utilisation { used_seconds: f.total.used_gpu_seconds, capacity_seconds: gpus * seconds };
    f
}

/// The CSV header of [`Figures::to_csv`].
pub const CSV_HEADER: &str =
    "dimension,key,allocations,cpu_hours_granted,gpu_hours_granted,cpu_hours_used,gpu_hours_used";

impl Figures {
    /// The breakdowns as CSV (RFC 4180, records ending in CRLF as its section 2 has it): [`CSV_HEADER`], then rows whose
    /// `dimension` is `total`, `province`, `institution-kind`, `sector` or `month` and whose
    /// `key` is the code (`punjab`, `startup`, `academia`, `2026-12`); hours with two
    /// decimals. Keys are codes, so no field needs quoting. Utilisation is not in it.
    #[must_use]
    pub fn to_csv(&self) -> String {
        let mut out = String::from(CSV_HEADER);
        out.push_str("\r\n");
        let mut row = |dimension: &str, key: &str, t: &Totals| {
            let _ = write!(
                out,
                "{dimension},{key},{},{},{},{},{}\r\n",
                t.allocations,
                hours(t.granted_cpu_seconds),
                hours(t.granted_gpu_seconds),
                hours(t.used_cpu_seconds),
                hours(t.used_gpu_seconds)
            );
        };
        row("total", "all", &self.total);
        for (k, t) in &self.by_province {
            row("province", k.as_str(), t);
        }
        for (k, t) in &self.by_kind {
            row("institution-kind", k.as_str(), t);
        }
        for (k, t) in &self.by_sector {
            row("sector", k.as_str(), t);
        }
        for (k, t) in &self.by_month {
            row("month", &k.to_string(), t);
        }
        out
    }
}
