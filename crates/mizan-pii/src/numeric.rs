//! Recognisers for values made of digits: CNIC, NTN, mobile and landline numbers, payment
//! cards, with the Luhn and EAN-13 checks.
//!
//! A value is first reduced to a [`Digits`] skeleton (its digits, the lengths of the digit
//! groups, which separators and whether a leading `+` appeared) in one pass over its
//! characters, on the stack: this runs for every cell of every upload, so nothing allocates.
//! Eastern Arabic-Indic digits (`۳۵۲۰۲`, as Urdu forms write them) count as digits.

/// The separators a numeric value may contain, as bits of [`Digits::seps`].
pub(crate) const SPACE: u8 = 1;
/// `-` (and the Unicode dashes people paste from word processors).
pub(crate) const DASH: u8 = 2;
/// `.`
pub(crate) const DOT: u8 = 4;
/// `(` or `)`.
pub(crate) const PAREN: u8 = 8;

/// At most this many digits: the longest numeric kind (a 19-digit card) plus room.
const MAX_DIGITS: usize = 24;
/// At most this many digit groups.
const MAX_GROUPS: usize = 8;

/// The digits of a numeric value and how they were written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Digits {
    buf: [u8; MAX_DIGITS],
    len: usize,
    groups: [u8; MAX_GROUPS],
    ngroups: usize,
    /// A `+` came before the first digit.
    pub(crate) plus: bool,
    /// Bits of the separators seen ([`SPACE`], [`DASH`], [`DOT`], [`PAREN`]).
    pub(crate) seps: u8,
}

/// The ASCII value of a decimal digit in ASCII, Arabic-Indic or Eastern Arabic-Indic script.
pub(crate) fn digit_value(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '\u{0660}'..='\u{0669}' => Some((c as u32 - 0x0660) as u8),
        '\u{06F0}'..='\u{06F9}' => Some((c as u32 - 0x06F0) as u8),
        _ => None,
    }
}

impl Digits {
    /// The skeleton of `value` (already trimmed), or `None` when it holds anything but digits,
    /// the separators above and one leading `+`, or is too long for any numeric kind.
    pub(crate) fn parse(value: &str) -> Option<Digits> {
        let mut d = Digits {
            buf: [0; MAX_DIGITS],
            len: 0,
            groups: [0; MAX_GROUPS],
            ngroups: 0,
            plus: false,
            seps: 0,
        };
        // Counts kept in locals (registers) and stored once: this runs for every numeric cell.
        let (mut len, mut ngroups, mut plus, mut seps) = (0, 0, false, 0);
        // Digits in the group being read; 0 between groups.
        let mut run = 0_u8;
        for c in value.chars() {
            if let Some(v) = digit_value(c) {
                if run == 0 {
                    if ngroups == MAX_GROUPS {
                        return None;
                    }
                    ngroups += 1;
                }
                if len == MAX_DIGITS {
                    return None;
                }
                d.buf[len] = v;
                len += 1;
                run += 1;
                continue;
            }
            if run > 0 {
                // `ngroups` ≥ 1 once a digit has been read.
                d.groups[ngroups - 1] = run;
                run = 0;
            }
            match c {
                '+' if len == 0 && !plus && seps & !PAREN == 0 => plus = true,
                ' ' | '\u{00A0}' => seps |= SPACE,
                '-' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' => seps |= DASH,
                '.' => seps |= DOT,
                '(' | ')' => seps |= PAREN,
                _ => return None,
            }
        }
        if run > 0 {
            d.groups[ngroups - 1] = run;
        }
        (d.len, d.ngroups, d.plus, d.seps) = (len, ngroups, plus, seps);
        (len > 0).then_some(d)
    }

    /// The digits, each 0–9.
    pub(crate) fn digits(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The lengths of the digit groups, in order.
    pub(crate) fn groups(&self) -> &[u8] {
        &self.groups[..self.ngroups]
    }

    /// Written as one run of digits, with nothing else.
    pub(crate) fn is_plain(&self) -> bool {
        self.ngroups == 1 && !self.plus && self.seps == 0
    }

    /// Only these separators (bits) appear, and no `+`.
    fn only_seps(&self, allowed: u8) -> bool {
        !self.plus && self.seps & !allowed == 0
    }
}

/// What a numeric value looks like, before any column context.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NumericShape {
    /// `#####-#######-#` (or with spaces), province digit 1–7.
    pub(crate) cnic: bool,
    /// 13 plain digits, province digit 1–7: a CNIC only where the column says so.
    pub(crate) plain_cnic: bool,
    /// `#######-#`.
    pub(crate) ntn: bool,
    /// 7 or 8 plain digits: an NTN only where the column says so.
    pub(crate) plain_ntn: bool,
    /// A Pakistani mobile number in one of its national or international forms.
    pub(crate) mobile: bool,
    /// 10 digits `3XXXXXXXXX`: a mobile number whose leading 0 a spreadsheet dropped; only
    /// where the column says so.
    pub(crate) plain_mobile: bool,
    /// A Pakistani landline number with area code.
    pub(crate) landline: bool,
    /// A payment card number.
    pub(crate) card: bool,
    /// 13 digits whose last is a valid EAN-13 check digit (a barcode, 1 in 10 CNICs too).
    pub(crate) ean13: bool,
    /// 13 digits that read as a Unix time in milliseconds between 2000 and 2040.
    pub(crate) epoch_millis: bool,
}

/// The shape of a numeric skeleton.
pub(crate) fn shape(d: &Digits) -> NumericShape {
    let digits = d.digits();
    let groups = d.groups();
    let mut s = NumericShape::default();
    if digits.len() == 13 {
        let province = matches!(digits[0], 1..=7);
        s.cnic = province && groups == [5, 7, 1] && d.only_seps(SPACE | DASH);
        s.plain_cnic = province && d.is_plain();
        if d.is_plain() {
            s.ean13 = ean13_valid(digits);
            let n = digits.iter().fold(0_u64, |n, &x| n * 10 + u64::from(x));
            s.epoch_millis = (946_684_800_000..2_208_988_800_000).contains(&n);
        }
    }
    s.ntn = groups == [7, 1] && d.only_seps(DASH);
    s.plain_ntn = matches!(digits.len(), 7 | 8) && d.is_plain();
    match phone(d) {
        Some(Phone::Mobile) => s.mobile = true,
        Some(Phone::Landline) => s.landline = true,
        Some(Phone::MobileWithoutZero) => s.plain_mobile = true,
        None => {}
    }
    s.card = is_card(d);
    s
}

/// A phone number's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phone {
    Mobile,
    Landline,
    MobileWithoutZero,
}

/// Leading two digits of Pakistani geographic area codes (021 Karachi, 042 Lahore, 051
/// Islamabad, 091 Peshawar, 081 Quetta, 0992 Abbottabad, 05822 Muzaffarabad, ...). Codes
/// beginning 1 (UAN, emergency), 3 (mobile), 80/90 (toll-free, premium) are not here.
const AREA_PREFIXES: [u8; 46] = [
    21, 22, 23, 24, 25, 29, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58, 61, 62,
    63, 64, 65, 66, 67, 68, 71, 72, 74, 81, 82, 83, 84, 85, 86, 91, 92, 93, 94, 96,
];
/// More area-code prefixes (KP's 097x, 098x, 099x).
const AREA_PREFIXES_MORE: [u8; 3] = [97, 98, 99];

fn is_area_prefix(two: u8) -> bool {
    AREA_PREFIXES.contains(&two) || AREA_PREFIXES_MORE.contains(&two)
}

/// A Pakistani phone number: strip the country code (`+92`, `0092`, `92`) or trunk `0`, then
/// check the national significant number (NSN).
fn phone(d: &Digits) -> Option<Phone> {
    let digits = d.digits();
    // Separators phones are written with; a `/` or `:` never reaches here.
    if d.seps & !(SPACE | DASH | DOT | PAREN) != 0 || digits.len() < 9 {
        return None;
    }
    let nsn = if d.plus {
        // `+92 300 ...`, also `+92 (0)300 ...`.
        let rest = digits.strip_prefix(&[9, 2])?;
        rest.strip_prefix(&[0]).unwrap_or(rest)
    } else if let Some(rest) = digits.strip_prefix(&[0, 0, 9, 2]) {
        rest.strip_prefix(&[0]).unwrap_or(rest)
    } else if digits.starts_with(&[0, 0]) {
        // Another country's international prefix.
        return None;
    } else if let Some(rest) = digits.strip_prefix(&[0]) {
        rest
    } else if let Some(rest) = digits.strip_prefix(&[9, 2]) {
        // `92` without a plus: only as a group of its own (`92 300 1234567`) or in front of a
        // complete mobile NSN (`923001234567`); any other 11–12 digits starting 92 are too
        // common to call a phone.
        let own_group = d.groups().first() == Some(&2);
        let mobile = rest.len() == 10 && rest.first() == Some(&3);
        if !(own_group || mobile) {
            return None;
        }
        rest
    } else {
        let shape_ok = digits.len() == 10 && digits[0] == 3 && matches!(digits[1], 0..=7);
        return (shape_ok && d.only_seps(SPACE | DASH)).then_some(Phone::MobileWithoutZero);
    };
    match nsn {
        [3, 0..=7, ..] if nsn.len() == 10 => Some(Phone::Mobile),
        [a, b, rest @ ..] if matches!(nsn.len(), 9 | 10) && is_area_prefix(a * 10 + b) => {
            // UAN numbers (`021-111-123-456`) belong to organisations.
            (!rest.starts_with(&[1, 1, 1])).then_some(Phone::Landline)
        }
        _ => None,
    }
}

/// A payment card number: 14–19 digits, written plain or in groups of 3–6 separated by spaces
/// or dashes, in a known issuer range of the right length, Luhn valid.
fn is_card(d: &Digits) -> bool {
    let digits = d.digits();
    let grouped_ok = d.groups().len() == 1 || d.groups().iter().all(|g| (3..=6).contains(g));
    if !(14..=19).contains(&digits.len()) || !d.only_seps(SPACE | DASH) || !grouped_ok {
        return false;
    }
    issuer_length_ok(digits) && luhn_valid(digits)
}

/// Whether the number's prefix is a known issuer range and its length one that issuer uses.
fn issuer_length_ok(digits: &[u8]) -> bool {
    let prefix = |n: usize| digits.iter().take(n).fold(0_u32, |p, &x| p * 10 + u32::from(x));
    let len = digits.len();
    let (p2, p3, p4) = (prefix(2), prefix(3), prefix(4));
    match digits.first() {
        // Visa. Its 13-digit numbers, no longer issued, are left out: 13 plain digits are a
        // CNIC, a barcode or an order id far more often.
        Some(4) => matches!(len, 16 | 19),
        // Mastercard 51–55.
        Some(5) => (51..=55).contains(&p2) && len == 16,
        // PayPak (Pakistan's domestic scheme) 2205, Mastercard 2221–2720.
        Some(2) => (p4 == 2205 || (2221..=2720).contains(&p4)) && len == 16,
        // American Express 34, 37; JCB 3528–3589; Diners 300–305, 36, 38.
        Some(3) => match p2 {
            34 | 37 => len == 15,
            35 => (3528..=3589).contains(&p4) && (16..=19).contains(&len),
            36 | 38 => len == 14,
            30 => (300..=305).contains(&p3) && len == 14,
            _ => false,
        },
        // Discover 6011, 644–649, 65; UnionPay 62.
        Some(6) => {
            (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 || p2 == 62) && (16..=19).contains(&len)
        }
        _ => false,
    }
}

/// The Luhn (mod 10) check over all digits, the last being the check digit.
pub(crate) fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            let x = u32::from(x);
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 { y - 9 } else { y }
            } else {
                x
            }
        })
        .sum();
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// The EAN-13 check: weights 1, 3, 1, 3, ... over the first 12 digits.
pub(crate) fn ean13_valid(digits: &[u8]) -> bool {
    let [body @ .., check] = digits else {
        return false;
    };
    if digits.len() != 13 {
        return false;
    }
    let sum: u32 = body.iter().enumerate().map(|(i, &x)| u32::from(x) * if i % 2 == 0 { 1 } else { 3 }).sum();
    (10 - sum % 10) % 10 == u32::from(*check)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn shape_of(value: &str) -> NumericShape {
        Digits::parse(value).map(|d| shape(&d)).unwrap_or_default()
    }

    /// What [`Digits::parse`] must find: its digits, groups, `+` and separators, as a plain
    /// reading of the value (no limits on digits or groups) gives them.
    fn parse_reference(value: &str) -> Option<(Vec<u8>, Vec<u8>, bool, u8)> {
        let (mut digits, mut groups, mut plus, mut seps) = (Vec::new(), Vec::<u8>::new(), false, 0);
        let mut in_group = false;
        for c in value.chars() {
            if let Some(v) = digit_value(c) {
                if !in_group {
                    groups.push(0);
                    in_group = true;
                }
                digits.push(v);
                *groups.last_mut()? += 1;
                continue;
            }
            in_group = false;
            match c {
                '+' if digits.is_empty() && !plus && seps & !PAREN == 0 => plus = true,
                ' ' | '\u{00A0}' => seps |= SPACE,
                '-' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' => seps |= DASH,
                '.' => seps |= DOT,
                '(' | ')' => seps |= PAREN,
                _ => return None,
            }
        }
        let fits = !digits.is_empty() && digits.len() <= MAX_DIGITS && groups.len() <= MAX_GROUPS;
        fits.then_some((digits, groups, plus, seps))
    }

    proptest! {
        #[test]
        fn parse_reads_as_the_reference(v in "[0-9۰-۹٠-٩+\\-. ()a\u{00A0}\u{2013}]{0,40}") {
            let got = Digits::parse(&v).map(|d| (d.digits().to_vec(), d.groups().to_vec(), d.plus, d.seps));
            prop_assert_eq!(got, parse_reference(&v), "{}", v);
        }
    }

    #[test]
    fn luhn_accepts_valid_and_refuses_one_digit_off() {
        let card = [4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
        assert!(luhn_valid(&card));
        let mut off = card;
        off[15] = 2;
        assert!(!luhn_valid(&off));
        assert!(luhn_valid(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 3]));
        assert!(!luhn_valid(&[]));
    }

    #[test]
    fn ean13_check_digit() {
        // 4006381333931 is a textbook EAN-13.
        assert!(ean13_valid(&[4, 0, 0, 6, 3, 8, 1, 3, 3, 3, 9, 3, 1]));
        assert!(!ean13_valid(&[4, 0, 0, 6, 3, 8, 1, 3, 3, 3, 9, 3, 2]));
        assert!(!ean13_valid(&[1, 2, 3]));
    }

    #[test]
    fn cnic_needs_a_province_digit_and_dashes_to_stand_alone() {
        assert!(shape_of("35202-1234567-1").cnic);
        assert!(shape_of("42101 1234567 2").cnic);
        assert!(shape_of("۳۵۲۰۲-۱۲۳۴۵۶۷-۱").cnic);
        for bad in ["05202-1234567-1", "85202-1234567-1", "95202-1234567-1"] {
            assert!(!shape_of(bad).cnic, "{bad}");
        }
        assert!(!shape_of("3520212345671").cnic);
        assert!(shape_of("3520212345671").plain_cnic);
        assert!(!shape_of("8520212345671").plain_cnic);
        assert!(!shape_of("35202-123456-71").cnic);
        assert!(!shape_of("+35202-1234567-1").cnic);
    }

    #[test]
    fn ntn_shapes() {
        assert!(shape_of("1234567-8").ntn);
        assert!(!shape_of("1234567 8").ntn);
        assert!(shape_of("12345678").plain_ntn);
        assert!(shape_of("1234567").plain_ntn);
        assert!(!shape_of("123456").plain_ntn);
    }

    #[test]
    fn mobile_forms() {
        for v in [
            "03001234567",
            "0300-1234567",
            "0300 123 4567",
            "+923001234567",
            "+92 300 1234567",
            "+92-300-1234567",
            "+92 (0)300 1234567",
            "00923451234567",
            "0092 345 1234567",
            "923211234567",
            "92 321 1234567",
            "(0300) 1234567",
        ] {
            assert!(shape_of(v).mobile, "{v}");
        }
        for v in ["03801234567", "0300123456", "030012345678", "+44 300 1234567", "+1 300 123 4567"] {
            assert!(!shape_of(v).mobile, "{v}");
        }
        assert!(shape_of("3001234567").plain_mobile);
        assert!(!shape_of("34.12.109.250").plain_mobile);
        assert!(!shape_of("3001234567").mobile);
    }

    #[test]
    fn landline_forms_and_uan() {
        for v in [
            "021-35678901",
            "042 35761234",
            "(051) 2345678",
            "+92 21 3567 8901",
            "+92-51-2345678",
            "0092 42 35761234",
            "92 42 35761234",
            "0992-123456",
            "091-5701234",
        ] {
            assert!(shape_of(v).landline, "{v}");
        }
        for v in [
            "111-123-456",
            "021-111-123-456",
            "+92 21 111 123 456",
            "0800-12345",
            "0501234567",
            "+44 20 7946 0958",
            "+971 4 123 4567",
            "00971501234567",
            "2025-01-13",
            "01-02-2025",
            "13.01.2025",
        ] {
            let s = shape_of(v);
            assert!(!s.landline && !s.mobile, "{v}");
        }
    }

    #[test]
    fn cards_need_issuer_length_and_luhn() {
        for v in [
            "4111111111111111",
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "5500 0000 0000 0004",
            "3782 822463 10005",
            "6011111111111117",
            "2221000000000009",
            "6200000000000005",
        ] {
            assert!(shape_of(v).card, "{v}");
        }
        for v in [
            "4111111111111112",
            "1111111111111117",
            "4111 11111111 1111 1",
            "35202-1234567-1",
            "4111111111111111111111",
            "4222222222222",
        ] {
            assert!(!shape_of(v).card, "{v}");
        }
    }

    #[test]
    fn epoch_millis_and_ean13_flags() {
        assert!(shape_of("1733500000000").epoch_millis);
        assert!(!shape_of("3520212345671").epoch_millis);
    }
}
