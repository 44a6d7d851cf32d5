//! The one error type of the platform's operations.
//!
//! Every operation in this crate returns [`Error`]. It says what went wrong in terms of the
//! platform (not found, a bad field, a conflict with the current state, a refusal), never in
//! terms of a protocol: the server maps each variant to a status and a localized page or an
//! RFC 9457 problem, and the command line to a message and an exit code.

use mizan_register::FieldError;
use mizan_store::StoreError;

/// Everything a platform operation can fail with.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// No such thing (or not visible to the caller, which looks the same).
    #[error("{0} not found")]
    NotFound(String),
    /// Refused whatever the caller's permissions (a reviewer of their own organisation's system).
    #[error("{0}")]
    Refused(String),
    /// Field validation of a record failed.
    #[error("the record has {} invalid field(s)", .0.len())]
    Invalid(Vec<FieldError>),
    /// A malformed input, naming the field or parameter at fault.
    #[error("{detail}")]
    BadRequest {
        /// The field or parameter at fault, e.g. `decisions[3].decided_at`.
        field: Option<String>,
        /// What is wrong, in English.
        detail: String,
    },
    /// An input over its limit (a document larger than accepted), naming the field.
    #[error("{detail}")]
    TooLarge {
        /// The field at fault.
        field: String,
        /// The size and the limit, in English.
        detail: String,
    },
    /// An audit's parameters or input were refused; the message has a translation key.
    #[error("{0}")]
    Audit(crate::audits::InputError),
    /// The input conflicts with the current state (a key reused with another body, ...).
    #[error("{0}")]
    Conflict(String),
    /// A questionnaire is incomplete or has an invalid answer.
    #[error("{detail}")]
    Questionnaire {
        /// The field at fault: `risk_answers.<question>` or `impact_answers.<question>`.
        question: String,
        /// What is wrong, in English.
        detail: String,
    },
    /// Too much heavy work is running; the caller may try again later.
    #[error("{0}")]
    Busy(String),
    /// A service the operation needs (the compute grid's Slurm tools) failed or cannot be
    /// reached; its own message says why.
    #[error("{0}")]
    Unavailable(String),
    /// Something broke on our side; the detail is for the log, not for the user.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// A bad input at `field`.
    pub fn bad(field: impl Into<String>, detail: impl Into<String>) -> Error {
        Error::BadRequest { field: Some(field.into()), detail: detail.into() }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, id } => Error::NotFound(format!("{what} `{id}`")),
            StoreError::Conflict(msg) => Error::Conflict(msg),
            StoreError::Refused(msg) => Error::Refused(msg),
            StoreError::Invalid(errors) => Error::Invalid(errors),
            StoreError::Transition(t) => Error::Conflict(t.to_string()),
            StoreError::Questionnaire(e) => Error::from(e),
            other => Error::Internal(other.to_string()),
        }
    }
}

impl From<mizan_rules::RulesError> for Error {
    fn from(e: mizan_rules::RulesError) -> Self {
        use mizan_rules::RulesError as R;
        match &e {
            R::MissingAnswer { question, .. }
            | R::InvalidAnswer { question, .. }
            | R::UnknownQuestion { question, .. } => {
                // Name the questionnaire in the field so a form or client knows where to go.
                let impact = mizan_rules::impact::Questionnaire::embedded()
                    .is_ok_and(|q| q.risk.iter().chain(&q.mitigation).any(|x| &x.id == question));
                let prefix = if impact { "impact_answers" } else { "risk_answers" };
                Error::Questionnaire { question: format!("{prefix}.{question}"), detail: e.to_string() }
            }
            // Answers that contradict each other: the first question named is where to go.
            R::Contradiction { questions, .. } => Error::Questionnaire {
                question: format!("risk_answers.{}", questions.first().map_or("", String::as_str)),
                detail: e.to_string(),
            },
            R::BadRuleset { .. } => Error::Internal(e.to_string()),
        }
    }
}

impl From<crate::audits::InputError> for Error {
    fn from(e: crate::audits::InputError) -> Self {
        Error::Audit(e)
    }
}
