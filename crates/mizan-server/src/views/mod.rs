//! Classification and impact assessment as pages show them, shared by the provider's, the
//! regulator's, the ethics board's and the public pages of a system: the computed tier with
//! the clause that decided it and any override, and the impact level with its score; and
//! (`audits`) the bias assessments listed on those pages; (`intake`) the stop control of a
//! system's decision intake; (`appeals`) appeal figures; (`datasets`) the data repository's
//! words for sizes, shares and personal-data kinds.

pub mod appeals;
pub mod audits;
pub mod datasets;
pub mod intake;

use mizan_rules::Ruleset;
use serde::Deserialize;

use crate::AppState;
use crate::error::AppError;
use crate::i18n::Lang;

/// A classification ready for a page, from a stored or freshly computed result.
pub struct ClassView {
    /// Tier code.
    pub tier: String,
    /// Clause that decided the tier.
    pub tier_cite: String,
    /// Operator role.
    pub role: String,
    /// The obligations it brings.
    pub obligations: Vec<ObligationRow>,
    /// Whether the obligations carry the provider's recorded status (a stored classification).
    pub with_status: bool,
    /// How many obligations are done or do not apply, as a sentence; empty without statuses.
    pub progress: String,
    /// (question text in the page language, answer in the page language, citation).
    pub path: Vec<(String, String, String)>,
    /// `id version sha256`.
    pub ruleset: String,
    /// A regulator's override: (tier code, reason, when).
    pub overridden: Option<(String, String, String)>,
}

/// One obligation of a classification, as pages show it.
pub struct ObligationRow {
    /// Obligation id.
    pub id: String,
    /// What to do, in the page language.
    pub text: String,
    /// The clause.
    pub cite: String,
    /// NIST AI RMF subcategories.
    pub nist: String,
    /// ISO/IEC 42001 controls.
    pub iso: String,
    /// `not_started`, `in_progress`, `done` or `not_applicable` (with statuses only).
    pub status: String,
    /// The provider's public evidence link ("" if none).
    pub evidence_url: String,
}

/// An impact assessment ready for a page: score, thresholds and level together.
pub struct ImpactView {
    /// Level `I`-`IV`.
    pub level: String,
    /// Raw risk points and maximum.
    pub raw: String,
    /// Mitigation points and maximum.
    pub mitigation: String,
    /// Whether the mitigation reduction applied.
    pub reduced: bool,
    /// The score the level is read from, with its share of the maximum.
    pub score: String,
    /// The band edges.
    pub thresholds: String,
    /// What the level requires, as translated lines.
    pub requirements: Vec<String>,
}

/// The classification and impact views of one submitted version, with any tier override.
/// `scope` limits the lookup to the caller's organisation (providers); `None` is for the
/// regulator and for registered versions on the public register.
///
/// # Errors
/// Store errors.
pub async fn stored_views(
    state: &AppState,
    lang: Lang,
    scope: Option<mizan_store::OrgScope>,
    public_id: &str,
    version: i64,
) -> Result<(Option<ClassView>, Option<ImpactView>), AppError> {
    if version == 0 {
        return Ok((None, None));
    }
    let Some(stored) = state.app.store().classification(scope, public_id, version).await? else {
        return Ok((None, None));
    };
    let impact = ImpactView::from_json(lang, &stored.impact);
    let overridden = state.app.store().tier_override(public_id, version).await?;
    let result =
        mizan_app::obligations::with_override(&stored.result, overridden.as_ref().map(|o| o.tier.as_str()));
    let mut class = ClassView::from_json(lang, &result)?;
    let statuses = state.app.version_obligations(public_id, version, false).await?;
    for row in &mut class.obligations {
        if let Some(o) = statuses.iter().find(|o| o.id == row.id) {
            row.status.clone_from(&o.status);
            row.evidence_url = public_link(&o.evidence_url);
        }
    }
    if !class.obligations.is_empty() {
        let settled =
            class.obligations.iter().filter(|o| o.status == "done" || o.status == "not_applicable").count();
        class.with_status = true;
        class.progress = lang.t_args(
            "class-obligations-progress",
            &[("done", settled.to_string()), ("total", class.obligations.len().to_string())],
        );
    }
    class.overridden = overridden.map(|o| (o.tier, o.reason, o.at));
    Ok((Some(class), impact))
}

impl ClassView {
    /// Builds the view from a classification as JSON (stored or fresh).
    ///
    /// # Errors
    /// [`AppError::Internal`] if the JSON is not a classification.
    pub fn from_json(lang: Lang, value: &serde_json::Value) -> Result<ClassView, AppError> {
        let r: StoredResult = serde_json::from_value(value.clone())
            .map_err(|e| AppError::Internal(format!("stored classification: {e}")))?;
        let rs = Ruleset::embedded().ok();
        let crosswalk = mizan_rules::crosswalk::Crosswalk::embedded().ok();
        let mapped = |id: &str| {
            crosswalk
                .and_then(|c| c.for_obligation(id))
                .map_or((String::new(), String::new()), |m| (m.nist.join(", "), m.iso.join(", ")))
        };
        let question_text = |id: &str| {
            rs.and_then(|rs| rs.questions.iter().find(|q| q.id == id)).map_or_else(
                || id.to_owned(),
                |q| if lang == Lang::Ur { q.text.ur.clone() } else { q.text.en.clone() },
            )
        };
        Ok(ClassView {
            tier: r.tier,
            tier_cite: r.tier_cite,
            role: r.role,
            obligations: r
                .obligations
                .into_iter()
                .map(|o| {
                    let (nist, iso) = mapped(&o.id);
                    ObligationRow {
                        text: lang.pick(&o.text),
                        id: o.id,
                        cite: o.cite,
                        nist,
                        iso,
                        status: "not_started".into(),
                        evidence_url: String::new(),
                    }
                })
                .collect(),
            with_status: false,
            progress: String::new(),
            path: r
                .path
                .into_iter()
                .map(|s| {
                    let words = rs
                        .and_then(|rs| rs.answer_label(&s.answer))
                        .map_or_else(|| s.answer.clone(), |l| lang.pick(l));
                    (question_text(&s.question), words, s.cite)
                })
                .collect(),
            ruleset: format!("{} {} sha256:{}", r.ruleset.id, r.ruleset.version, r.ruleset.sha256),
            overridden: None,
        })
    }
}

/// `url` if it is a web link a reader can follow (`https://` or `http://`), else "".
fn public_link(url: &str) -> String {
    if url.starts_with("https://") || url.starts_with("http://") { url.to_owned() } else { String::new() }
}

impl ImpactView {
    /// Builds the view from an assessment as JSON; `None` when there is none.
    #[must_use]
    pub fn from_json(lang: Lang, value: &serde_json::Value) -> Option<ImpactView> {
        let a: mizan_rules::impact::Assessment = serde_json::from_value(value.clone()).ok()?;
        let yes_no = |b: bool| lang.t(if b { "impact-yes" } else { "impact-no" });
        let l = &a.level;
        Some(ImpactView {
            level: l.level.clone(),
            raw: format!("{} / {}", a.raw_score, a.raw_max),
            mitigation: format!("{} / {}", a.mitigation_score, a.mitigation_max),
            reduced: a.reduced,
            score: format!("{:.2} ({:.0}%)", a.score, a.share * 100.0),
            thresholds: a
                .thresholds
                .iter()
                .map(|t| format!("{:.0}%", t * 100.0))
                .collect::<Vec<_>>()
                .join(" / "),
            requirements: vec![
                format!("{}: {}", lang.t("impact-notice"), yes_no(l.notice)),
                format!("{}: {}", lang.t("impact-explanation"), yes_no(l.plain_language_explanation)),
                format!("{}: {}", lang.t("impact-peer-review"), yes_no(l.peer_review)),
                format!("{}: {}", lang.t("impact-human-decision"), yes_no(l.human_final_decision)),
                format!("{}: {}", lang.t("impact-reviewers"), l.independent_reviewers),
                format!(
                    "{}: {}",
                    lang.t("impact-authority"),
                    if lang == Lang::Ur { &l.approval_authority.ur } else { &l.approval_authority.en }
                ),
            ],
        })
    }
}

#[derive(Deserialize)]
struct StoredResult {
    tier: String,
    tier_cite: String,
    role: String,
    obligations: Vec<StoredObligation>,
    path: Vec<StoredStep>,
    ruleset: StoredStamp,
}

#[derive(Deserialize)]
struct StoredObligation {
    id: String,
    cite: String,
    text: mizan_rules::Bilingual,
}

#[derive(Deserialize)]
struct StoredStep {
    question: String,
    answer: String,
    cite: String,
}

#[derive(Deserialize)]
struct StoredStamp {
    id: String,
    version: String,
    sha256: String,
}
