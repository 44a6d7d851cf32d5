//! The grid's plain data: provinces, kinds of institution, resources (cluster partitions and
//! their TRES), budgets in TRES-minutes, usage in TRES-seconds, and balances that never go
//! negative.
//!
//! **Units.** Budgets are whole TRES-minutes, as Slurm's `GrpTRESMins` counts them. Usage is
//! kept in TRES-seconds (allocated CPUs or GPUs × elapsed seconds, as `sacct` reports them),
//! so sums are exact and a per-account figure agrees with `sacct` to the second; it is shown
//! in minutes or hours only at the edge.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A province or territory of Pakistan, with the ids of the catalogue's places vocabulary
/// (`mizan-catalog/data/places.yaml`), so one code means one place across the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Province {
    /// `punjab`
    #[serde(rename = "punjab")]
    Punjab,
    /// `sindh`
    #[serde(rename = "sindh")]
    Sindh,
    /// `khyber-pakhtunkhwa`
    #[serde(rename = "khyber-pakhtunkhwa")]
    KhyberPakhtunkhwa,
    /// `balochistan`
    #[serde(rename = "balochistan")]
    Balochistan,
    /// `islamabad` (Islamabad Capital Territory)
    #[serde(rename = "islamabad")]
    IslamabadCapitalTerritory,
    /// `gilgit-baltistan`
    #[serde(rename = "gilgit-baltistan")]
    GilgitBaltistan,
    /// `azad-kashmir` (Azad Jammu and Kashmir)
    #[serde(rename = "azad-kashmir")]
    AzadJammuKashmir,
}

impl Province {
    /// Every province and territory, in the order the catalogue lists them.
    pub const ALL: [Province; 7] = [
        Province::Punjab,
        Province::Sindh,
        Province::KhyberPakhtunkhwa,
        Province::Balochistan,
        Province::IslamabadCapitalTerritory,
        Province::GilgitBaltistan,
        Province::AzadJammuKashmir,
    ];

    /// The code (the catalogue's place id).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Province::Punjab => "punjab",
            Province::Sindh => "sindh",
            Province::KhyberPakhtunkhwa => "khyber-pakhtunkhwa",
            Province::Balochistan => "balochistan",
            Province::IslamabadCapitalTerritory => "islamabad",
            Province::GilgitBaltistan => "gilgit-baltistan",
            Province::AzadJammuKashmir => "azad-kashmir",
        }
    }

    /// The English name.
    #[must_use]
    pub fn name_en(self) -> &'static str {
        match self {
            Province::Punjab => "Punjab",
            Province::Sindh => "Sindh",
            Province::KhyberPakhtunkhwa => "Khyber Pakhtunkhwa",
            Province::Balochistan => "Balochistan",
            Province::IslamabadCapitalTerritory => "Islamabad Capital Territory",
            Province::GilgitBaltistan => "Gilgit-Baltistan",
            Province::AzadJammuKashmir => "Azad Jammu and Kashmir",
        }
    }
}

/// A code that names no [`Province`] or [`InstitutionKind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a known {what}; use one of {allowed}")]
pub struct UnknownCode {
    /// What was looked up (`province`, `institution kind`).
    pub what: &'static str,
    /// The code given.
    pub value: String,
    /// The codes accepted, comma separated in backticks.
    pub allowed: String,
}

fn unknown(what: &'static str, value: &str, codes: impl Iterator<Item = &'static str>) -> UnknownCode {
    let allowed = codes.map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
    UnknownCode { what, value: value.to_owned(), allowed }
}

impl FromStr for Province {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Province::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| unknown("province", s, Province::ALL.into_iter().map(Province::as_str)))
    }
}

impl fmt::Display for Province {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of body an institution is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstitutionKind {
    /// A university or degree-awarding institute (`university`): academia.
    University,
    /// A startup (`startup`), eligible for the fast track on its first allocation.
    Startup,
    /// A ministry, department, regulator or other public body (`public-body`).
    PublicBody,
    /// An established company that is not a startup (`company`).
    Company,
}

impl InstitutionKind {
    /// Every kind.
    pub const ALL: [InstitutionKind; 4] = [
        InstitutionKind::University,
        InstitutionKind::Startup,
        InstitutionKind::PublicBody,
        InstitutionKind::Company,
    ];

    /// The kebab-case code.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            InstitutionKind::University => "university",
            InstitutionKind::Startup => "startup",
            InstitutionKind::PublicBody => "public-body",
            InstitutionKind::Company => "company",
        }
    }

    /// Whether this is academia (a university).
    #[must_use]
    pub fn is_academic(self) -> bool {
        self == InstitutionKind::University
    }

    /// Whether this is a startup.
    #[must_use]
    pub fn is_startup(self) -> bool {
        self == InstitutionKind::Startup
    }

    /// The sector the public figures compare: startups, academia or other.
    #[must_use]
    pub fn sector(self) -> Sector {
        match self {
            InstitutionKind::University => Sector::Academia,
            InstitutionKind::Startup => Sector::Startups,
            InstitutionKind::PublicBody | InstitutionKind::Company => Sector::Other,
        }
    }
}

impl FromStr for InstitutionKind {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        InstitutionKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            unknown("institution kind", s, InstitutionKind::ALL.into_iter().map(InstitutionKind::as_str))
        })
    }
}

impl fmt::Display for InstitutionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Startups versus academia (and everyone else), for the public figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sector {
    /// Startups.
    Startups,
    /// Universities.
    Academia,
    /// Public bodies and companies.
    Other,
}

impl Sector {
    /// The kebab-case code.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Sector::Startups => "startups",
            Sector::Academia => "academia",
            Sector::Other => "other",
        }
    }
}

/// A partition of a cluster and what it offers. Partitions of one cluster are taken to be
/// disjoint (each node in one partition) when capacities are added up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// The Slurm cluster name (`ClusterName` in `slurm.conf`).
    pub cluster: String,
    /// The partition.
    pub partition: String,
    /// CPUs (Slurm's `cpu` TRES).
    pub cpus: u32,
    /// GPUs (Slurm's `gres/gpu` TRES).
    pub gpus: u32,
    /// Memory in MB (Slurm's `mem` TRES).
    pub memory_mb: u64,
}

/// An amount of CPU and GPU TRES-minutes: a budget, or a `GrpTRESMins` limit.
///
/// `Display` writes it as `sacctmgr` does: `cpu=600,gres/gpu=120`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TresMinutes {
    /// CPU-minutes.
    pub cpu: u64,
    /// GPU-minutes.
    pub gpu: u64,
}

impl TresMinutes {
    /// Nothing.
    pub const ZERO: TresMinutes = TresMinutes { cpu: 0, gpu: 0 };

    /// From whole CPU-hours and GPU-hours (saturating).
    #[must_use]
    pub fn from_hours(cpu_hours: u64, gpu_hours: u64) -> Self {
        Self { cpu: cpu_hours.saturating_mul(60), gpu: gpu_hours.saturating_mul(60) }
    }

    /// The sum, or `None` on overflow.
    #[must_use]
    pub fn checked_add(self, other: Self) -> Option<Self> {
        Some(Self { cpu: self.cpu.checked_add(other.cpu)?, gpu: self.gpu.checked_add(other.gpu)? })
    }

    /// The sum, each part at most `u64::MAX`.
    #[must_use]
    pub fn saturating_add(self, other: Self) -> Self {
        Self { cpu: self.cpu.saturating_add(other.cpu), gpu: self.gpu.saturating_add(other.gpu) }
    }

    /// The difference, each part at least zero.
    #[must_use]
    pub fn saturating_sub(self, other: Self) -> Self {
        Self { cpu: self.cpu.saturating_sub(other.cpu), gpu: self.gpu.saturating_sub(other.gpu) }
    }

    /// The same amount in TRES-seconds (exact: minutes × 60, in 128 bits).
    #[must_use]
    pub fn seconds(self) -> (u128, u128) {
        (u128::from(self.cpu) * 60, u128::from(self.gpu) * 60)
    }
}

impl fmt::Display for TresMinutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cpu={},gres/gpu={}", self.cpu, self.gpu)
    }
}

/// Used TRES in CPU-seconds and GPU-seconds (allocated count × elapsed seconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Usage {
    /// CPU-seconds.
    pub cpu_seconds: u64,
    /// GPU-seconds.
    pub gpu_seconds: u64,
}

impl Usage {
    /// Nothing used.
    pub const ZERO: Usage = Usage { cpu_seconds: 0, gpu_seconds: 0 };

    /// The sum, each part at most `u64::MAX`.
    #[must_use]
    pub fn saturating_add(self, other: Self) -> Self {
        Self {
            cpu_seconds: self.cpu_seconds.saturating_add(other.cpu_seconds),
            gpu_seconds: self.gpu_seconds.saturating_add(other.gpu_seconds),
        }
    }

    /// Whole minutes, rounded down (as `sacct`'s and `sreport`'s minute figures are).
    #[must_use]
    pub fn minutes(self) -> TresMinutes {
        TresMinutes { cpu: self.cpu_seconds / 60, gpu: self.gpu_seconds / 60 }
    }
}

impl fmt::Display for Usage {
    /// CPU and GPU hours with two decimals: `cpu=12.50h,gpu=0.00h`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cpu={}h,gpu={}h", hours(u128::from(self.cpu_seconds)), hours(u128::from(self.gpu_seconds)))
    }
}

/// What is left of a budget, and by how much it is overdrawn, both in TRES-seconds and both
/// at least zero: the books never hold a negative balance. Exactly one of `remaining` and
/// `overdrawn` is non-zero per TRES, unless both are zero; always
/// `budget·60 + overdrawn = used + remaining` per TRES.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// The budget.
    pub budget: TresMinutes,
    /// What was used.
    pub used: Usage,
    /// What is left (zero when used up or overdrawn).
    pub remaining: Usage,
    /// How far usage went past the budget (a job that ran past the limit, jobs that were
    /// running when the limit was reached, or usage from before a budget was lowered).
    pub overdrawn: Usage,
}

impl Balance {
    /// The balance of `budget` after `used`.
    #[must_use]
    pub fn new(budget: TresMinutes, used: Usage) -> Self {
        let (cpu_budget, gpu_budget) = budget.seconds();
        let (cpu_left, cpu_over) = split(cpu_budget, used.cpu_seconds);
        let (gpu_left, gpu_over) = split(gpu_budget, used.gpu_seconds);
        Self {
            budget,
            used,
            remaining: Usage { cpu_seconds: cpu_left, gpu_seconds: gpu_left },
            overdrawn: Usage { cpu_seconds: cpu_over, gpu_seconds: gpu_over },
        }
    }
}

/// `(remaining, overdrawn)`, each saturated into `u64`.
fn split(budget_seconds: u128, used: u64) -> (u64, u64) {
    let used = u128::from(used);
    let clamp = |v: u128| u64::try_from(v).unwrap_or(u64::MAX);
    if budget_seconds >= used { (clamp(budget_seconds - used), 0) } else { (0, clamp(used - budget_seconds)) }
}

/// Whole TRES-minutes left of `budget` after `used`, rounded down and never below zero
/// (see [`Balance`] for the overdrawn amount).
#[must_use]
pub fn remaining(budget: TresMinutes, used: Usage) -> TresMinutes {
    Balance::new(budget, used).remaining.minutes()
}

/// Seconds as hours with two decimals, rounded half up, computed on integers
/// (`5400` → `"1.50"`).
#[must_use]
pub fn hours(seconds: u128) -> String {
    // hundredths of an hour = seconds / 36, rounded half up
    let hundredths = (seconds + 18) / 36;
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}
