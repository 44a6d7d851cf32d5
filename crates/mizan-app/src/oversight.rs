//! Human oversight of a system in use: the stop control of its decision intake (EU AI Act
//! Art. 14(4)(e)).
//!
//! The provider (a role holding `intake:stop`) or the regulator stops a system's decision
//! intake with a public reason, and resumes it; while it is stopped, logging a decision for it
//! fails naming who stopped it, when and why. The store keeps the history and the state
//! ([`mizan_store::IntakeControl`]); here the reason is checked, the same way for the API and
//! the pages.

use mizan_store::{ActorRef, IntakeControl, IntakeStop};

use crate::{Error, Platform};

/// Most characters in a stop's reason.
pub const MAX_REASON: usize = 1000;

/// Checks a stop's public reason: 1 to [`MAX_REASON`] characters, not blank, no control
/// characters (it is shown in one line of the register page, in feeds and in problem details).
///
/// # Errors
/// [`Error::BadRequest`] naming the field `reason`.
pub fn check_reason(reason: &str) -> Result<(), Error> {
    if reason.trim().is_empty() {
        return Err(Error::bad("reason", "`reason` is required: say why, in words the public can read"));
    }
    let n = reason.chars().count();
    if n > MAX_REASON {
        return Err(Error::bad("reason", format!("`reason` is {n} characters; at most {MAX_REASON}")));
    }
    if let Some((i, c)) =
        reason.chars().enumerate().find(|&(_, c)| c.is_control() || mizan_register::is_forbidden(c))
    {
        return Err(Error::bad(
            "reason",
            format!(
                "`reason` holds the control character U+{:04X} at position {}; remove it",
                u32::from(c),
                i + 1
            ),
        ));
    }
    Ok(())
}

impl Platform {
    /// Stops the decision intake of system `id` with a public `reason`; takes effect for the
    /// next decision.
    ///
    /// # Errors
    /// [`Error::BadRequest`] for a bad reason; [`Error::NotFound`] for an unknown system (or
    /// another organisation's, for a provider); [`Error::Conflict`] when it is already stopped
    /// or retired.
    pub async fn stop_intake(
        &self,
        by: IntakeControl,
        id: &str,
        actor: &ActorRef,
        reason: &str,
    ) -> Result<IntakeStop, Error> {
        check_reason(reason)?;
        Ok(self.store().stop_intake(by, id, actor, reason).await?)
    }

    /// Resumes the stopped decision intake of system `id`.
    ///
    /// # Errors
    /// [`Error::NotFound`] as for [`Platform::stop_intake`]; [`Error::Conflict`] when it is not
    /// stopped, or a provider asks to lift the regulator's stop.
    pub async fn resume_intake(&self, by: IntakeControl, id: &str, actor: &ActorRef) -> Result<(), Error> {
        Ok(self.store().resume_intake(by, id, actor, "").await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_checked_naming_the_field() {
        let field_of = |r: &str| match check_reason(r) {
            Err(Error::BadRequest { field, detail }) => Some((field.unwrap_or_default(), detail)),
            _ => None,
        };
        assert!(check_reason("bias audit failed the national preset").is_ok());
        assert!(check_reason(&"x".repeat(MAX_REASON)).is_ok());
        for bad in ["", "   ", "two\nlines", "tab\there", "bell\u{7}", "c1\u{85}", "nonchar\u{FFFF}"] {
            let (field, _) = field_of(bad).unwrap_or_else(|| panic!("{bad:?} must be refused"));
            assert_eq!(field, "reason");
        }
        let (_, detail) = field_of(&"x".repeat(MAX_REASON + 1)).unwrap();
        assert!(detail.contains("1001 characters"), "{detail}");
        let (_, detail) = field_of("ab\u{B}").unwrap();
        assert!(detail.contains("U+000B") && detail.contains("position 3"), "{detail}");
    }
}
