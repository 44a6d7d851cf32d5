//! Sending over SMTP: the URL that configures it, and one delivery in named stages under two
//! timeouts.
//!
//! The URL scheme (`--smtp-url`):
//!
//! | URL | connection | default port |
//! |---|---|---|
//! | `smtp://host[:port]` | plain SMTP, no TLS (a relay on this machine or a private network) | 25 |
//! | `smtp://host[:port]?tls=required` | STARTTLS, and fail if the server does not offer it | 587 |
//! | `smtp://host[:port]?tls=opportunistic` | STARTTLS if the server offers it, else plain | 587 |
//! | `smtps://host[:port]` | TLS from the first byte (RFC 8314 "implicit TLS") | 465 |
//!
//! `user:password@` before the host (percent-encoded) logs in with AUTH PLAIN or LOGIN. A
//! password is refused on a connection that may be plain (`smtp://` without `tls=required`)
//! unless the host is a loopback address, so it never crosses a network in clear. TLS is
//! rustls; servers are checked against the operating system's trust store. No other query
//! parameter and no path are accepted, so a typo is an error rather than a silent default.
//!
//! One delivery is one connection: connect (TCP, implicit TLS, greeting, EHLO) within the
//! connect timeout, then STARTTLS, AUTH, MAIL/RCPT/DATA, all within the send timeout, then
//! QUIT. Once the server has accepted the message (250 after DATA), a failing QUIT no longer
//! matters: the message is the server's. A connection is not reused: notifications come a few
//! a minute, and a fresh connection cannot be a stale one.

use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;

use crate::{Error, Stage};

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// No TLS (`smtp://`).
    None,
    /// STARTTLS when offered (`smtp://...?tls=opportunistic`).
    Opportunistic,
    /// STARTTLS, or fail (`smtp://...?tls=required`).
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Implicit,
}

/// A parsed `--smtp-url`: where the server is, how to reach it, and who to log in as.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    host: String,
    port: u16,
    security: Security,
    user: Option<String>,
    password: Option<String>,
}

impl SmtpUrl {
    /// Reads a URL in the scheme above.
    ///
    /// # Errors
    /// [`Error::SmtpUrl`] saying what is wrong and what to write instead (the password is
    /// never shown).
    pub fn parse(url: &str) -> Result<Self, Error> {
        let parsed = url::Url::parse(url.trim());
        let shown = parsed.as_ref().map_or_else(|_| redact_unparsed(url), redact);
        let bad = |reason: String| Error::SmtpUrl { url: shown.clone(), reason };
        let parsed = parsed.map_err(|e| bad(format!("{e}; write it as `smtp://host:port`")))?;
        let mut tls = None;
        for (key, value) in parsed.query_pairs() {
            match (&*key, tls) {
                ("tls", None) => tls = Some(value.into_owned()),
                ("tls", Some(_)) => return Err(bad("`tls` is given twice".into())),
                (other, _) => {
                    return Err(bad(format!("unknown parameter `{other}`; the only parameter is `tls`")));
                }
            }
        }
        let (security, default_port) = match (parsed.scheme(), tls.as_deref()) {
            ("smtp", None | Some("none")) => (Security::None, 25),
            ("smtp", Some("opportunistic")) => (Security::Opportunistic, 587),
            ("smtp", Some("required")) => (Security::StartTls, 587),
            ("smtp", Some(other)) => {
                return Err(bad(format!("`tls={other}` is not one of `required`, `opportunistic`, `none`")));
            }
            ("smtps", None) => (Security::Implicit, 465),
            ("smtps", Some(_)) => {
                return Err(bad("`smtps://` is always TLS; drop the `tls` parameter".into()));
            }
            (other, _) => {
                return Err(bad(format!("scheme `{other}` is not `smtp` or `smtps`")));
            }
        };
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err(bad("no host; write it as `smtp://host:port`".into())),
        };
        if !matches!(parsed.path(), "" | "/") || parsed.fragment().is_some() {
            return Err(bad("a path or fragment is not allowed; write it as `smtp://host:port`".into()));
        }
        let decode = |s: &str| percent_decode(s).ok_or_else(|| bad("user or password is not UTF-8".into()));
        let user = Some(parsed.username()).filter(|u| !u.is_empty()).map(decode).transpose()?;
        let password = parsed.password().map(decode).transpose()?;
        if password.is_some() && user.is_none() {
            return Err(bad("a password needs a user name: `smtps://user:password@host`".into()));
        }
        let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
        let may_be_plain = matches!(security, Security::None | Security::Opportunistic);
        if password.is_some() && may_be_plain && !loopback {
            return Err(bad(
                "the password would cross the network unencrypted; use `smtps://` or add `?tls=required`"
                    .into(),
            ));
        }
        let port = parsed.port().unwrap_or(default_port);
        Ok(Self { host, port, security, user, password })
    }

    /// The server's host name or address.
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The server's port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How the connection is protected.
    #[must_use]
    pub fn security(&self) -> Security {
        self.security
    }

    /// `host:port` (IPv6 in brackets), as errors name the server.
    #[must_use]
    pub fn server(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// The URL back, with the password as `***`.
impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.security == Security::Implicit { "smtps" } else { "smtp" };
        write!(f, "{scheme}://")?;
        if let Some(user) = &self.user {
            write!(f, "{user}{}@", if self.password.is_some() { ":***" } else { "" })?;
        }
        write!(f, "{}", self.server())?;
        match self.security {
            Security::StartTls => f.write_str("?tls=required"),
            Security::Opportunistic => f.write_str("?tls=opportunistic"),
            Security::None | Security::Implicit => Ok(()),
        }
    }
}

/// Never shows the password.
impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmtpUrl({self})")
    }
}

fn redact(u: &url::Url) -> String {
    let mut u = u.clone();
    if u.password().is_some() {
        let _ = u.set_password(Some("***"));
    }
    u.to_string()
}

/// A URL the `url` crate could not read: show it only up to the last `@` and, if it had one,
/// mark what was cut, so a password in it is never shown.
fn redact_unparsed(url: &str) -> String {
    match url.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => url.to_owned(),
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => {
                // Both digits are below 16, so the byte fits.
                out.push(u8::try_from(hi * 16 + lo).ok()?);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// An SMTP server to deliver to, with its TLS settings built once.
pub(crate) struct Relay {
    url: SmtpUrl,
    tls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    hello: ClientId,
    connect_timeout: Duration,
    send_timeout: Duration,
}

impl fmt::Debug for Relay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Relay")
            .field("url", &self.url)
            .field("connect_timeout", &self.connect_timeout)
            .field("send_timeout", &self.send_timeout)
            .finish_non_exhaustive()
    }
}

impl Relay {
    pub(crate) fn new(
        url: SmtpUrl,
        connect_timeout: Duration,
        send_timeout: Duration,
    ) -> Result<Self, Error> {
        let tls = match url.security {
            Security::None => None,
            Security::Opportunistic | Security::StartTls | Security::Implicit => Some(
                TlsParameters::new(url.host.clone())
                    .map_err(|source| Error::Tls { server: url.server(), source })?,
            ),
        };
        let credentials =
            url.user.clone().map(|u| Credentials::new(u, url.password.clone().unwrap_or_default()));
        Ok(Self { url, tls, credentials, hello: ClientId::default(), connect_timeout, send_timeout })
    }

    pub(crate) fn url(&self) -> &SmtpUrl {
        &self.url
    }

    /// Hands `message` to the server, all within the send timeout.
    pub(crate) async fn send(&self, message: &lettre::Message) -> Result<(), Error> {
        let stage = AtomicU8::new(Stage::Connect as u8);
        match tokio::time::timeout(self.send_timeout, self.deliver(message, &stage)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(Error::SmtpTimeout {
                server: self.url.server(),
                stage: Stage::from_u8(stage.load(Ordering::Relaxed)),
                after: self.send_timeout,
            }),
        }
    }

    async fn deliver(&self, message: &lettre::Message, stage: &AtomicU8) -> Result<(), Error> {
        let server = || self.url.server();
        let failed = |stage| move |source| Error::Smtp { server: server(), stage, source };
        let wrapper = if self.url.security == Security::Implicit { self.tls.clone() } else { None };
        let connect = AsyncSmtpConnection::connect_tokio1(
            (self.url.host.as_str(), self.url.port),
            Some(self.connect_timeout),
            &self.hello,
            wrapper,
            None,
        );
        let mut conn = tokio::time::timeout(self.connect_timeout, connect)
            .await
            .map_err(|_elapsed| Error::SmtpTimeout {
                server: server(),
                stage: Stage::Connect,
                after: self.connect_timeout,
            })?
            .map_err(failed(Stage::Connect))?;
        let upgrade = match self.url.security {
            Security::StartTls => true,
            Security::Opportunistic => conn.can_starttls(),
            Security::None | Security::Implicit => false,
        };
        if let (true, Some(tls)) = (upgrade, &self.tls) {
            stage.store(Stage::StartTls as u8, Ordering::Relaxed);
            conn.starttls(tls.clone(), &self.hello).await.map_err(failed(Stage::StartTls))?;
        }
        if let Some(credentials) = &self.credentials {
            stage.store(Stage::Auth as u8, Ordering::Relaxed);
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(failed(Stage::Auth))?;
        }
        stage.store(Stage::Send as u8, Ordering::Relaxed);
        // lettre ends DATA with CRLF "." CRLF whatever the message ends with; without its own
        // final CRLF the server stores exactly `formatted()`, the bytes an outbox file holds.
        let bytes = message.formatted();
        let bytes = bytes.strip_suffix(b"\r\n").unwrap_or(&bytes);
        let sent = conn.send(message.envelope(), bytes).await;
        if let Err(source) = sent {
            conn.abort().await;
            return Err(failed(Stage::Send)(source));
        }
        if let Err(e) = conn.quit().await {
            tracing::debug!(server = %server(), error = %e, "QUIT failed after the message was accepted");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, expect: Result<&str, &str>) {
        match (SmtpUrl::parse(url), expect) {
            (Ok(u), Ok(shown)) => assert_eq!(u.to_string(), shown, "{url}"),
            (Err(e), Err(why)) => {
                let e = e.to_string();
                assert!(e.contains(why), "{url}: {e}");
                assert!(!e.contains("s3cret"), "the password is never shown: {e}");
            }
            (got, want) => panic!("{url}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn urls_in_the_scheme_are_read() {
        check("smtp://127.0.0.1:2525", Ok("smtp://127.0.0.1:2525"));
        check("smtp://mail.example.pk", Ok("smtp://mail.example.pk:25"));
        check("smtp://mail.example.pk?tls=none", Ok("smtp://mail.example.pk:25"));
        check("smtp://mail.example.pk?tls=required", Ok("smtp://mail.example.pk:587?tls=required"));
        check(
            "smtp://mail.example.pk:2587?tls=opportunistic",
            Ok("smtp://mail.example.pk:2587?tls=opportunistic"),
        );
        check("smtps://mizan:s3cret@mail.example.pk", Ok("smtps://mizan:***@mail.example.pk:465"));
        check(
            "smtp://mizan%40gov.pk:s3cret@mail.example.pk:587?tls=required",
            Ok("smtp://mizan@gov.pk:***@mail.example.pk:587?tls=required"),
        );
        check("smtp://user:s3cret@localhost:1025", Ok("smtp://user:***@localhost:1025"));
        check("smtp://[::1]:2525", Ok("smtp://[::1]:2525"));
        let u = SmtpUrl::parse("smtps://a%20b:p%25w@h.pk").unwrap();
        assert_eq!((u.user.as_deref(), u.password.as_deref()), (Some("a b"), Some("p%w")));
        assert_eq!(format!("{u:?}"), "SmtpUrl(smtps://a b:***@h.pk:465)");
    }

    #[test]
    fn bad_urls_say_what_to_write() {
        check("mail.example.pk", Err("write it as `smtp://host:port`"));
        check("http://mail.example.pk", Err("scheme `http` is not `smtp` or `smtps`"));
        check("smtp://mail.example.pk?tls=yes", Err("`tls=yes` is not one of"));
        check("smtp://mail.example.pk?tls=required&tls=none", Err("given twice"));
        check("smtp://mail.example.pk?timeout=5", Err("unknown parameter `timeout`"));
        check("smtps://mail.example.pk?tls=required", Err("drop the `tls` parameter"));
        check("smtp://mail.example.pk/relay", Err("a path or fragment is not allowed"));
        check("smtp://:s3cret@mail.example.pk?tls=required", Err("a password needs a user name"));
        check("smtp://u:s3cret@mail.example.pk", Err("unencrypted; use `smtps://`"));
        check("smtp://u:s3cret@mail.example.pk?tls=opportunistic", Err("unencrypted"));
        check("smtp://u:s3cret@mail.example.pk:99999", Err("***@mail.example.pk:99999"));
    }
}
