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
    // A dotted quad is an address before it is digits (`92.212.255.255` would otherwise pass
    // for a landline number).
    if (v.contains('.') || v.contains(':')) && is_ip(v) {
        s.set(Shapes::kind(Kind::IpAddress), true);
        return s;
    }
    if let Some(d) = Digits::parse(v) {
        let n = numeric::shape(&d);
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
    }
    if s.0 == 0 {
        s.set(Shapes::WORDS, is_words(v));
    }
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
    use super::*;

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
