//! Telling people: the sending side of Mizan's notifications, knowing nothing of appeals, HTTP
//! or SQL.
//!
//! A person who appeals an automated decision may leave an e-mail address or a mobile number;
//! the application writes a [`Message`] (subject and body in the language they filed in, the
//! case reference) for the acknowledgement, each decision and each escalation, and hands it to
//! a [`Notifier`], which answers with an [`Outcome`] or an [`Error`]:
//!
//! - an e-mail address, with an SMTP URL configured: sent over SMTP ([`Outcome::Sent`]);
//! - an e-mail address, without one: written as an `.eml` file into the outbox folder
//!   ([`Outcome::Written`]), so a demo shows what would have been sent;
//! - a mobile number: Mizan has no SMS gateway yet, so the text is written into the outbox as a
//!   `.sms.txt` file and reported as [`Outcome::Held`]; never dropped, never an error.
//!
//! `Notifier` is an enum, not a trait object: the ways out are a closed set this crate owns,
//! an enum keeps [`Notifier::send`] a plain `async fn` (no boxed futures, no `async_trait`),
//! and tests need no stand-in, since they run the real folder and a real SMTP server.
//!
//! The bytes are the same either way: `message.rs` builds one `lettre::Message` and its
//! `formatted()` bytes are both what SMTP carries and what the `.eml` file holds. Nothing in
//! this crate reads the environment or the clock for anything but a message's `Date`, its
//! `Message-ID` and file names.
#![warn(missing_docs)]

mod address;
mod error;
mod message;
mod outbox;
mod smtp;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use lettre::message::Mailbox;

pub use address::{EmailAddress, PhoneNumber, Recipient};
pub use error::{Error, Stage};
pub use message::{MAX_BODY_BYTES, MAX_SUBJECT_CHARS, Message};
pub use outbox::Outbox;
pub use smtp::{Security, SmtpUrl};

/// The sender when none is configured (`--smtp-from`).
pub const DEFAULT_FROM: &str = "Mizan <no-reply@localhost>";
/// How long connecting to the SMTP server (TCP, TLS, greeting, EHLO) may take by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one whole SMTP delivery may take by default.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(60);

/// How to send: the server (if any), the sender, the outbox folder and the time limits.
#[derive(Clone, Debug)]
pub struct Config {
    /// `--smtp-url` (see [`SmtpUrl`]); `None` writes e-mails to the outbox folder.
    pub smtp_url: Option<String>,
    /// `--smtp-from`: the `From` mailbox, `Name <address>` or a bare address.
    pub from: String,
    /// The outbox folder (in the data directory): e-mails without SMTP, and every text message.
    pub outbox: PathBuf,
    /// The limit on connecting to the SMTP server.
    pub connect_timeout: Duration,
    /// The limit on one whole SMTP delivery, connecting included.
    pub send_timeout: Duration,
}

impl Config {
    /// No SMTP server, the default sender and time limits, and `outbox` as the folder.
    #[must_use]
    pub fn new(outbox: impl Into<PathBuf>) -> Self {
        Self {
            smtp_url: None,
            from: DEFAULT_FROM.to_owned(),
            outbox: outbox.into(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            send_timeout: DEFAULT_SEND_TIMEOUT,
        }
    }
}

/// What happened to a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The SMTP server accepted the e-mail.
    Sent {
        /// Its `Message-ID` header, angle brackets included.
        message_id: String,
    },
    /// No SMTP server is configured: the e-mail was written, whole, to this `.eml` file.
    Written(PathBuf),
    /// Not sent, and kept in this file until it can be.
    Held {
        /// Why it was not sent.
        reason: HeldReason,
        /// Where it is kept.
        path: PathBuf,
    },
}

/// Why a message was held rather than sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeldReason {
    /// The recipient is a phone number and Mizan has no SMS gateway yet.
    NoSmsGateway,
}

impl fmt::Display for HeldReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeldReason::NoSmsGateway => f.write_str("no SMS gateway is configured; the text is kept for one"),
        }
    }
}

/// Sends notifications: e-mail over SMTP or into the outbox folder, text messages into the
/// outbox. Cheap to clone; one per process.
#[derive(Clone, Debug)]
pub enum Notifier {
    /// E-mail over SMTP; text messages held in the outbox.
    Smtp(SmtpNotifier),
    /// E-mail and text messages written to the outbox folder.
    Folder(FolderNotifier),
}

/// E-mail over SMTP (see [`Notifier::Smtp`]).
#[derive(Clone, Debug)]
pub struct SmtpNotifier {
    relay: Arc<smtp::Relay>,
    from: Mailbox,
    outbox: Outbox,
}

/// Everything to a folder (see [`Notifier::Folder`]).
#[derive(Clone, Debug)]
pub struct FolderNotifier {
    from: Mailbox,
    outbox: Outbox,
}

impl Notifier {
    /// SMTP when `config.smtp_url` is set, else the outbox folder. Checks the URL, the sender
    /// and the TLS settings now, so a bad configuration fails at start, not at the first
    /// appeal. Connects to nothing and creates no folder yet.
    ///
    /// # Errors
    /// [`Error::SmtpUrl`], [`Error::InvalidFrom`], [`Error::Tls`].
    pub fn new(config: Config) -> Result<Self, Error> {
        let from = parse_from(&config.from)?;
        let outbox = Outbox::new(config.outbox);
        match config.smtp_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => {
                let url = SmtpUrl::parse(url)?;
                let relay = smtp::Relay::new(url, config.connect_timeout, config.send_timeout)?;
                Ok(Notifier::Smtp(SmtpNotifier { relay: Arc::new(relay), from, outbox }))
            }
            None => Ok(Notifier::Folder(FolderNotifier { from, outbox })),
        }
    }

    /// Where messages go, for a line in the log at start: `SMTP server
    /// smtps://user:***@host:465` or `outbox folder ./mizan-data/outbox`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Notifier::Smtp(s) => {
                format!("SMTP server {} (text messages held in {})", s.relay.url(), s.outbox.dir().display())
            }
            Notifier::Folder(f) => format!("outbox folder {}", f.outbox.dir().display()),
        }
    }

    /// The outbox folder.
    #[must_use]
    pub fn outbox(&self) -> &Outbox {
        match self {
            Notifier::Smtp(s) => &s.outbox,
            Notifier::Folder(f) => &f.outbox,
        }
    }

    fn from(&self) -> &Mailbox {
        match self {
            Notifier::Smtp(s) => &s.from,
            Notifier::Folder(f) => &f.from,
        }
    }

    /// Checks `msg` ([`Message::check`]) and sends it: see the crate documentation for where
    /// each kind of recipient goes.
    ///
    /// # Errors
    /// A validation error naming the field, [`Error::Smtp`] or [`Error::SmtpTimeout`] naming
    /// the server and the stage, or [`Error::Outbox`] naming the file. Nothing was sent or
    /// written when it fails (except that an SMTP server which accepted the message and then
    /// failed to answer in time may still deliver it).
    pub async fn send(&self, msg: &Message) -> Result<Outcome, Error> {
        msg.check()?;
        let now = SystemTime::now();
        match &msg.to {
            Recipient::Phone(number) => {
                let text = sms_text(msg, number, now);
                let path = self.write(now, &msg.reference, "sms.txt", text.into_bytes()).await?;
                tracing::info!(reference = %msg.reference, path = %path.display(), "text message held: no SMS gateway");
                Ok(Outcome::Held { reason: HeldReason::NoSmsGateway, path })
            }
            Recipient::Email(address) => {
                let from = self.from();
                let message_id = message::new_message_id(from.email.domain());
                let email = message::render(msg, address, from, now, &message_id)?;
                match self {
                    Notifier::Smtp(s) => {
                        s.relay.send(&email).await?;
                        tracing::info!(reference = %msg.reference, %message_id, "e-mail sent");
                        Ok(Outcome::Sent { message_id })
                    }
                    Notifier::Folder(_) => {
                        let path = self.write(now, &msg.reference, "eml", email.formatted()).await?;
                        tracing::info!(reference = %msg.reference, path = %path.display(), "e-mail written to the outbox");
                        Ok(Outcome::Written(path))
                    }
                }
            }
        }
    }

    /// Writes one outbox file off the async workers (it fsyncs).
    async fn write(
        &self,
        now: SystemTime,
        reference: &str,
        ext: &'static str,
        bytes: Vec<u8>,
    ) -> Result<PathBuf, Error> {
        let outbox = self.outbox().clone();
        let reference = reference.to_owned();
        let dir = outbox.dir().to_owned();
        tokio::task::spawn_blocking(move || outbox.write(now, &reference, ext, &bytes))
            .await
            .map_err(|e| Error::Outbox { path: dir, source: std::io::Error::other(e.to_string()) })?
    }
}

fn parse_from(from: &str) -> Result<Mailbox, Error> {
    let from = from.trim();
    from.parse::<Mailbox>().map_err(|e| Error::InvalidFrom { value: from.to_owned(), reason: e.to_string() })
}

/// A held text message: `Key: value` lines, a blank line, then the text.
fn sms_text(msg: &Message, to: &PhoneNumber, now: SystemTime) -> String {
    let date = time::OffsetDateTime::from(now)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    format!(
        "To: {to}\nLanguage: {}\nReference: {}\nDate: {date}\nSubject: {}\n\n{}\n",
        msg.lang, msg.reference, msg.subject, msg.body
    )
}
