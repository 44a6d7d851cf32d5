//! A notification, checked, and its one RFC 5322 form.
//!
//! [`Message::check`] is the whole validation, so the application can run it when a person
//! files (and refuse there) and the notifier runs it again before anything leaves. [`render`]
//! turns a checked message into a `lettre::Message`; its `formatted()` bytes are what SMTP
//! carries and what the outbox folder stores, so a demo's `.eml` files are exactly what a
//! server would have received.
//!
//! The form: `text/plain; charset=utf-8`, the body quoted-printable or base64 (whichever lettre
//! finds shorter; both are 7-bit, so no server needs 8BITMIME), the subject as RFC 2047 encoded
//! words when it is not ASCII, `Date`, a fresh `Message-ID` in the sender's domain,
//! `Content-Language`, `X-Mizan-Reference`, and `Auto-Submitted: auto-generated` (RFC 3834) so
//! that out-of-office replies do not answer it.

use std::time::SystemTime;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, SinglePart};

use crate::{Error, Recipient};

/// At most this many characters in a subject.
pub const MAX_SUBJECT_CHARS: usize = 250;
/// At most this many bytes in a body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// One notification to one person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Who it is for.
    pub to: Recipient,
    /// One line of text, in `lang`.
    pub subject: String,
    /// Plain text, UTF-8, in `lang`; lines end with `\n` or `\r\n` (sent as CRLF), and line
    /// breaks at the end are dropped.
    pub body: String,
    /// The language it is written in, a language tag: `en` or `ur`.
    pub lang: String,
    /// What it is about (a case reference): sent as `X-Mizan-Reference` and part of the file
    /// name in the outbox, so ASCII letters, digits, `.`, `_` and `-` only.
    pub reference: String,
}

impl Message {
    /// Checks everything but the recipient (which was checked when it was made): the subject is
    /// one line of at most [`MAX_SUBJECT_CHARS`], the body at most [`MAX_BODY_BYTES`], neither
    /// empty nor holding a control character other than the body's line breaks and tabs; the
    /// language is a language tag; the reference fits a header and a file name.
    ///
    /// # Errors
    /// The first problem, naming the field: [`Error::LineBreak`] (header injection),
    /// [`Error::ControlCharacter`], [`Error::Empty`], [`Error::TooLong`],
    /// [`Error::InvalidLanguage`], [`Error::InvalidReference`].
    pub fn check(&self) -> Result<(), Error> {
        check_reference(&self.reference)?;
        check_lang(&self.lang)?;
        check_text("subject", &self.subject, Line::One)?;
        let chars = self.subject.chars().count();
        if chars > MAX_SUBJECT_CHARS {
            return Err(Error::TooLong {
                field: "subject",
                len: chars,
                max: MAX_SUBJECT_CHARS,
                unit: "characters",
            });
        }
        check_text("body", &self.body, Line::Many)?;
        if self.body.len() > MAX_BODY_BYTES {
            let len = self.body.len();
            return Err(Error::TooLong { field: "body", len, max: MAX_BODY_BYTES, unit: "bytes" });
        }
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Line {
    One,
    Many,
}

fn check_text(field: &'static str, s: &str, line: Line) -> Result<(), Error> {
    if s.trim().is_empty() {
        return Err(Error::Empty { field });
    }
    for (i, c) in s.chars().enumerate() {
        let character = format!("U+{:04X}", u32::from(c));
        let position = i + 1;
        match (c, line) {
            ('\r' | '\n', Line::One) => return Err(Error::LineBreak { field, position, character }),
            ('\r' | '\n' | '\t', Line::Many) => {}
            _ if c.is_control() || mizan_register::is_forbidden(c) => {
                return Err(Error::ControlCharacter { field, position, character });
            }
            _ => {}
        }
    }
    Ok(())
}

fn check_reference(r: &str) -> Result<(), Error> {
    let ok = (1..=64).contains(&r.len())
        && !r.starts_with('.')
        && r.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok { Ok(()) } else { Err(Error::InvalidReference { value: r.to_owned() }) }
}

/// A BCP 47 shape, loosely: a 2 or 3 letter language, then subtags of 1 to 8 letters or digits.
fn check_lang(lang: &str) -> Result<(), Error> {
    let mut parts = lang.split('-');
    let primary = parts.next().unwrap_or_default();
    let ok = (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if ok { Ok(()) } else { Err(Error::InvalidLanguage { value: lang.to_owned() }) }
}

/// The body as it goes out: line breaks as `\n` (lettre sends them as CRLF) and no trailing
/// line break, since the message's last line always ends with one. The text decodes to the body
/// with CRLF line breaks and at most one line break at the end, however it was encoded.
fn wire_body(body: &str) -> String {
    body.replace("\r\n", "\n").replace('\r', "\n").trim_end_matches('\n').to_owned()
}

/// A fresh `Message-ID` in `domain`: 128 random bits in hex.
pub(crate) fn new_message_id(domain: &str) -> String {
    format!("<{:032x}@{domain}>", rand::random::<u128>())
}

/// The RFC 5322 message for `msg` to `to`, from `from`, dated `date`, with `message_id`.
/// `msg` must have passed [`Message::check`].
pub(crate) fn render(
    msg: &Message,
    to: &crate::EmailAddress,
    from: &Mailbox,
    date: SystemTime,
    message_id: &str,
) -> Result<lettre::Message, Error> {
    let to: lettre::Address =
        to.as_str().parse().map_err(|_| Error::InvalidEmail { value: to.as_str().to_owned() })?;
    let header = |name: &'static str, value: &str| {
        HeaderValue::new(HeaderName::new_from_ascii_str(name), value.to_owned())
    };
    lettre::Message::builder()
        .from(from.clone())
        .to(Mailbox::new(None, to))
        .subject(msg.subject.as_str())
        .date(date)
        .message_id(Some(message_id.to_owned()))
        .raw_header(header("Content-Language", &msg.lang))
        .raw_header(header("X-Mizan-Reference", &msg.reference))
        .raw_header(header("Auto-Submitted", "auto-generated"))
        .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(wire_body(&msg.body)))
        .map_err(|source| Error::Build { source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PhoneNumber;

    fn message() -> Message {
        Message {
            to: Recipient::Phone(PhoneNumber::parse("03001234567").unwrap()),
            subject: "Your appeal APL-2026-000123 was received".into(),
            body: "Line one\nLine two\twith a tab\r\nline three".into(),
            lang: "en".into(),
            reference: "APL-2026-000123".into(),
        }
    }

    fn check(change: impl FnOnce(&mut Message), expect: &str) {
        let mut m = message();
        change(&mut m);
        let got = m.check().map_err(|e| e.to_string());
        match got {
            Ok(()) => assert_eq!(expect, "ok", "{m:?} passed"),
            Err(e) => assert!(e.contains(expect), "{m:?}: {e}"),
        }
    }

    #[test]
    fn a_good_message_passes() {
        check(|_| {}, "ok");
        check(|m| m.lang = "ur".into(), "ok");
        check(|m| m.lang = "ur-PK".into(), "ok");
        check(|m| m.subject = "آپ کی اپیل موصول ہو گئی".into(), "ok");
        check(|m| m.reference = "a.b_c-9".into(), "ok");
    }

    #[test]
    fn header_injection_in_the_subject_is_refused() {
        check(
            |m| m.subject = "Hello\r\nBcc: victim@example.pk".into(),
            "holds a line break (U+000D) at character 6",
        );
        check(
            |m| m.subject = "Hello\nBcc: victim@example.pk".into(),
            "holds a line break (U+000A) at character 6",
        );
        check(|m| m.subject = "Hello\tthere".into(), "control character U+0009 at character 6");
        check(|m| m.subject = "\u{85}next line".into(), "control character U+0085 at character 1");
        check(|m| m.subject = "x".repeat(251), "subject is 251 characters long; at most 250");
        check(|m| m.subject = "   ".into(), "the subject is empty");
    }

    #[test]
    fn the_body_may_have_lines_but_no_other_controls() {
        check(|m| m.body = "ok\u{B}".into(), "the body holds the control character U+000B at character 3");
        check(|m| m.body = "\u{0}".into(), "U+0000");
        check(|m| m.body = "\n\n".into(), "the body is empty");
        check(|m| m.body = "ب".repeat(MAX_BODY_BYTES / 2 + 1), "body is 65538 bytes long; at most 65536");
    }

    #[test]
    fn reference_and_language_fit_headers_and_file_names() {
        for bad in ["", "../etc/passwd", ".hidden", "a b", "APL/1", "APL\r\nX: y", "اپیل", &"a".repeat(65)]
        {
            check(|m| m.reference = bad.into(), "may hold only ASCII letters");
        }
        for bad in ["", "english", "e", "ur_PK", "ur-", "ur-PK\r\n", "اردو"] {
            check(|m| m.lang = bad.into(), "is not a language tag");
        }
    }
}
