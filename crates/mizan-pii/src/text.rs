//! Finding personal data in free text (an appeal's summary, a reviewer's note), with the byte
//! range of each match.
//!
//! Numbers are found as runs of digit groups joined by the separators people write (`-`, `.`,
//! spaces, brackets, a leading `+`); each candidate slice is then judged by the same
//! recognisers as a column value, longest first. Digits inside a word are no number anyone
//! wrote, and are skipped: a group must not touch a letter or digit on either side (`AP-9AF`,
//! hex digests), nor continue a figure (`0.0000001765625`, `10:30`, `3,520`). Groups joined
//! only by `-` or `.` belong together (`35202-1234567-1` never yields the NTN-shaped
//! `1234567-1`); a space may start a new number. Free text has no column name, so 13 plain
//! digits with a province digit are reported as a CNIC with [`Certainty::Broad`]: a false
//! alarm costs a rewrite, a miss publishes an identity. Person names are not looked for.

use std::ops::Range;

use crate::context::ColumnContext;
use crate::numeric::digit_value;
use crate::value::{Shapes, classify, is_ip, resolve};
use crate::{Kind, email, iban};

/// How sure a match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Certainty {
    /// The matched text has the kind's shape on its own (dashes, check digits, `+92`).
    Shape,
    /// 13 plain digits with a valid province digit: reported as a CNIC because text gives no
    /// column name to ask, though some are other numbers (a barcode, an order id).
    Broad,
}

/// Personal data found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// What was found.
    pub kind: Kind,
    /// Where, in bytes of the text (on `char` boundaries).
    pub range: Range<usize>,
    /// How sure.
    pub certainty: Certainty,
}

/// Every CNIC, NTN, phone number, IBAN, e-mail address, card number and IP address in `text`,
/// in order, none overlapping.
///
/// ```
/// use mizan_pii::{find_in_text, Kind};
///
/// let text = "CNIC 35202-1234567-1, call 0300 1234567 or write to a.person@example.pk";
/// let kinds: Vec<Kind> = find_in_text(text).iter().map(|m| m.kind).collect();
/// assert_eq!(kinds, [Kind::Cnic, Kind::MobilePhone, Kind::Email]);
/// ```
#[must_use]
pub fn find_in_text(text: &str) -> Vec<Match> {
    let mut found = Vec::new();
    numbers(text, &mut found);
    emails(text, &mut found);
    ibans(text, &mut found);
    addresses_with_colons(text, &mut found);
    // Longest first at each start, then drop what overlaps an earlier match.
    found.sort_by(|a, b| a.range.start.cmp(&b.range.start).then(b.range.end.cmp(&a.range.end)));
    let mut kept: Vec<Match> = Vec::with_capacity(found.len());
    for m in found {
        if kept.last().is_none_or(|k| m.range.start >= k.range.end) {
            kept.push(m);
        }
    }
    kept
}

/// A run of digits.
#[derive(Debug, Clone, Copy)]
struct Group {
    /// Byte offset where the candidate starts (including a `+` or `(` just before the digits).
    start: usize,
    end: usize,
    /// May a number start here?
    can_start: bool,
    /// Digits in the group.
    len: usize,
}

/// Separators allowed between the groups of one number.
fn is_gap(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{00A0}' | '\u{2010}'..='\u{2013}')
}

fn is_digit(c: char) -> bool {
    digit_value(c).is_some()
}

/// The character before byte `i`, and the one before that.
fn before(text: &str, i: usize) -> (Option<char>, Option<char>) {
    let mut it = text[..i].chars().rev();
    (it.next(), it.next())
}

/// Whether a number may end at byte `end`: not followed by a letter or digit, nor by a joiner
/// and a digit (`1.5`, `10:30`, `3,520`, `1/2`).
fn can_end(text: &str, end: usize) -> bool {
    let mut it = text[end..].chars();
    match (it.next(), it.next()) {
        (Some(c), _) if c.is_alphanumeric() => false,
        (Some('-' | '.' | ',' | '/' | ':'), Some(d)) => !is_digit(d),
        _ => true,
    }
}

/// Whether a number may start with the character `prev` before it (`prev2` before that).
fn can_start_after(prev: Option<char>, prev2: Option<char>) -> bool {
    match prev {
        Some(c) if c.is_alphanumeric() => false,
        Some('.' | ',' | '/' | ':') => !prev2.is_some_and(is_digit),
        _ => true,
    }
}

fn numbers(text: &str, found: &mut Vec<Match>) {
    let mut groups: Vec<Group> = Vec::new();
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if !is_digit(c) {
            continue;
        }
        let mut end = i + c.len_utf8();
        let mut len = 1;
        while let Some(&(j, d)) = iter.peek() {
            if !is_digit(d) {
                break;
            }
            end = j + d.len_utf8();
            len += 1;
            iter.next();
        }
        // Does this group continue the previous run? Only across at most 3 separators.
        let gap = groups.last().map(|g| &text[g.end..i]);
        let joined = gap.is_some_and(|s| s.chars().count() <= 3 && s.chars().all(is_gap));
        if !joined {
            judge_run(text, &groups, found);
            groups.clear();
        }
        let mut start = i;
        let (prev, prev2) = before(text, i);
        let can_start = if joined {
            // A new number may start after a space, not after `-` or `.` alone.
            gap.is_some_and(|s| s.contains([' ', '\u{00A0}']))
        } else if matches!(prev, Some('+' | '(')) {
            start -= 1;
            let (p, p2) = before(text, start);
            can_start_after(p, p2)
        } else {
            can_start_after(prev, prev2)
        };
        groups.push(Group { start, end, can_start, len });
    }
    judge_run(text, &groups, found);
}

/// Judges the candidates of one run of groups, longest first from each start.
fn judge_run(text: &str, groups: &[Group], found: &mut Vec<Match>) {
    let none = ColumnContext::default();
    let mut i = 0;
    while i < groups.len() {
        let mut next = i + 1;
        if groups[i].can_start {
            let last = (i + 7).min(groups.len() - 1);
            for j in (i..=last).rev() {
                let digits: usize = groups[i..=j].iter().map(|g| g.len).sum();
                if digits > 24 || !can_end(text, groups[j].end) {
                    continue;
                }
                let range = groups[i].start..groups[j].end;
                let s = classify(&text[range.clone()]);
                let (kind, certainty) = if s.has(Shapes::PLAIN_CNIC) {
                    (Some(Kind::Cnic), Certainty::Broad)
                } else {
                    (resolve(s, &none), Certainty::Shape)
                };
                if let Some(kind) = kind {
                    found.push(Match { kind, range, certainty });
                    next = j + 1;
                    break;
                }
            }
        }
        i = next;
    }
}

/// Characters of a local part, as [`email::local_ok`] allows them.
fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c)
}

fn emails(text: &str, found: &mut Vec<Match>) {
    for (at, _) in text.match_indices('@') {
        let local_start = text[..at]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| is_local_char(c))
            .last()
            .map_or(at, |(i, _)| i);
        // Leading punctuation (`'`, `.`) belongs to the sentence, not the address.
        let local = text[local_start..at].trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
        let start = at - local.len();
        let domain_len = text[at + 1..]
            .char_indices()
            .find(|&(_, c)| !(c.is_alphanumeric() || c == '.' || c == '-'))
            .map_or(text.len() - at - 1, |(i, _)| i);
        let domain = text[at + 1..at + 1 + domain_len].trim_end_matches(['.', '-']);
        if email::local_ok(local) && email::domain_ok(domain) {
            found.push(Match {
                kind: Kind::Email,
                range: start..at + 1 + domain.len(),
                certainty: Certainty::Shape,
            });
        }
    }
}

fn ibans(text: &str, found: &mut Vec<Match>) {
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices(['P', 'p']) {
        let prev_ok = !before(text, i).0.is_some_and(char::is_alphanumeric);
        if !prev_ok || !bytes.get(i + 1).is_some_and(|b| b.eq_ignore_ascii_case(&b'k')) {
            continue;
        }
        // 24 characters, single spaces allowed between them.
        let mut n = 0;
        let mut end = i;
        let mut k = i;
        while k < bytes.len() && n < 24 {
            let b = bytes[k];
            if b.is_ascii_alphanumeric() {
                n += 1;
                end = k + 1;
            } else if !(b == b' ' && n > 0 && bytes.get(k + 1).is_some_and(u8::is_ascii_alphanumeric)) {
                break;
            }
            k += 1;
        }
        let clean_end = !text[end..].chars().next().is_some_and(char::is_alphanumeric);
        if n == 24 && clean_end && iban::is_pk_iban(&text[i..end]) {
            found.push(Match { kind: Kind::Iban, range: i..end, certainty: Certainty::Shape });
        }
    }
}

fn addresses_with_colons(text: &str, found: &mut Vec<Match>) {
    let mut start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        if !c.is_whitespace() {
            start.get_or_insert(i);
            continue;
        }
        let Some(s) = start.take() else { continue };
        let token = &text[s..i];
        // IPv6 addresses, and IPv4 ones with a port (the digit runs stop at `:`).
        if !token.contains(':') {
            continue;
        }
        let trimmed_start = token.trim_start_matches(['(', '<', '"', '\'']);
        let trimmed = trimmed_start.trim_end_matches(['.', ',', ';', ')', '>', '"', '\'']);
        if trimmed.is_empty() || !is_ip(trimmed) {
            continue;
        }
        let from = s + (token.len() - trimmed_start.len());
        found.push(Match {
            kind: Kind::IpAddress,
            range: from..from + trimmed.len(),
            certainty: Certainty::Shape,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each match as `kind:text`.
    fn check(text: &str, expect: &[&str]) {
        let got: Vec<String> =
            find_in_text(text).into_iter().map(|m| format!("{}:{}", m.kind, &text[m.range])).collect();
        assert_eq!(got, expect, "{text}");
    }

    #[test]
    fn finds_what_the_app_finder_finds() {
        check("id 35202-1234567-1 here", &["cnic:35202-1234567-1"]);
        check("3520212345671", &["cnic:3520212345671"]);
        check("call 0300 1234567", &["mobile-phone:0300 1234567"]);
        check("+92-300-1234567", &["mobile-phone:+92-300-1234567"]);
        check("<dd>03001234567</dd>", &["mobile-phone:03001234567"]);
        check("write to a.person@example.pk now", &["email:a.person@example.pk"]);
        check("CNIC 35202-1234567-1.", &["cnic:35202-1234567-1"]);
    }

    #[test]
    fn leaves_dates_amounts_ids_and_hex_alone() {
        check("median days 0.0000001765625, share 0.5", &[]);
        check("2026-12-07T05:03:36.123456Z, 85000, v1, AP-9AFJFMT12D", &[]);
        check("hmac-sha256:ab03146801642cd 24d3c03146801642f", &[]);
        check("The income of PKR 140,000 was checked against 3 salary slips.", &[]);
        check("an @ sign alone, or me@localhost", &[]);
        check("dated 13/01/2025 at 10:30, UAN 111-123-456, ref 85202-1234567-1", &[]);
    }

    #[test]
    fn finds_the_other_kinds() {
        check(
            "NTN 1234567-8; Karachi office (021) 35678901; IBAN PK36 SCBL 0000 0011 2345 6702.",
            &["ntn:1234567-8", "landline:(021) 35678901", "iban:PK36 SCBL 0000 0011 2345 6702"],
        );
        check(
            "card 4111 1111 1111 1111 from 192.168.1.10 and 2001:db8::1 (10.0.0.1:8080), two numbers 0300 1234567 0321 7654321",
            &[
                "payment-card:4111 1111 1111 1111",
                "ip-address:192.168.1.10",
                "ip-address:2001:db8::1",
                "ip-address:10.0.0.1:8080",
                "mobile-phone:0300 1234567",
                "mobile-phone:0321 7654321",
            ],
        );
        check("London +44 20 7946 0958, Dubai +971 50 123 4567", &[]);
    }
}
