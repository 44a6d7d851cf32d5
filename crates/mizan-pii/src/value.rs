//! What one value looks like ([`Shapes`]), and which kind it is once a column's name is known.
//!
//! Classification is two steps so the column scanner can count both: [`classify`] finds every
//! shape a value has, with no context (13 plain digits can have a CNIC's province digit, an
//! EAN-13 check digit and read as a time in milliseconds, all at once); [`resolve`] picks the kind under a [`ColumnContext`]. Definitive shapes (a dashed CNIC,
//! an IBAN with good check digits) are kinds by themselves; the contextual ones (13 or 7–8 plain
//! digits, a mobile number without its 0, words) become kinds only where the name says so.

use std::net::{IpAddr, SocketAddr};

use crate::context::{ColumnContext, is_mark};
use crate::numeric::{self, Digits};
use crate::{Kind, email, iban};

/// The shapes one value has, as bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Shapes(u16);

impl Shapes {
    /// A definitive kind: bit `Kind::index` (person names are never definitive).
    pub(crate) const fn kind(kind: Kind) -> u16 {
        1 << kind.index()
    }
    /// 13 plain digits, province digit 1–7.
    pub(crate) const PLAIN_CNIC: u16 = 1 << 9;
    /// 7 or 8 plain digits.
    pub(crate) const PLAIN_NTN: u16 = 1 << 10;
    /// A mobile number without its leading 0.
    pub(crate) const PLAIN_MOBILE: u16 = 1 << 11;
    /// One to five words of letters.
    pub(crate) const WORDS: u16 = 1 << 12;
    /// 13 digits with a valid EAN-13 check digit.
    pub(crate) const EAN13: u16 = 1 << 13;
    /// 13 digits that read as a recent Unix time in milliseconds.
    pub(crate) const EPOCH_MILLIS: u16 = 1 << 14;

    pub(crate) fn has(self, bits: u16) -> bool {
        self.0 & bits != 0
    }

    fn set(&mut self, bits: u16, on: bool) {
        if on {
            self.0 |= bits;
        }
    }
}

/// Every shape of `value`.
pub(crate) fn classify(value: &str) -> Shapes {
    classify_trimmed(value.trim())
}

/// Every shape of `v`, already trimmed.
pub(crate) fn classify_trimmed(v: &str) -> Shapes {
    plain_integer(v).unwrap_or_else(|| classify_any(v))
}

/// The fewest digits any numeric shape has: a plain NTN's 7 (an NTN `#######-#` has 8, a phone
/// at least 9, a CNIC 13, a card 14).
const FEWEST_DIGITS: usize = 7;

/// The fewest digits of a numeric shape other than the plain NTN's (7 or 8 plain digits): a
/// phone's 9. (The NTN `#######-#` has 8, but in two groups, which `-?[0-9]+` never has.)
const FEWEST_DIGITS_NOT_NTN: usize = 9;

/// The shapes of `v` (trimmed) when it is a plain integer, `-?[0-9]+` as integer columns are
/// written; `None` for anything else.
///
/// A fast path for the bulk of numeric columns, equal to [`classify_any`] on such values: they
/// hold no `@`, `P`, `.` or `:`, so only the numeric shapes can apply, and a value holding a
/// digit is never [words](is_words). With fewer than [`FEWEST_DIGITS`] digits no numeric shape
/// applies either, so the value is not parsed at all; with fewer than
/// [`FEWEST_DIGITS_NOT_NTN`], only the plain NTN's, when no `-` is written.
fn plain_integer(v: &str) -> Option<Shapes> {
    let digits = v.strip_prefix('-').unwrap_or(v);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.len() < FEWEST_DIGITS {
        return Some(Shapes::default());
    }
    if digits.len() < FEWEST_DIGITS_NOT_NTN {
        let plain = digits.len() == v.len();
        return Some(Shapes(if plain { Shapes::PLAIN_NTN } else { 0 }));
    }
    Some(Digits::parse(v).map_or_else(Shapes::default, |d| numeric_shapes(&d)))
}

/// What one pass over a value's bytes rules out before any recogniser runs.
#[derive(Debug, Clone, Copy, Default)]
struct Scan {
    /// An `@`.
    at: bool,
    /// A `.` or a `:`.
    dot_or_colon: bool,
    /// An ASCII byte other than the digits, `+`, `-`, `.`, `(`, `)` and space: [`Digits::parse`]
    /// refuses the value, since it takes no other ASCII character (non-ASCII bytes are left to
    /// it: Arabic-Indic digits, no-break spaces and Unicode dashes).
    not_numeric: bool,
    /// An ASCII digit: the value is no [words](is_words), whose every character is a letter,
    /// a mark, one of `.'-’` or white space.
    digit: bool,
}

impl Scan {
    fn of(v: &str) -> Scan {
        let mut s = Scan::default();
        for &b in v.as_bytes() {
            match b {
                b'0'..=b'9' => s.digit = true,
                b'.' => s.dot_or_colon = true,
                b'+' | b'-' | b'(' | b')' | b' ' | 0x80.. => {}
                b'@' => {
                    s.at = true;
                    s.not_numeric = true;
                }
                b':' => {
                    s.dot_or_colon = true;
                    s.not_numeric = true;
                }
                _ => s.not_numeric = true,
            }
        }
        s
    }
}

/// Every shape of `v` (trimmed), by the general path.
fn classify_any(v: &str) -> Shapes {
    let mut s = Shapes::default();
    let Some(&first) = v.as_bytes().first() else {
        return s;
    };
    if v.len() > 320 {
        return s;
    }
    let scan = Scan::of(v);
    if scan.at {
        s.set(Shapes::kind(Kind::Email), email::is_email(v));
        return s;
    }
    if matches!(first, b'P' | b'p') && v.len() >= 24 && iban::is_pk_iban(v) {
        s.set(Shapes::kind(Kind::Iban), true);
        return s;
    }
    // A dotted quad is an address before it is digits (`92.212.255.255` would otherwise pass
    // for a landline number).
    if scan.dot_or_colon && is_ip(v) {
        s.set(Shapes::kind(Kind::IpAddress), true);
        return s;
    }
    // The scan skips a parse that would fail and a word check that would refuse.
    if !scan.not_numeric
        && let Some(d) = Digits::parse(v)
    {
        s = numeric_shapes(&d);
    }
    if s.0 == 0 && !scan.digit {
        s.set(Shapes::WORDS, is_words(v));
    }
    s
}

/// The shapes of a numeric skeleton.
fn numeric_shapes(d: &Digits) -> Shapes {
    let n = numeric::shape(d);
    let mut s = Shapes::default();
    s.set(Shapes::kind(Kind::Cnic), n.cnic);
    s.set(Shapes::kind(Kind::Ntn), n.ntn);
    s.set(Shapes::kind(Kind::MobilePhone), n.mobile);
    s.set(Shapes::kind(Kind::Landline), n.landline);
    s.set(Shapes::kind(Kind::PaymentCard), n.card);
    s.set(Shapes::PLAIN_CNIC, n.plain_cnic);
    s.set(Shapes::PLAIN_NTN, n.plain_ntn);
    s.set(Shapes::PLAIN_MOBILE, n.plain_mobile);
    s.set(Shapes::EAN13, n.ean13);
    s.set(Shapes::EPOCH_MILLIS, n.epoch_millis);
    s
}

/// An IPv4 address in dotted-quad form (each octet ≤ 255, no leading zeros), an IPv6 address,
/// or either with a port, as `std::net` parses them.
pub(crate) fn is_ip(v: &str) -> bool {
    v.parse::<IpAddr>().is_ok() || v.parse::<SocketAddr>().is_ok()
}

/// One to five words made of letters (any script), with the `.`, `'`, `-` names carry
/// (`M. Ali`, `D'Souza`, `Abdul-Rehman`), at least two letters in all.
fn is_words(v: &str) -> bool {
    let mut words = 0;
    let mut letters = 0;
    for word in v.split_whitespace() {
        words += 1;
        if words > 5 {
            return false;
        }
        let mut word_letters = 0;
        for c in word.chars() {
            if c.is_alphabetic() {
                word_letters += 1;
            } else if !(matches!(c, '.' | '\'' | '-' | '\u{2019}') || is_mark(c)) {
                return false;
            }
        }
        if word_letters == 0 {
            return false;
        }
        letters += word_letters;
    }
    letters >= 2 && v.chars().count() <= 80
}

/// The kind of a value with these shapes in a column with this context.
pub(crate) fn resolve(s: Shapes, ctx: &ColumnContext) -> Option<Kind> {
    let hinted = |k: Kind| ctx.hint_for(k).is_some();
    let thirteen = s.has(Shapes::PLAIN_CNIC | Shapes::kind(Kind::Cnic));
    // An NTN column's 13-digit values are the NTNs individuals have: their CNIC numbers.
    if hinted(Kind::Ntn) && (s.has(Shapes::PLAIN_NTN) || (thirteen && !hinted(Kind::Cnic))) {
        return Some(Kind::Ntn);
    }
    // A CNIC column's 13 plain digits are CNICs.
    if hinted(Kind::Cnic) && thirteen {
        return Some(Kind::Cnic);
    }
    const DEFINITIVE: [Kind; 8] = [
        Kind::Cnic,
        Kind::Ntn,
        Kind::Iban,
        Kind::Email,
        Kind::MobilePhone,
        Kind::Landline,
        Kind::PaymentCard,
        Kind::IpAddress,
    ];
    for kind in DEFINITIVE {
        let refused = match kind {
            Kind::PaymentCard => ctx.not_card(),
            Kind::IpAddress => ctx.not_ip(),
            _ => false,
        };
        if s.has(Shapes::kind(kind)) && !refused {
            return Some(kind);
        }
    }
    if hinted(Kind::MobilePhone) && s.has(Shapes::PLAIN_MOBILE) {
        return Some(Kind::MobilePhone);
    }
    if hinted(Kind::PersonName) && s.has(Shapes::WORDS) {
        return Some(Kind::PersonName);
    }
    None
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// `classify` as written before its fast paths (the plain-integer path, the byte scan):
    /// every recogniser tried in turn. The fast paths must agree with it on every value.
    fn classify_reference(value: &str) -> Shapes {
        let v = value.trim();
        let mut s = Shapes::default();
        let Some(&first) = v.as_bytes().first() else {
            return s;
        };
        if v.len() > 320 {
            return s;
        }
        if v.contains('@') {
            s.set(Shapes::kind(Kind::Email), email::is_email(v));
            return s;
        }
        if matches!(first, b'P' | b'p') && v.len() >= 24 && iban::is_pk_iban(v) {
            s.set(Shapes::kind(Kind::Iban), true);
            return s;
        }
        if (v.contains('.') || v.contains(':')) && is_ip(v) {
            s.set(Shapes::kind(Kind::IpAddress), true);
            return s;
        }
        if let Some(d) = Digits::parse(v) {
            s = numeric_shapes(&d);
        }
        if s.0 == 0 {
            s.set(Shapes::WORDS, is_words(v));
        }
        s
    }

    /// The plain-integer fast path against the reference, where they must agree.
    fn check_plain_integer(v: &str) {
        assert_eq!(plain_integer(v), Some(classify_reference(v)), "{v}");
    }

    #[test]
    fn fast_paths_classify_as_the_reference() {
        for v in [
            "",
            " ",
            "person 1234567",
            "35202-1234567-1",
            "0300-1234567",
            "+92 300 1234567",
            "user12@example.pk",
            "PK36SCBL0000001123456702",
            "192.168.1.10",
            "2001:db8::1",
            "10:30",
            "Muhammad Ali",
            "محمد علی",
            "۳۵۲۰۲-۱۲۳۴۵۶۷-۱",
            "4111 1111 1111 1111",
            "3520212345671",
            "12.5",
            "N/A",
            "Ali 2",
            "(021) 35678901",
            "0300\u{2013}1234567",
        ] {
            assert_eq!(classify(v), classify_reference(v), "{v}");
        }
    }

    #[test]
    fn plain_integers_classify_as_the_general_path() {
        for v in [
            "0",
            "-0",
            "7",
            "-123456",
            "-12345678",
            "99999999",
            "123456789",
            "-123456789",
            "123456",
            "999999",
            "1000000",
            "-1000000",
            "12345678",
            "3001234567",
            "-3001234567",
            "923001234567",
            "3520212345671",
            "8520212345671",
            "4006381333931",
            "1700000000000",
            "4111111111111111",
            "-4111111111111111",
            "378282246310005",
            "9223372036854775807",
            "-9223372036854775808",
            "123456789012345678901234567890",
        ] {
            check_plain_integer(v);
        }
        for v in ["", "-", "--1", "+1", "1.5", "1-2", "12 34", "۳۵۲۰۲۱۲۳۴۵۶۷۱", "1a"] {
            assert_eq!(plain_integer(v), None, "{v}");
        }
    }

    proptest! {
        #[test]
        fn any_value_classifies_as_the_reference(
            v in "[0-9۰-۹+\\-. ()@:a-zA-Z_/,\u{00A0}\u{2013}\u{200C}'شناختیکارڈ]{0,40}",
            any in any::<String>(),
        ) {
            prop_assert_eq!(classify(&v), classify_reference(&v), "{}", v);
            prop_assert_eq!(classify(&any), classify_reference(&any), "{}", any);
        }

        #[test]
        fn any_integer_classifies_as_the_general_path(i in any::<i64>(), digits in "-?[0-9]{1,30}") {
            check_plain_integer(&i.to_string());
            check_plain_integer(&digits);
        }
    }

    #[test]
    fn ips_and_what_is_not() {
        for v in ["192.168.1.10", "8.8.8.8", "::1", "2001:db8::1", "10.0.0.1:8080", "[2001:db8::1]:443"] {
            assert!(is_ip(v), "{v}");
        }
        for v in ["1.2.3", "256.1.1.1", "13.01.2025", "10:30", "12:30:45", "00:1A:2B:3C:4D:5E", "01.2.3.4"] {
            assert!(!is_ip(v), "{v}");
        }
    }

    #[test]
    fn words() {
        for v in ["Muhammad Ali Khan", "M. Ali", "D'Souza", "محمد علی", "Abdul-Rehman Qureshi", "Ayesha"]
        {
            assert!(is_words(v), "{v}");
        }
        for v in ["A", "Ali 2", "a b c d e f", "N/A", "12", "x@y"] {
            assert!(!is_words(v), "{v}");
        }
    }
}
