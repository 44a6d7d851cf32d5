//! The one error type of the notifier: what was wrong with a message or the configuration, or
//! which step of a delivery failed and where.
//!
//! Validation errors name the field and, for an address, the value (the person typed it and
//! is shown it back). Delivery errors name the server or folder and the stage, never the
//! recipient or the text, so they can be logged without copying personal data into the log.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// What can go wrong when checking or delivering a notification.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Not an e-mail address by the WHATWG HTML rules (`mizan_register::is_email`).
    #[error("`{value}` is not an e-mail address; write it as `name@example.pk`")]
    InvalidEmail {
        /// What was given.
        value: String,
    },
    /// Not a mobile phone number Mizan can keep for an SMS gateway.
    #[error("`{value}` is not a mobile number: {reason}; write it as `+923001234567` or `03001234567`")]
    InvalidPhone {
        /// What was given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A line break in a one-line field, which would start a new header (header injection).
    #[error(
        "the {field} holds a line break ({character}) at character {position}; a {field} is one line, \
         remove the line break"
    )]
    LineBreak {
        /// The field: `subject`.
        field: &'static str,
        /// Position of the character, from 1.
        position: usize,
        /// The code point, as `U+000A`.
        character: String,
    },
    /// A control character no message may carry (see `mizan_register::forbidden_char`).
    #[error("the {field} holds the control character {character} at character {position}; remove it")]
    ControlCharacter {
        /// The field: `subject` or `body`.
        field: &'static str,
        /// Position of the character, from 1.
        position: usize,
        /// The code point, as `U+000B`.
        character: String,
    },
    /// A field that must say something is empty (or only white space).
    #[error("the {field} is empty; a notification must have a {field}")]
    Empty {
        /// The field.
        field: &'static str,
    },
    /// A field is longer than its limit.
    #[error("the {field} is {len} {unit} long; at most {max} are allowed")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
        /// `characters` or `bytes`.
        unit: &'static str,
    },
    /// The reference goes into a header and a file name, so its alphabet is small.
    #[error(
        "reference `{value}` may hold only ASCII letters, digits, `.`, `_` and `-` (1 to 64 of them, \
         not starting with `.`)"
    )]
    InvalidReference {
        /// What was given.
        value: String,
    },
    /// Not a language tag.
    #[error("language `{value}` is not a language tag such as `en` or `ur`")]
    InvalidLanguage {
        /// What was given.
        value: String,
    },
    /// The configured sender is not a mailbox.
    #[error("sender `{value}` is not a mailbox such as `Mizan <no-reply@example.pk>`: {reason}")]
    InvalidFrom {
        /// What was given.
        value: String,
        /// What the parser said.
        reason: String,
    },
    /// The SMTP URL cannot be used.
    #[error("SMTP URL `{url}`: {reason}")]
    SmtpUrl {
        /// The URL, with any password replaced by `***`.
        url: String,
        /// What is wrong, with the fix.
        reason: String,
    },
    /// The TLS settings for the SMTP server could not be built.
    #[error("SMTP server `{server}`: cannot set up TLS: {source}")]
    Tls {
        /// `host:port`.
        server: String,
        /// What lettre said.
        source: lettre::transport::smtp::Error,
    },
    /// A stage of an SMTP delivery failed (the server refused, or the connection broke).
    #[error("SMTP server `{server}`: {stage} failed: {source}")]
    Smtp {
        /// `host:port`.
        server: String,
        /// Where it failed.
        stage: Stage,
        /// What lettre said (an SMTP reply carries its code).
        source: lettre::transport::smtp::Error,
    },
    /// A stage of an SMTP delivery took too long.
    #[error("SMTP server `{server}`: {stage} timed out after {}; check that the server is up and the port is right", secs(*.after))]
    SmtpTimeout {
        /// `host:port`.
        server: String,
        /// The stage that was running when time ran out.
        stage: Stage,
        /// The limit that ran out (the connect timeout, or the whole send's).
        after: Duration,
    },
    /// Writing into the outbox folder failed.
    #[error("cannot write to the outbox `{}`: {source}", .path.display())]
    Outbox {
        /// The folder or file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// lettre refused to build the message (checked input should never get here).
    #[error("cannot build the message: {source}")]
    Build {
        /// What lettre said.
        source: lettre::error::Error,
    },
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// The steps of an SMTP delivery, named in errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// TCP connection, implicit TLS (`smtps://`), the server's greeting and EHLO.
    Connect,
    /// Upgrading the connection with STARTTLS.
    StartTls,
    /// AUTH with the URL's user name and password.
    Auth,
    /// MAIL FROM, RCPT TO and DATA: handing over the message.
    Send,
}

impl Stage {
    pub(crate) fn from_u8(n: u8) -> Self {
        match n {
            0 => Stage::Connect,
            1 => Stage::StartTls,
            2 => Stage::Auth,
            _ => Stage::Send,
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Connect => "connecting",
            Stage::StartTls => "STARTTLS",
            Stage::Auth => "authenticating",
            Stage::Send => "sending the message",
        })
    }
}
