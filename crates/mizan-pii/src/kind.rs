//! The kinds of personal data this crate recognises, with the stable ids that reports, the
//! evaluation set and the server's translations key on.
//!
//! Labels in English and Urdu are deliberately absent: the server localises `Kind::id`.

use std::fmt;

/// A kind of personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A Computerised National Identity Card number: `35202-1234567-1`, 13 digits
    /// (5-digit locality whose first digit 1–7 is the province, 7 digits, 1 gender digit).
    Cnic,
    /// A National Tax Number: 7 digits and a check digit, `1234567-8`.
    Ntn,
    /// A Pakistani mobile number: `0300-1234567`, `+92 300 1234567`, `00923001234567`.
    MobilePhone,
    /// A Pakistani landline number with its area code: `021-35678901`, `+92 51 2345678`.
    Landline,
    /// A Pakistani IBAN: `PK36SCBL0000001123456702`, check digits verified (ISO 7064 mod 97).
    Iban,
    /// An e-mail address.
    Email,
    /// A payment card number: 14–19 digits of a known issuer range and length, Luhn check valid.
    PaymentCard,
    /// An IPv4 or IPv6 address.
    IpAddress,
    /// A person's name; recognised only in a column whose name says so.
    PersonName,
}

impl Kind {
    /// Every kind, in the order reports list them.
    pub const ALL: [Kind; 9] = [
        Kind::Cnic,
        Kind::Ntn,
        Kind::MobilePhone,
        Kind::Landline,
        Kind::Iban,
        Kind::Email,
        Kind::PaymentCard,
        Kind::IpAddress,
        Kind::PersonName,
    ];

    /// The stable kebab-case id: `cnic`, `ntn`, `mobile-phone`, `landline`, `iban`, `email`,
    /// `payment-card`, `ip-address`, `person-name`.
    #[must_use]
    pub const fn id(self) -> &'static str {
        match self {
            Kind::Cnic => "cnic",
            Kind::Ntn => "ntn",
            Kind::MobilePhone => "mobile-phone",
            Kind::Landline => "landline",
            Kind::Iban => "iban",
            Kind::Email => "email",
            Kind::PaymentCard => "payment-card",
            Kind::IpAddress => "ip-address",
            Kind::PersonName => "person-name",
        }
    }

    /// The kind with this id, if any.
    #[must_use]
    pub fn from_id(id: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.id() == id)
    }

    /// Whether a value of this kind identifies a person by itself.
    ///
    /// True for all but [`Kind::IpAddress`]: an IP address is personal data (an online
    /// identifier), but it names a subscriber's connection, often shared or reassigned, and
    /// only the operator's records tie it to a person. A landline is counted as direct although
    /// a household may share it, because directories tie it to a named subscriber.
    #[must_use]
    pub const fn is_direct_identifier(self) -> bool {
        !matches!(self, Kind::IpAddress)
    }

    /// Position in [`Kind::ALL`], for per-kind counters.
    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
