//! E-mail addresses: `local@domain.tld`, checked as practice writes them rather than as RFC
//! 5322 allows (quoted local parts and address literals are not personal data anyone uploads).

/// Characters allowed in a local part besides letters and digits.
const LOCAL_PUNCT: &[u8] = b".!#$%&'*+/=?^_`{|}~-";

/// Whether `value` (trimmed) is an e-mail address.
pub(crate) fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    local_ok(local) && domain_ok(domain)
}

/// The local part: 1–64 bytes of letters, digits and [`LOCAL_PUNCT`], no leading, trailing
/// or doubled dot.
pub(crate) fn local_ok(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.as_bytes().windows(2).any(|w| w == b"..")
        && local.bytes().all(|b| b.is_ascii_alphanumeric() || LOCAL_PUNCT.contains(&b))
}

/// The domain: at least two dot-separated labels of letters, digits and inner hyphens (non-ASCII
/// letters allowed, for internationalised names), the last alphabetic and at least 2 long.
pub(crate) fn domain_ok(domain: &str) -> bool {
    if domain.len() > 253 {
        return false;
    }
    let mut labels = 0;
    let mut last = "";
    for label in domain.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-');
        if !ok {
            return false;
        }
        labels += 1;
        last = label;
    }
    let tld_ok =
        last.chars().count() >= 2 && (last.chars().all(char::is_alphabetic) || last.starts_with("xn--"));
    labels >= 2 && tld_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        for v in ["a.person@example.pk", "x_y+tag@mail.gov.pk", "ali123@gmail.com", "a@b.co"] {
            assert!(is_email(v), "{v}");
        }
        for v in [
            "me@localhost",
            "@example.pk",
            "a@.pk",
            "a..b@x.pk",
            "a@b@c.pk",
            "a b@x.pk",
            "a@x.p",
            "a@x.123",
            "a@-x.pk",
            "plain text",
        ] {
            assert!(!is_email(v), "{v}");
        }
    }
}
