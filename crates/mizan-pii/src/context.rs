//! What a column's name says about its values: the kinds it announces ("hints") and the kinds
//! it rules out.
//!
//! A name is split into lower-case words on `_`, `-`, `.`, `/`, spaces and camelCase
//! (`fatherName`, `CNICNo` → `cnic no`); Arabic-script letters are folded to their Urdu forms
//! (Arabic `ي`, `ك` to Urdu `ی`, `ک`) so both keyboards match. Multi-word phrases are matched
//! before single words, so `id_card` and `شناختی کارڈ` announce a CNIC and not a payment card.
//! This runs once per column, so it may allocate.

use crate::Kind;

/// Phrases (sequences of words) and the kind they announce; tried before single words, and the
/// words they cover are not looked up again.
const PHRASES: &[(&[&str], Kind, &str)] = &[
    (&["id", "card"], Kind::Cnic, "id card"),
    (&["identity", "card"], Kind::Cnic, "identity card"),
    (&["national", "id"], Kind::Cnic, "national id"),
    (&["national", "identity"], Kind::Cnic, "national identity"),
    (&["b", "form"], Kind::Cnic, "b form"),
    (&["شناختی", "کارڈ"], Kind::Cnic, "شناختی کارڈ"),
    (&["tax", "number"], Kind::Ntn, "tax number"),
    (&["tax", "no"], Kind::Ntn, "tax no"),
    (&["tax", "id"], Kind::Ntn, "tax id"),
    (&["ٹیکس", "نمبر"], Kind::Ntn, "ٹیکس نمبر"),
    (&["این", "ٹی", "این"], Kind::Ntn, "این ٹی این"),
    (&["e", "mail"], Kind::Email, "e-mail"),
    (&["ای", "میل"], Kind::Email, "ای میل"),
    (&["ip", "address"], Kind::IpAddress, "ip address"),
];

/// Single words and the kind they announce. Phone words announce both phone kinds.
const WORDS: &[(&str, Kind)] = &[
    ("cnic", Kind::Cnic),
    ("nic", Kind::Cnic),
    ("nicop", Kind::Cnic),
    ("poc", Kind::Cnic),
    ("bform", Kind::Cnic),
    ("idcard", Kind::Cnic),
    ("شناختی", Kind::Cnic),
    ("ntn", Kind::Ntn),
    ("ntnno", Kind::Ntn),
    ("taxno", Kind::Ntn),
    ("phone", Kind::MobilePhone),
    ("phoneno", Kind::MobilePhone),
    ("mobile", Kind::MobilePhone),
    ("mobileno", Kind::MobilePhone),
    ("mob", Kind::MobilePhone),
    ("cell", Kind::MobilePhone),
    ("cellphone", Kind::MobilePhone),
    ("cellno", Kind::MobilePhone),
    ("contact", Kind::MobilePhone),
    ("contactno", Kind::MobilePhone),
    ("tel", Kind::MobilePhone),
    ("telephone", Kind::MobilePhone),
    ("landline", Kind::MobilePhone),
    ("whatsapp", Kind::MobilePhone),
    ("msisdn", Kind::MobilePhone),
    ("fax", Kind::MobilePhone),
    ("موبائل", Kind::MobilePhone),
    ("فون", Kind::MobilePhone),
    ("ٹیلیفون", Kind::MobilePhone),
    ("رابطہ", Kind::MobilePhone),
    ("iban", Kind::Iban),
    ("account", Kind::Iban),
    ("acct", Kind::Iban),
    ("اکاؤنٹ", Kind::Iban),
    ("email", Kind::Email),
    ("mail", Kind::Email),
    ("emailaddress", Kind::Email),
    ("ای‌میل", Kind::Email),
    ("card", Kind::PaymentCard),
    ("creditcard", Kind::PaymentCard),
    ("debitcard", Kind::PaymentCard),
    ("pan", Kind::PaymentCard),
    ("کارڈ", Kind::PaymentCard),
    ("ip", Kind::IpAddress),
    ("ipv4", Kind::IpAddress),
    ("ipv6", Kind::IpAddress),
    ("ipaddress", Kind::IpAddress),
];

/// Words that make `name` in the same column name something other than a person's name.
const NOT_PERSON: &[&str] = &[
    "district",
    "city",
    "town",
    "village",
    "tehsil",
    "province",
    "country",
    "region",
    "area",
    "bank",
    "branch",
    "company",
    "business",
    "org",
    "organisation",
    "organization",
    "school",
    "college",
    "university",
    "institute",
    "hospital",
    "clinic",
    "product",
    "item",
    "brand",
    "model",
    "file",
    "host",
    "domain",
    "table",
    "column",
    "field",
    "scheme",
    "program",
    "programme",
    "project",
    "course",
    "department",
    "dept",
    "shop",
    "store",
    "street",
    "road",
    "user",
    "login",
    "system",
    "app",
    "device",
    "server",
    "role",
    "category",
    "type",
    "event",
    "campaign",
    "team",
    "group",
    "station",
    "facility",
    "unit",
    "sector",
    "office",
    "ministry",
    "division",
    "vendor",
    "supplier",
    "merchant",
    "crop",
    "disease",
    "drug",
    "medicine",
    "feature",
    "variable",
    "dataset",
    "sheet",
    "mouza",
    "union",
    "council",
    "constituency",
    "ضلع",
    "شہر",
    "بینک",
    "کمپنی",
    "گاؤں",
    "تحصیل",
    "صوبہ",
    "ادارہ",
    "سکول",
    "اسکول",
    "محکمہ",
];

/// Prefixes that, joined to `name` in one word (`fullname`, `fathername`), mean a person.
const PERSON_PREFIXES: &[&str] = &[
    "",
    "full",
    "first",
    "last",
    "middle",
    "sur",
    "given",
    "family",
    "father",
    "mother",
    "husband",
    "wife",
    "spouse",
    "guardian",
    "applicant",
    "customer",
    "client",
    "person",
    "patient",
    "student",
    "employee",
    "member",
    "nominee",
    "beneficiary",
    "candidate",
    "owner",
    "holder",
    "contact",
];

/// Words that mean a person's name alone (Urdu `ولدیت` is "parentage", the father's name).
const NAME_WORDS: &[&str] = &["naam", "نام", "ولدیت", "ولد", "اسم"];

/// Words after which a dotted quad is a version, not an address.
const NOT_IP: &[&str] = &["version", "ver", "release", "build", "semver", "oid", "firmware"];

/// Words after which 13 digits are some other number (EAN-13 barcodes, order ids, times in
/// milliseconds): the value-share rule for plain CNICs does not apply.
const NOT_CNIC: &[&str] = &[
    "barcode",
    "ean",
    "gtin",
    "upc",
    "isbn",
    "order",
    "invoice",
    "txn",
    "transaction",
    "timestamp",
    "ts",
    "time",
    "epoch",
    "tracking",
    "sku",
    "serial",
    "ref",
    "reference",
    "receipt",
    "msisdn",
    "imei",
];

/// What a column's name says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnContext {
    /// For each kind (by [`Kind::index`]), the word of the name that announced it.
    hints: [Option<&'static str>; Kind::ALL.len()],
    not_ip: bool,
    not_card: bool,
    not_cnic: bool,
}

impl ColumnContext {
    /// Reads a column name.
    #[must_use]
    pub fn new(column_name: &str) -> ColumnContext {
        let words = split_words(column_name);
        let mut ctx = ColumnContext::default();
        let mut covered = vec![false; words.len()];
        for &(phrase, kind, shown) in PHRASES {
            for start in 0..words.len() {
                let end = start + phrase.len();
                if end <= words.len() && words[start..end].iter().zip(phrase).all(|(w, p)| w == p) {
                    ctx.hint(kind, shown);
                    covered[start..end].iter_mut().for_each(|c| *c = true);
                }
            }
        }
        for (i, word) in words.iter().enumerate() {
            let w = word.as_str();
            if !covered[i] {
                if let Some(&(shown, kind)) = WORDS.iter().find(|(x, _)| *x == w) {
                    ctx.hint(kind, shown);
                } else if w.starts_with("cnic") {
                    ctx.hint(Kind::Cnic, "cnic");
                }
            }
            ctx.not_ip |= NOT_IP.contains(&w);
            ctx.not_cnic |= NOT_CNIC.contains(&w);
        }
        if let Some(shown) = person_name_word(&words) {
            ctx.hint(Kind::PersonName, shown);
        }
        // A phone word announces both phone kinds.
        if let Some(shown) = ctx.hints[Kind::MobilePhone.index()] {
            ctx.hint(Kind::Landline, shown);
        }
        // An account number that is not a card's: card-shaped values are some bank's account
        // numbers (16 digits pass Luhn one time in ten).
        ctx.not_card =
            ctx.hints[Kind::Iban.index()].is_some() && ctx.hints[Kind::PaymentCard.index()].is_none();
        ctx
    }

    /// This context, taking `kind` as announced (its hint word is the kind's id): the context
    /// of a column flagged as `kind` by value share alone, to pick out which of its cells
    /// match (the 13 plain digits of a header-less CNIC column, say).
    #[must_use]
    pub fn assuming(mut self, kind: Kind) -> ColumnContext {
        self.hint(kind, kind.id());
        if kind == Kind::MobilePhone {
            self.hint(Kind::Landline, kind.id());
        }
        self
    }

    fn hint(&mut self, kind: Kind, word: &'static str) {
        self.hints[kind.index()].get_or_insert(word);
    }

    /// The word of the column name that announced `kind`, if any.
    #[must_use]
    pub fn hint_for(&self, kind: Kind) -> Option<&'static str> {
        self.hints[kind.index()]
    }

    pub(crate) fn not_ip(&self) -> bool {
        self.not_ip
    }

    pub(crate) fn not_card(&self) -> bool {
        self.not_card
    }

    pub(crate) fn not_cnic(&self) -> bool {
        self.not_cnic
    }
}

/// The word announcing a person's name, if the name announces one: `name` (or a word ending in
/// it after a [`PERSON_PREFIXES`] entry) with no [`NOT_PERSON`] word beside it, or an Urdu or
/// romanised word for "name".
fn person_name_word(words: &[String]) -> Option<&'static str> {
    if words.iter().any(|w| NOT_PERSON.contains(&w.as_str())) {
        return None;
    }
    for w in words {
        if let Some(&shown) = NAME_WORDS.iter().find(|x| **x == w) {
            return Some(shown);
        }
        if let Some(prefix) = w.strip_suffix("name")
            && PERSON_PREFIXES.contains(&prefix)
        {
            return Some("name");
        }
    }
    None
}

/// Lower-case words of a column name.
pub(crate) fn split_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = name.chars().map(fold_arabic).collect();
    for (i, &c) in chars.iter().enumerate() {
        if !(c.is_alphanumeric() || is_mark(c)) {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_uppercase() && !cur.is_empty() {
            let prev = chars.get(i.wrapping_sub(1)).copied().unwrap_or(' ');
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            // `fatherName`, `CNICNo`: a word starts at a capital after a lower-case letter or
            // digit, or at the last capital of a run followed by a lower-case letter.
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next.is_lowercase()) {
                words.push(std::mem::take(&mut cur));
            }
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// Arabic letters Urdu writes with its own code points: yeh and kaf (and their variants).
fn fold_arabic(c: char) -> char {
    match c {
        '\u{064A}' | '\u{0649}' => '\u{06CC}',
        '\u{0643}' => '\u{06A9}',
        _ => c,
    }
}

/// Combining marks of Arabic script and the zero-width non-joiner, part of a word.
pub(crate) fn is_mark(c: char) -> bool {
    matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{200C}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(name: &str) -> Vec<String> {
        split_words(name)
    }

    #[test]
    fn splits_snake_kebab_space_and_camel_case() {
        assert_eq!(words("father_name"), ["father", "name"]);
        assert_eq!(words("fatherName"), ["father", "name"]);
        assert_eq!(words("CNICNo"), ["cnic", "no"]);
        assert_eq!(words("Mobile-No 2"), ["mobile", "no", "2"]);
        assert_eq!(words("شناختی کارڈ نمبر"), ["شناختی", "کارڈ", "نمبر"]);
    }

    fn hinted(name: &str) -> Vec<Kind> {
        let ctx = ColumnContext::new(name);
        Kind::ALL.into_iter().filter(|k| ctx.hint_for(*k).is_some()).collect()
    }

    #[test]
    fn hints() {
        assert_eq!(hinted("CNIC"), [Kind::Cnic]);
        assert_eq!(hinted("cnic_no"), [Kind::Cnic]);
        assert_eq!(hinted("applicantCnicNumber"), [Kind::Cnic]);
        assert_eq!(hinted("id_card"), [Kind::Cnic]);
        assert_eq!(hinted("شناختی کارڈ نمبر"), [Kind::Cnic]);
        assert_eq!(hinted("شناختي كارڈ"), [Kind::Cnic], "Arabic yeh and kaf");
        assert_eq!(hinted("card_number"), [Kind::PaymentCard]);
        assert_eq!(hinted("NTN"), [Kind::Ntn]);
        assert_eq!(hinted("Tax Number"), [Kind::Ntn]);
        assert_eq!(hinted("contact_no"), [Kind::MobilePhone, Kind::Landline]);
        assert_eq!(hinted("موبائل نمبر"), [Kind::MobilePhone, Kind::Landline]);
        assert_eq!(hinted("E-mail"), [Kind::Email]);
        assert_eq!(hinted("ای میل"), [Kind::Email]);
        assert_eq!(hinted("client_ip"), [Kind::IpAddress]);
        assert_eq!(hinted("full_name"), [Kind::PersonName]);
        assert_eq!(hinted("FatherName"), [Kind::PersonName]);
        assert_eq!(hinted("والد کا نام"), [Kind::PersonName]);
        assert_eq!(hinted("applicant_name"), [Kind::PersonName]);
        for none in ["district", "district_name", "bank_name", "username", "filename", "clinic", "nickname_x"]
        {
            assert_eq!(hinted(none), [], "{none}");
        }
    }

    #[test]
    fn negatives() {
        assert!(ColumnContext::new("app_version").not_ip());
        assert!(ColumnContext::new("order_id").not_cnic());
        assert!(ColumnContext::new("account_number").not_card());
        assert!(!ColumnContext::new("card_account").not_card());
    }
}
