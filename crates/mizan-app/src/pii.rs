//! Finds what must never be published: a CNIC number, a Pakistani mobile number or an e-mail
//! address, in free text a person or a reviewer wrote.
//!
//! Used twice: to refuse a public summary of an appeal that holds one, and (by the tests) to
//! scan every public output. Deliberately broad: a false alarm costs a reviewer a rewrite, a
//! miss publishes someone's identity. Runs of digits inside a word (hex digests, ids such as
//! `AP-9AFJFMT12D`) are not numbers anyone wrote, and are skipped.

use std::fmt;

/// Personal data found in a text, with the text that looked like it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// 13 digits, with or without the dashes of `35202-1234567-1`.
    Cnic(String),
    /// A mobile number: `03001234567`, `+923001234567`, with or without separators.
    Phone(String),
    /// Something shaped like `name@domain.tld`.
    Email(String),
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Cnic(s) => write!(f, "a CNIC-like number `{s}`"),
            Found::Phone(s) => write!(f, "a phone-like number `{s}`"),
            Found::Email(s) => write!(f, "an e-mail-like address `{s}`"),
        }
    }
}

/// The first CNIC number, mobile number or e-mail address in `text`, if any; addresses in
/// `allowed` (published on purpose, such as a provider's contact address) are not reported.
#[must_use]
pub fn find(text: &str, allowed: &[String]) -> Option<Found> {
    // Runs of digits with the separators people write between them.
    let mut run = String::new();
    let mut runs = Vec::new();
    let mut prev = ' ';
    let mut in_word = false;
    for c in text.chars() {
        if c.is_ascii_digit() || (!run.is_empty() && matches!(c, '-' | ' ' | '+')) {
            if run.is_empty() {
                // Digits inside a word, or after a decimal point (the fraction of a figure such
                // as `0.0000001765625`), are no identity or phone number.
                in_word = prev.is_alphanumeric() || prev == '.';
            }
            run.push(c);
        } else {
            let ends_clean = run.ends_with(|x: char| !x.is_ascii_digit()) || !c.is_alphanumeric();
            if !run.is_empty() && !in_word && ends_clean {
                runs.push(std::mem::take(&mut run));
            }
            run.clear();
        }
        prev = c;
    }
    if !in_word && !run.is_empty() {
        runs.push(run);
    }
    for r in runs {
        let d: String = r.chars().filter(char::is_ascii_digit).collect();
        let shown = r.trim_end_matches(['-', ' ', '+']).to_owned();
        if d.len() == 13 && !d.starts_with("92") {
            return Some(Found::Cnic(shown));
        }
        if (d.len() == 11 && d.starts_with("03")) || (d.len() == 12 && d.starts_with("923")) {
            return Some(Found::Phone(shown));
        }
    }
    email(text, allowed).map(Found::Email)
}

fn email(text: &str, allowed: &[String]) -> Option<String> {
    const LOCAL: &str = ".!#$%&'*+/=?^_`{|}~-";
    for (i, _) in text.match_indices('@') {
        let before = text[..i].chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric());
        let domain: String = text[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
            .collect();
        let mut local: Vec<char> =
            text[..i].chars().rev().take_while(|c| c.is_ascii_alphanumeric() || LOCAL.contains(*c)).collect();
        local.reverse();
        let address = format!("{}@{domain}", local.into_iter().collect::<String>());
        if before && domain.contains('.') && !domain.ends_with('.') && !allowed.contains(&address) {
            return Some(address);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expect: Option<&str>) {
        assert_eq!(find(text, &[]).map(|f| f.to_string()).as_deref(), expect, "{text}");
    }

    #[test]
    fn a_decimal_fraction_is_no_number_of_a_person() {
        assert_eq!(find("median days 0.0000001765625, share 0.5", &[]), None);
        assert!(matches!(find("CNIC 35202-1234567-1.", &[]), Some(Found::Cnic(_))));
    }

    #[test]
    fn finds_identity_numbers_phones_and_addresses() {
        check("id 35202-1234567-1 here", Some("a CNIC-like number `35202-1234567-1`"));
        check("3520212345671", Some("a CNIC-like number `3520212345671`"));
        check("call 0300 1234567", Some("a phone-like number `0300 1234567`"));
        check("+92-300-1234567", Some("a phone-like number `92-300-1234567`"));
        check("<dd>03001234567</dd>", Some("a phone-like number `03001234567`"));
        check("write to a.person@example.pk now", Some("an e-mail-like address `a.person@example.pk`"));
    }

    #[test]
    fn leaves_dates_amounts_ids_and_hex_alone() {
        check("2026-12-07T05:03:36.123456Z, 85000, v1, AP-9AFJFMT12D", None);
        check("hmac-sha256:ab03146801642cd 24d3c03146801642f", None);
        check("The income of PKR 140,000 was checked against 3 salary slips.", None);
        check("an @ sign alone, or me@localhost", None);
        assert_eq!(find("write to ai@bank.pk", &["ai@bank.pk".to_owned()]), None);
    }
}
