//! The notifier end to end: the outbox folder, and a real SMTP server.
//!
//! Every e-mail is read back with `mail-parser` (Stalwart's parser, not ours), so a message we
//! encode wrongly fails here even if our own code would read it back happily. The SMTP tests
//! talk to aiosmtpd (`scripts/smtp-sink`, pinned), named by `MIZAN_TEST_SMTP_URL`, which writes
//! what it receives into the Maildir `MIZAN_TEST_SMTP_DIR`. Without them the SMTP tests say on
//! stderr that they were skipped; `MIZAN_TEST_REQUIRE_SMTP=1` (set by `scripts/test`, and so by
//! CI) makes that a failure. Failures that need no server (refused connection, a silent
//! server, time limits) always run, against sockets this test opens.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mail_parser::MessageParser;
use mizan_notify::{
    Config, EmailAddress, Error, HeldReason, Message, Notifier, Outcome, PhoneNumber, Recipient, Stage,
};

const FROM: &str = "Mizan Appeals <appeals@mizan.example>";

fn english(to: Recipient) -> Message {
    Message {
        to,
        subject: "Your appeal APL-2026-000123 was received — we will answer by 30 April".into(),
        body: "Dear applicant,\n\nWe received your appeal against decision DEC-77 on 15 April 2026. \
               A person at the provider must decide within 15 days; if they do not, it goes to the \
               regulator.\n\nTrailing space here \nand a tab\there.\n\nMizan\n"
            .into(),
        lang: "en".into(),
        reference: "APL-2026-000123".into(),
    }
}

fn urdu(to: Recipient) -> Message {
    Message {
        to,
        subject: "آپ کی اپیل APL-2026-000124 موصول ہو گئی ہے".into(),
        // A zero-width non-joiner (U+200C) and Urdu digits must survive too.
        body: "محترم درخواست گزار،\n\nہمیں فیصلے DEC-78 کے خلاف آپ کی اپیل ۱۵ اپریل ۲۰۲۶ کو موصول ہوئی۔ \
               فراہم کنندہ کا ایک شخص ۱۵ دن میں فیصلہ کرے گا؛ ورنہ معاملہ ریگولیٹر\u{200C} کے پاس جائے گا۔\n\nمیزان\n"
            .into(),
        lang: "ur".into(),
        reference: "APL-2026-000124".into(),
    }
}

fn email(s: &str) -> Recipient {
    Recipient::Email(EmailAddress::parse(s).unwrap())
}

fn config(outbox: &Path) -> Config {
    Config { from: FROM.into(), ..Config::new(outbox) }
}

/// Reads `raw` with mail-parser and checks it is `sent`, from `FROM`, in the form we promise:
/// 7-bit, CRLF lines of at most 78 characters, every header we set.
fn check_email(raw: &[u8], sent: &Message) {
    let text = std::str::from_utf8(raw).expect("the message is 7-bit ASCII, so UTF-8");
    assert!(raw.is_ascii(), "non-ASCII byte in the message: every part is encoded");
    for line in text.strip_suffix("\r\n").unwrap_or(text).split("\r\n") {
        assert!(!line.contains('\n') && !line.contains('\r'), "bare CR or LF in {line:?}");
        assert!(line.len() <= 78, "line over 78 characters: {line:?}");
    }
    let m = MessageParser::default().parse(raw).expect("mail-parser reads the message");
    assert_eq!(m.subject(), Some(sent.subject.as_str()));
    // The body comes back exactly, with CRLF line breaks, and at most one at the end (lettre
    // ends a 7-bit or quoted-printable body with CRLF, a base64 one without).
    let body = m.body_text(0).expect("a text body");
    let expected = sent.body.trim_end_matches('\n').replace('\n', "\r\n");
    assert_eq!(body.strip_suffix("\r\n").unwrap_or(&body), expected);
    assert_eq!(m.text_body_count(), 1);
    let from = m.from().and_then(|a| a.first()).expect("a From address");
    assert_eq!((from.name(), from.address()), (Some("Mizan Appeals"), Some("appeals@mizan.example")));
    let to = m.to().and_then(|a| a.first()).and_then(|a| a.address()).expect("a To address");
    assert_eq!(to, sent.to.to_string());
    let header = |name: &'static str| m.header_raw(name).unwrap_or_else(|| panic!("no {name} header")).trim();
    assert_eq!(header("Content-Language"), sent.lang);
    assert_eq!(header("X-Mizan-Reference"), sent.reference);
    assert_eq!(header("Auto-Submitted"), "auto-generated");
    assert_eq!(header("MIME-Version"), "1.0");
    assert!(header("Content-Type").starts_with("text/plain; charset=utf-8"), "{}", header("Content-Type"));
    let id = m.message_id().expect("a Message-ID");
    assert!(id.ends_with("@mizan.example") && id.len() == 32 + "@mizan.example".len(), "{id}");
    let date = m.date().expect("a Date").to_timestamp();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((now - 600..=now + 5).contains(&date), "Date {date} is not about now ({now})");
}

// ---- the outbox folder ----

#[tokio::test]
async fn without_smtp_emails_are_written_whole_to_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("data/outbox");
    let notifier = Notifier::new(config(&outbox)).unwrap();
    assert!(matches!(notifier, Notifier::Folder(_)));
    assert_eq!(notifier.describe(), format!("outbox folder {}", outbox.display()));
    assert!(!outbox.exists(), "nothing is created before the first message");

    let mut paths = Vec::new();
    for msg in [english(email("ayesha@example.pk")), urdu(email("bilal.khan+appeal@mail.example.pk"))] {
        let Outcome::Written(path) = notifier.send(&msg).await.unwrap() else { panic!("not written") };
        assert_eq!(path.parent(), Some(outbox.as_path()));
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(name.ends_with(".eml") && name.contains(&format!("Z-{}-", msg.reference)), "{name}");
        check_email(&std::fs::read(&path).unwrap(), &msg);
        paths.push(path);
    }
    let mut listed: Vec<PathBuf> = std::fs::read_dir(&outbox).unwrap().map(|e| e.unwrap().path()).collect();
    listed.sort();
    assert_eq!(listed, paths, "exactly the two messages, in the order they were written");
}

#[tokio::test]
async fn phone_numbers_are_held_in_the_outbox_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let notifier = Notifier::new(config(dir.path())).unwrap();
    let msg = urdu(Recipient::Phone(PhoneNumber::parse("0300 1234567").unwrap()));
    let Outcome::Held { reason, path } = notifier.send(&msg).await.unwrap() else { panic!("not held") };
    assert_eq!(reason, HeldReason::NoSmsGateway);
    assert_eq!(reason.to_string(), "no SMS gateway is configured; the text is kept for one");
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(name.contains("Z-APL-2026-000124-") && name.ends_with(".sms.txt"), "{name}");
    let text = std::fs::read_to_string(&path).unwrap();
    let (head, body) = text.split_once("\n\n").unwrap();
    assert!(
        head.starts_with("To: +923001234567\nLanguage: ur\nReference: APL-2026-000124\nDate: "),
        "{head}"
    );
    assert!(head.ends_with(&format!("\nSubject: {}", msg.subject)), "{head}");
    assert_eq!(body, format!("{}\n", msg.body), "the Urdu text survives byte for byte");
}

#[tokio::test]
async fn a_bad_message_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let notifier = Notifier::new(config(&outbox)).unwrap();
    let mut msg = english(email("ayesha@example.pk"));
    msg.subject = "Received\r\nBcc: everyone@example.pk".into();
    let e = notifier.send(&msg).await.unwrap_err();
    assert!(matches!(e, Error::LineBreak { field: "subject", position: 9, .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "the subject holds a line break (U+000D) at character 9; a subject is one line, remove the line break"
    );
    msg.subject = "ok".into();
    msg.reference = "../../etc/cron.d/x".into();
    assert!(matches!(notifier.send(&msg).await, Err(Error::InvalidReference { .. })));
    assert!(!outbox.exists(), "nothing was written");
}

#[test]
fn a_bad_configuration_fails_at_start() {
    let bad_from = Config { from: "Mizan <no-reply>".into(), ..Config::new("outbox") };
    let e = Notifier::new(bad_from).unwrap_err();
    assert!(e.to_string().starts_with("sender `Mizan <no-reply>` is not a mailbox such as"), "{e}");
    let bad_url =
        Config { smtp_url: Some("smtp://u:s3cret@mail.example.pk".into()), ..Config::new("outbox") };
    let e = Notifier::new(bad_url).unwrap_err().to_string();
    assert!(e.contains("unencrypted") && !e.contains("s3cret"), "{e}");
    // The default sender is usable, and a blank URL means the folder.
    let blank = Config { smtp_url: Some("  ".into()), ..Config::new("outbox") };
    assert!(matches!(Notifier::new(blank).unwrap(), Notifier::Folder(_)));
}

// ---- SMTP failures that need no server ----

fn smtp_config(url: &str, connect: Duration, send: Duration) -> Config {
    Config {
        smtp_url: Some(url.into()),
        connect_timeout: connect,
        send_timeout: send,
        ..config(Path::new("unused-outbox"))
    }
}

#[tokio::test]
async fn a_refused_connection_names_the_server_and_the_stage() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("smtp://127.0.0.1:{port}");
    let n = Notifier::new(smtp_config(&url, Duration::from_secs(5), Duration::from_secs(5))).unwrap();
    let e = n.send(&english(email("ayesha@example.pk"))).await.unwrap_err();
    assert!(matches!(e, Error::Smtp { stage: Stage::Connect, .. }), "{e:?}");
    let shown = e.to_string();
    assert!(shown.starts_with(&format!("SMTP server `127.0.0.1:{port}`: connecting failed: ")), "{shown}");
    assert!(!shown.contains("ayesha"), "no recipient in a delivery error: {shown}");
}

/// A socket that accepts connections (the kernel completes them) and never says a word.
fn silent_server() -> (std::net::TcpListener, String) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", l.local_addr().unwrap());
    (l, url)
}

#[tokio::test]
async fn a_silent_server_times_out_while_connecting() {
    let (_listener, url) = silent_server();
    let limit = Duration::from_millis(300);
    let n = Notifier::new(smtp_config(&url, limit, Duration::from_secs(30))).unwrap();
    let started = Instant::now();
    let e = n.send(&english(email("ayesha@example.pk"))).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    match &e {
        Error::SmtpTimeout { stage: Stage::Connect, after, .. } => assert_eq!(*after, limit),
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("connecting timed out after 0.3 s; check that the server is up"), "{e}");
}

#[tokio::test]
async fn the_whole_send_has_its_own_limit() {
    let (_listener, url) = silent_server();
    let limit = Duration::from_millis(300);
    let n = Notifier::new(smtp_config(&url, Duration::from_secs(30), limit)).unwrap();
    let e = n.send(&english(email("ayesha@example.pk"))).await.unwrap_err();
    assert!(matches!(e, Error::SmtpTimeout { stage: Stage::Connect, after, .. } if after == limit), "{e:?}");
}

// ---- a real SMTP server ----

/// The sink's URL and Maildir, or `None` (said on stderr) when they are not set.
fn sink() -> Option<(String, PathBuf)> {
    match (std::env::var("MIZAN_TEST_SMTP_URL"), std::env::var_os("MIZAN_TEST_SMTP_DIR")) {
        (Ok(url), Some(dir)) => Some((url, PathBuf::from(dir))),
        _ => {
            assert!(
                std::env::var_os("MIZAN_TEST_REQUIRE_SMTP").is_none(),
                "MIZAN_TEST_REQUIRE_SMTP is set but MIZAN_TEST_SMTP_URL or MIZAN_TEST_SMTP_DIR is not"
            );
            // Past the harness's capture (it takes only `print!` and `eprint!`), once.
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                use std::io::Write as _;
                let _ = writeln!(
                    std::io::stderr(),
                    "note: MIZAN_TEST_SMTP_URL and MIZAN_TEST_SMTP_DIR are not set, so the SMTP tests \
                     were skipped (scripts/test starts scripts/smtp-sink and sets them)"
                );
            });
            None
        }
    }
}

/// The message the sink stored with `Message-ID: message_id` (in `<...>`), waiting for it
/// only as long as the sink's write and rename can take: it has answered 250 already.
fn received(maildir: &Path, message_id: &str) -> Vec<u8> {
    let needle = format!("Message-ID: {message_id}\r\n");
    for _ in 0..50 {
        for entry in std::fs::read_dir(maildir.join("new")).unwrap() {
            let raw = std::fs::read(entry.unwrap().path()).unwrap();
            if raw.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes())) {
                return raw;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the sink has no message {message_id} in {}", maildir.display());
}

#[tokio::test]
async fn english_and_urdu_arrive_intact_over_smtp() {
    let Some((url, maildir)) = sink() else { return };
    let n = Notifier::new(smtp_config(&url, Duration::from_secs(5), Duration::from_secs(10))).unwrap();
    assert!(matches!(n, Notifier::Smtp(_)));
    let outbox = tempfile::tempdir().unwrap();
    let folder = Notifier::new(config(outbox.path())).unwrap();
    for msg in [english(email("ayesha@example.pk")), urdu(email("bilal@example.pk"))] {
        let Outcome::Sent { message_id } = n.send(&msg).await.unwrap() else { panic!("not sent") };
        let raw = received(&maildir, &message_id);
        let m = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(m.return_address(), Some("appeals@mizan.example"), "envelope sender");
        assert_eq!(m.header_raw("Delivered-To").map(str::trim), Some(msg.to.to_string().as_str()));
        // What came over DATA, after the sink's two trace lines, is our message...
        let mut lines = raw.splitn(3, |&b| b == b'\n');
        assert!(lines.next().unwrap().starts_with(b"Return-Path: "));
        assert!(lines.next().unwrap().starts_with(b"Delivered-To: "));
        let data = lines.next().unwrap();
        check_email(data, &msg);
        // ...and byte for byte what the outbox writes for it, but for its own Date and Message-ID.
        let Outcome::Written(eml) = folder.send(&msg).await.unwrap() else { panic!("not written") };
        assert_eq!(without_date_and_id(data), without_date_and_id(&std::fs::read(eml).unwrap()));
    }
}

fn without_date_and_id(raw: &[u8]) -> Vec<u8> {
    let keep = |line: &&[u8]| !line.starts_with(b"Date: ") && !line.starts_with(b"Message-ID: ");
    let lines: Vec<&[u8]> = raw.split(|&b| b == b'\n').filter(keep).collect();
    assert_eq!(lines.len() + 2, raw.split(|&b| b == b'\n').count(), "one Date and one Message-ID line");
    lines.join(&b'\n')
}

#[tokio::test]
async fn smtp_auth_and_starttls_failures_name_their_stage() {
    let Some((url, maildir)) = sink() else { return };
    let with_user = |user: &str| url.replacen("smtp://", &format!("smtp://{user}@"), 1);
    let send = async |url: &str| {
        let n = Notifier::new(smtp_config(url, Duration::from_secs(5), Duration::from_secs(10))).unwrap();
        n.send(&urdu(email("bilal@example.pk"))).await
    };
    // The sink accepts `mizan` / `mizan-sink` (loopback only, so a password without TLS is allowed).
    let Outcome::Sent { message_id } = send(&with_user("mizan:mizan-sink")).await.unwrap() else { panic!() };
    assert!(!received(&maildir, &message_id).is_empty());
    let e = send(&with_user("mizan:wrong")).await.unwrap_err();
    assert!(matches!(e, Error::Smtp { stage: Stage::Auth, .. }), "{e:?}");
    assert!(e.to_string().contains("authenticating failed") && e.to_string().contains("535"), "{e}");
    let e = send(&format!("{url}?tls=required")).await.unwrap_err();
    assert!(matches!(e, Error::Smtp { stage: Stage::StartTls, .. }), "{e:?}");
    assert!(
        e.to_string().contains("STARTTLS failed") && e.to_string().contains("STARTTLS is not supported"),
        "{e}"
    );
}
