//! The stop control of a system's decision intake as pages show it: the public notice on the
//! register page ("Decision intake stopped on 3 May 2026 by the regulator: ..."), and on the
//! provider's and the regulator's pages the same notice with the stop form or the resume button.

use mizan_store::{IntakeStop, StoppedBy};

use crate::AppState;
use crate::error::AppError;
use crate::i18n::Lang;

/// The intake section of a provider's or the regulator's system page.
pub struct IntakeView {
    /// The public notice while the intake is stopped.
    pub notice: Option<String>,
    /// Who stopped it, by name (for the provider and the regulator only).
    pub stopped_by_person: Option<String>,
    /// Where the forms post.
    pub action: String,
    /// Whether to show the section at all: the system was registered, or its intake is stopped.
    pub shown: bool,
    /// Whether to show the stop form.
    pub can_stop: bool,
    /// Whether to show the resume button.
    pub can_resume: bool,
    /// The regulator stopped it and the viewer is the provider, who cannot resume it.
    pub regulator_only: bool,
    /// Why the last form was refused (a reason that is empty, too long or has controls).
    pub error: Option<String>,
}

/// The public sentence for a stop in force, in `lang`.
#[must_use]
pub fn notice(lang: Lang, stop: &IntakeStop) -> String {
    let by = match stop.by {
        StoppedBy::Provider => lang.t("intake-by-provider"),
        StoppedBy::Regulator => lang.t("intake-by-regulator"),
    };
    lang.t_args(
        "intake-stopped-notice",
        &[("date", lang.date_words(&stop.at)), ("by", by), ("reason", stop.reason.clone())],
    )
}

/// The public notice of system `id`, if its intake is stopped.
///
/// # Errors
/// Store errors.
pub async fn public_notice(state: &AppState, lang: Lang, id: &str) -> Result<Option<String>, AppError> {
    Ok(state.app.store().intake_stop(id).await?.map(|s| notice(lang, &s)))
}

/// Who is looking at the system page, and whether they hold `intake:stop`.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    /// The provider or the regulator.
    pub side: StoppedBy,
    /// Holds `intake:stop`.
    pub may_control: bool,
}

/// The intake section of system `id` (whose access the caller has checked) for `viewer`.
/// `registered` says whether the system was ever registered, `retired` whether it is retired.
///
/// # Errors
/// Store errors.
pub async fn control_view(
    state: &AppState,
    lang: Lang,
    id: &str,
    viewer: Viewer,
    (registered, retired): (bool, bool),
) -> Result<IntakeView, AppError> {
    let stop = state.app.store().intake_stop(id).await?;
    let action = match viewer.side {
        StoppedBy::Provider => format!("/app/systems/{id}/intake"),
        StoppedBy::Regulator => format!("/regulator/systems/{id}/intake"),
    };
    let lifts = |s: &IntakeStop| viewer.side == StoppedBy::Regulator || s.by == StoppedBy::Provider;
    Ok(IntakeView {
        notice: stop.as_ref().map(|s| notice(lang, s)),
        stopped_by_person: stop
            .as_ref()
            .map(|s| lang.t_args("intake-stopped-by-person", &[("name", s.actor_name.clone())])),
        action,
        shown: registered || stop.is_some(),
        can_stop: viewer.may_control && stop.is_none() && !retired,
        can_resume: viewer.may_control && stop.as_ref().is_some_and(lifts),
        regulator_only: stop.as_ref().is_some_and(|s| !lifts(s)),
        error: None,
    })
}
