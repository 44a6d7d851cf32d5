//! Pakistani IBANs: `PK`, 2 check digits, a 4-letter bank code, 16 digits (24 characters),
//! verified with ISO 7064 MOD 97-10 as ISO 13616 specifies.
//!
//! Spaces (printed every 4 characters) are skipped; lower case is accepted. Other countries'
//! IBANs are not Pakistani personal data of this kind and are not recognised.

/// The length of a Pakistani IBAN.
const LEN: usize = 24;

/// Whether `value` (trimmed) is a Pakistani IBAN with valid check digits.
pub(crate) fn is_pk_iban(value: &str) -> bool {
    let mut buf = [0_u8; LEN];
    let mut n = 0;
    for b in value.bytes() {
        if b == b' ' {
            continue;
        }
        if n == LEN || !b.is_ascii_alphanumeric() {
            return false;
        }
        buf[n] = b.to_ascii_uppercase();
        n += 1;
    }
    n == LEN && shape_ok(&buf) && mod97(&buf) == 1
}

/// `PK\d\d[A-Z]{4}\d{16}`.
fn shape_ok(b: &[u8; LEN]) -> bool {
    b[..2] == *b"PK"
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b[4..8].iter().all(u8::is_ascii_uppercase)
        && b[8..].iter().all(u8::is_ascii_digit)
}

/// The ISO 7064 MOD 97-10 remainder of the IBAN, its first four characters moved to the end
/// and letters read as 10–35. A valid IBAN gives 1.
pub(crate) fn mod97(b: &[u8]) -> u32 {
    let rotated = b.iter().skip(4).chain(b.iter().take(4));
    rotated.fold(0_u32, |r, &c| {
        if c.is_ascii_digit() {
            (r * 10 + u32::from(c - b'0')) % 97
        } else {
            (r * 100 + u32::from(c.to_ascii_uppercase() - b'A') + 10) % 97
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mod97_of_known_ibans() {
        // The example IBAN the State Bank of Pakistan's circular and the IBAN registry print.
        assert!(is_pk_iban("PK36SCBL0000001123456702"));
        assert!(is_pk_iban("PK36 SCBL 0000 0011 2345 6702"));
        assert!(is_pk_iban("pk36scbl0000001123456702"));
        assert_eq!(mod97(b"GB82WEST12345698765432"), 1);
        assert_eq!(mod97(b"DE89370400440532013000"), 1);
    }

    #[test]
    fn refuses_bad_checksum_shape_and_other_countries() {
        assert!(!is_pk_iban("PK37SCBL0000001123456702"));
        assert!(!is_pk_iban("PK36SCBL0000001123456703"));
        assert!(!is_pk_iban("PK36SCB10000001123456702"));
        assert!(!is_pk_iban("PK36SCBL000000112345670"));
        assert!(!is_pk_iban("GB82WEST12345698765432"));
        assert!(!is_pk_iban("PK36-SCBL-0000-0011-2345-6702"));
    }
}
