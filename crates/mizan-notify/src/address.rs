//! Where a notification goes: an e-mail address or a mobile number, each checked once when it
//! is made, so a [`Recipient`] in hand is always one Mizan can use.
//!
//! E-mail addresses follow the WHATWG HTML rules a browser's `type=email` field applies
//! ([`mizan_register::is_email`], the same check the register uses). Phone numbers are kept in
//! E.164 form (`+923001234567`): a Pakistani number may be written nationally (`0300 1234567`),
//! a foreign one with `+` or `00` and its country code; spaces, hyphens, dots and brackets are
//! dropped. Numbers under `+92` must be mobile numbers (`+92 3xx`), since only those take SMS.

use std::fmt;

use crate::Error;

/// An e-mail address that passed [`mizan_register::is_email`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Checks `s` (surrounding white space is trimmed).
    ///
    /// # Errors
    /// [`Error::InvalidEmail`] naming the value.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        if mizan_register::is_email(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(Error::InvalidEmail { value: s.to_owned() })
        }
    }

    /// The address.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A mobile number in E.164 form: `+`, then 8 to 15 digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Checks `s` and normalises it to E.164: `0300-1234567` and `+92 300 1234567` both become
    /// `+923001234567`; `0044 7700 900123` becomes `+447700900123`.
    ///
    /// # Errors
    /// [`Error::InvalidPhone`] naming the value and what is wrong with it.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let bad = |reason| Error::InvalidPhone { value: s.trim().to_owned(), reason };
        let mut compact = String::with_capacity(s.len());
        for (i, c) in s.trim().chars().enumerate() {
            match c {
                '0'..='9' => compact.push(c),
                '+' if i == 0 => compact.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(bad("it may hold only digits, a leading `+`, spaces and hyphens")),
            }
        }
        let international = if let Some(rest) = compact.strip_prefix('+') {
            rest.to_owned()
        } else if let Some(rest) = compact.strip_prefix("00") {
            rest.to_owned()
        } else if let Some(national) = compact.strip_prefix('0') {
            if !(national.len() == 10 && national.starts_with('3')) {
                return Err(bad("a Pakistani mobile number is `03` and 9 more digits"));
            }
            format!("92{national}")
        } else if compact.is_empty() {
            return Err(bad("it is empty"));
        } else {
            return Err(bad("start with `+` and the country code, or with `0` for a Pakistani number"));
        };
        if international.starts_with('0') || !(8..=15).contains(&international.len()) {
            return Err(bad("an international number is a country code and 8 to 15 digits in all"));
        }
        if let Some(national) = international.strip_prefix("92")
            && !(national.len() == 10 && national.starts_with('3'))
        {
            return Err(bad("a Pakistani number for SMS must be a mobile number, `+92 3` and 9 more digits"));
        }
        Ok(Self(format!("+{international}")))
    }

    /// The number in E.164 form.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who a notification is for: an e-mail address (sent now) or a mobile number (held until
/// Mizan has an SMS gateway).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Recipient {
    /// Sent by e-mail.
    Email(EmailAddress),
    /// Kept for an SMS gateway.
    Phone(PhoneNumber),
}

impl Recipient {
    /// Reads what a person typed in a "contact" field: an e-mail address when it holds `@`,
    /// otherwise a phone number.
    ///
    /// # Errors
    /// [`Error::InvalidEmail`] or [`Error::InvalidPhone`].
    pub fn parse(s: &str) -> Result<Self, Error> {
        if s.contains('@') {
            EmailAddress::parse(s).map(Recipient::Email)
        } else {
            PhoneNumber::parse(s).map(Recipient::Phone)
        }
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::Email(e) => e.fmt(f),
            Recipient::Phone(p) => p.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One case per line: what a person typed, and the E.164 number or the start of the reason.
    fn check_phone(input: &str, expect: Result<&str, &str>) {
        match (PhoneNumber::parse(input), expect) {
            (Ok(p), Ok(e164)) => assert_eq!(p.as_str(), e164, "{input:?}"),
            (Err(Error::InvalidPhone { value, reason }), Err(why)) => {
                assert!(reason.contains(why), "{input:?}: {reason}");
                assert_eq!(value, input.trim());
            }
            (got, want) => panic!("{input:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn phone_numbers_are_normalised_to_e164() {
        check_phone("+923001234567", Ok("+923001234567"));
        check_phone("03001234567", Ok("+923001234567"));
        check_phone(" 0300-1234567 ", Ok("+923001234567"));
        check_phone("+92 (300) 123 4567", Ok("+923001234567"));
        check_phone("00923001234567", Ok("+923001234567"));
        check_phone("0044 7700 900123", Ok("+447700900123"));
        check_phone("+1 202 555 0143", Ok("+12025550143"));
    }

    #[test]
    fn bad_phone_numbers_say_why() {
        check_phone("", Err("empty"));
        check_phone("3001234567", Err("start with `+`"));
        check_phone("0300123456", Err("`03` and 9 more"));
        check_phone("04235761234", Err("`03` and 9 more"));
        check_phone("+924235761234", Err("mobile number"));
        check_phone("+92300123456", Err("mobile number"));
        check_phone("+0300123456", Err("8 to 15 digits"));
        check_phone("+1234567", Err("8 to 15 digits"));
        check_phone("+1234567890123456", Err("8 to 15 digits"));
        check_phone("0300 123456x", Err("only digits"));
        check_phone("0300+1234567", Err("only digits"));
        check_phone("03001234567\n", Ok("+923001234567"));
        check_phone("0300\n1234567", Err("only digits"));
        check_phone("۰۳۰۰۱۲۳۴۵۶۷", Err("only digits"));
    }

    #[test]
    fn emails_follow_the_register_rule() {
        assert_eq!(EmailAddress::parse(" ayesha@example.pk ").unwrap().as_str(), "ayesha@example.pk");
        for bad in [
            "ayesha",
            "ayesha@localhost",
            "a b@example.pk",
            "a@example.pk\r\nBcc: x@y.pk",
            "عائشہ@example.pk",
        ] {
            match EmailAddress::parse(bad) {
                Err(Error::InvalidEmail { value }) => assert_eq!(value, bad.trim()),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_contact_field_is_read_as_email_or_phone() {
        assert_eq!(
            Recipient::parse("ayesha@example.pk").unwrap(),
            Recipient::Email(EmailAddress("ayesha@example.pk".into()))
        );
        assert_eq!(
            Recipient::parse("0300 1234567").unwrap(),
            Recipient::Phone(PhoneNumber("+923001234567".into()))
        );
        assert!(matches!(Recipient::parse("ayesha@"), Err(Error::InvalidEmail { .. })));
        assert!(matches!(Recipient::parse("ayesha"), Err(Error::InvalidPhone { .. })));
    }
}
