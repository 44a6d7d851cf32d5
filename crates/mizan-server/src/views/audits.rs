//! Bias assessments as pages and the register's JSON show them: the public summary of each
//! audit of a registered version, and the rows of a system's audit list for its provider and
//! the regulator.
use mizan_app::audits::{PublicSummary, PublishedAudit};
use mizan_store::{AuditInfo, AuditScope, AuditSource};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::AppError;
use crate::i18n::Lang;

/// A bias assessment as the public register shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicAuditOut {
    /// The audit's id.
    pub id: String,
    /// The version audited.
    pub version: i64,
    /// `provider` or `regulator`.
    pub run_by: String,
    /// `upload` (a decisions file) or `logged` (the system's logged decisions).
    pub source: String,
    /// SHA-256 of the audited file.
    pub file_sha256: Option<String>,
    /// Start of the window of logged decisions.
    pub from: Option<String>,
    /// End of the window (exclusive).
    pub to: Option<String>,
    /// When it was run.
    pub created_at: String,
    /// Whether this is the latest audit of its standard (the one the system is judged by).
    pub latest_of_standard: bool,
    /// Verdicts and the sizes of groups of at least `disclosure_threshold` decisions.
    #[schema(value_type = Object)]
    pub summary: PublicSummary,
}

/// The bias assessments of a public system: `Some` (perhaps empty) for a high-risk one.
///
/// # Errors
/// Store errors, or a stored summary that cannot be read.
pub async fn public_assessments(
    state: &AppState,
    public_id: &str,
    tier: &str,
) -> Result<Option<Vec<PublicAuditOut>>, AppError> {
    if tier != "high" {
        return Ok(None);
    }
    let published = state.app.published_audits(public_id).await?;
    let latest: Vec<&str> =
        mizan_app::audits::latest_per_standard(&published).iter().map(|p| p.audit.id.as_str()).collect();
    Ok(Some(published.iter().map(|p| public_out(p, latest.contains(&p.audit.id.as_str()))).collect()))
}

fn public_out(p: &PublishedAudit, latest_of_standard: bool) -> PublicAuditOut {
    let a = &p.audit;
    PublicAuditOut {
        id: a.id.clone(),
        version: a.version,
        run_by: a.role.as_str().into(),
        source: a.source.into(),
        file_sha256: a.file_sha256.clone(),
        from: a.window.as_ref().map(|w| w.0.clone()),
        to: a.window.as_ref().map(|w| w.1.clone()),
        created_at: a.created_at.clone(),
        latest_of_standard,
        summary: p.summary.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Pages

/// A readable name for a definition ID, in `lang`.
#[must_use]
pub fn metric_label(lang: Lang, id: &str) -> String {
    let key = format!("audit-metric-{}", id.replace(':', "-"));
    if lang.has(&key) { lang.t(&key) } else { id.to_owned() }
}

/// One verdict for display.
#[derive(Debug, Clone)]
pub struct VerdictView {
    /// Metric name in the page language.
    pub metric: String,
    /// Definition ID.
    pub id: String,
    /// `≤ 0.1` or `≥ 0.8`.
    pub threshold: String,
    /// `pass`, `fail` or `insufficient_data`.
    pub outcome: String,
}

/// One audit as the system pages list it.
#[derive(Debug, Clone)]
pub struct AuditRow {
    /// The audit's id.
    pub id: String,
    /// The version audited.
    pub version: i64,
    /// When.
    pub created_at: String,
    /// Who ran it.
    pub run_by: String,
    /// `provider` or `regulator`.
    pub role: String,
    /// What it was run on, in the page language.
    pub source: String,
    /// SHA-256 of an uploaded file.
    pub sha256: Option<String>,
    /// Decisions audited.
    pub rows: i64,
    /// The preset ("" for none).
    pub preset: String,
    /// Whether the decisions carried labels.
    pub labelled: bool,
    /// The preset's verdicts.
    pub verdicts: Vec<VerdictView>,
    /// Whether it follows its standard (and so is published once the version is registered).
    pub follows_standard: bool,
    /// Whether it is published or a private working document, and why, in the page language.
    pub publication: String,
}

/// Whether an audit with `summary` is published, or why it stays private, in `lang`.
fn publication(lang: Lang, summary: &PublicSummary) -> String {
    if summary.follows_standard() {
        return lang.t("audit-published");
    }
    let why = match summary.preset.as_deref().and_then(mizan_fairness::preset::find) {
        None => lang.t("audit-private-no-standard"),
        Some(p) => {
            let names: Vec<String> = p.attributes.iter().map(|a| attribute_label(lang, a)).collect();
            lang.t_args(
                "audit-private-attributes",
                &[("attributes", names.join(lang.t("list-separator").as_str()))],
            )
        }
    };
    lang.t_args("audit-private", &[("why", why)])
}

fn verdict_views(lang: Lang, s: &PublicSummary) -> Vec<VerdictView> {
    s.verdicts
        .iter()
        .map(|v| VerdictView {
            metric: metric_label(lang, &v.metric),
            id: v.metric.clone(),
            threshold: format!("{} {}", if v.bound == "at_least" { "≥" } else { "≤" }, v.threshold),
            outcome: v.outcome.clone(),
        })
        .collect()
}

fn window_text(lang: Lang, from: &str, to: &str) -> String {
    lang.t_args("audit-source-logged", &[("from", from.to_owned()), ("to", to.to_owned())])
}

/// The rows of a system page's audit list.
///
/// # Errors
/// A stored summary that cannot be read.
pub fn audit_rows(lang: Lang, audits: &[AuditInfo]) -> Result<Vec<AuditRow>, AppError> {
    audits
        .iter()
        .map(|a| {
            let summary = PublicSummary::parse(&a.summary_json)?;
            let (source, sha256) = match &a.source {
                AuditSource::Upload { file_name, sha256, .. } => {
                    (lang.t_args("audit-source-upload", &[("name", file_name.clone())]), Some(sha256.clone()))
                }
                AuditSource::Logged { from, to } => (window_text(lang, from, to), None),
            };
            Ok(AuditRow {
                id: a.id.clone(),
                version: a.version,
                created_at: a.created_at.clone(),
                run_by: a.run_by.clone(),
                role: a.role.as_str().into(),
                source,
                sha256,
                rows: a.rows,
                preset: a.preset.clone(),
                labelled: summary.labelled,
                verdicts: verdict_views(lang, &summary),
                follows_standard: summary.follows_standard(),
                publication: publication(lang, &summary),
            })
        })
        .collect()
}

/// The audit list of a system page, and where its reports are.
///
/// # Errors
/// Store errors.
pub async fn system_page_list(
    state: &AppState,
    lang: Lang,
    scope: AuditScope,
    id: &str,
) -> Result<(Vec<AuditRow>, String), AppError> {
    let base = match scope {
        AuditScope::Org(_) => format!("/app/systems/{id}/audits"),
        AuditScope::Regulator(_) => format!("/regulator/systems/{id}/audits"),
    };
    Ok((audit_rows(lang, &state.app.store().audits(scope, id).await?)?, base))
}

/// One bias assessment on the public register page.
#[derive(Debug, Clone)]
pub struct AssessmentView {
    /// When.
    pub created_at: String,
    /// The version audited.
    pub version: i64,
    /// `provider` or `regulator`.
    pub run_by: String,
    /// What it was run on, in the page language.
    pub source: String,
    /// The preset ("" for none).
    pub preset: String,
    /// Whether labels were present.
    pub labelled: bool,
    /// The sensitive attributes, in the page language, joined.
    pub sensitive: String,
    /// Whether any verdict fails.
    pub fails: bool,
    /// Verdicts.
    pub verdicts: Vec<VerdictView>,
    /// Groups shown: (label, rows).
    pub groups: Vec<(String, u64)>,
    /// Groups not shown.
    pub suppressed: u64,
}

/// The audits of one standard on the public page: the latest, which the system is judged by,
/// and every earlier one.
#[derive(Debug, Clone)]
pub struct StandardView {
    /// The standard's name in the page language.
    pub name: String,
    /// The latest audit.
    pub latest: AssessmentView,
    /// Earlier audits, newest first.
    pub earlier: Vec<AssessmentView>,
}

/// A sensitive attribute's name in `lang` (`age_band` → "age band").
#[must_use]
pub fn attribute_label(lang: Lang, name: &str) -> String {
    let key = format!("audit-attribute-{}", name.replace('_', "-"));
    if lang.has(&key) { lang.t(&key) } else { name.replace('_', " ") }
}

/// A standard's name in `lang`.
#[must_use]
pub fn standard_label(lang: Lang, preset: &str) -> String {
    let key = format!("audit-preset-{preset}");
    if lang.has(&key) { lang.t(&key) } else { preset.to_owned() }
}

/// The public page's view of the assessments: one entry per standard, in the order of each
/// standard's latest audit (newest first).
#[must_use]
pub fn standard_views(lang: Lang, audits: &[PublicAuditOut]) -> Vec<StandardView> {
    let views = assessment_views(lang, audits);
    let mut out: Vec<StandardView> = Vec::new();
    for v in views {
        match out.iter_mut().find(|s| s.latest.preset == v.preset) {
            Some(s) => s.earlier.push(v),
            None => {
                out.push(StandardView { name: standard_label(lang, &v.preset), latest: v, earlier: vec![] });
            }
        }
    }
    out
}

/// The public page's view of each assessment.
#[must_use]
pub fn assessment_views(lang: Lang, audits: &[PublicAuditOut]) -> Vec<AssessmentView> {
    audits
        .iter()
        .map(|a| AssessmentView {
            created_at: a.created_at.clone(),
            version: a.version,
            run_by: a.run_by.clone(),
            source: match (&a.from, &a.to) {
                (Some(f), Some(t)) => window_text(lang, f, t),
                _ => lang.t("audit-source-upload-public"),
            },
            preset: a.summary.preset.clone().unwrap_or_default(),
            labelled: a.summary.labelled,
            sensitive: a
                .summary
                .sensitive
                .iter()
                .map(|s| attribute_label(lang, s))
                .collect::<Vec<_>>()
                .join(" × "),
            fails: a.summary.fails(),
            verdicts: verdict_views(lang, &a.summary),
            groups: a
                .summary
                .groups
                .iter()
                .map(|g| {
                    let values = g.group.join(" × ");
                    let label = match &g.stratum {
                        Some(s) => format!("{s} · {values}"),
                        None => values,
                    };
                    (label, g.rows)
                })
                .collect(),
            suppressed: a.summary.suppressed_groups,
        })
        .collect()
}
