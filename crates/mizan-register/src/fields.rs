//! The field catalogue of a transparency record.
//!
//! The fields are the union of the Dutch algorithm-register publication standard, the UK
//! Algorithmic Transparency Recording Standard (tiers 1 and 2) and EU AI Act Annex VIII
//! section A. `sources` records where each field comes from so a reviewer can trace it.

/// What kind of value a field holds; decides validation and the form widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text in English and/or Urdu (`{"en": "...", "ur": "..."}`).
    Text {
        /// Rendered as a multi-line text area.
        multiline: bool,
    },
    /// One of a fixed list of codes.
    Choice(&'static [&'static str]),
    /// A calendar date `YYYY-MM-DD`.
    Date,
    /// A list of `https://` links.
    Links,
    /// A list of language codes from [`LANGUAGES`].
    Languages,
    /// One e-mail address.
    Email,
    /// Plain single-language text (names of suppliers, model families).
    Plain,
}

/// One field of the record: its limits and whether the public sees it.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    /// Stable key used in JSON, forms, CSV columns and translations (`field-<key>`).
    pub key: &'static str,
    /// The kind of value.
    pub kind: FieldKind,
    /// Shown in the public transparency record.
    pub public: bool,
    /// Must be filled before the system can be submitted for registration.
    pub required: bool,
    /// Maximum length in characters of each text (per language) or each list item.
    pub max_len: usize,
    /// Maximum number of list items, for list kinds.
    pub max_items: usize,
    /// Which standards ask for this field.
    pub sources: &'static str,
}

/// Sector codes; labels live in the translation files as `sector-<code>`.
pub const SECTORS: &[&str] = &[
    "finance",
    "health",
    "education",
    "public-administration",
    "taxation",
    "law-enforcement",
    "justice",
    "transport",
    "agriculture",
    "telecommunications",
    "energy",
    "social-protection",
    "employment",
    "identity",
    "other",
];

/// Deployment status of the system itself (distinct from its register lifecycle status).
pub const DEPLOYMENT_STATUSES: &[&str] = &["planned", "pilot", "in-use", "withdrawn"];

/// Languages a system can serve people in (ISO 639 codes).
pub const LANGUAGES: &[&str] = &["en", "ur", "pa", "sd", "ps", "bal", "skr", "brh", "ks"];

const fn text(key: &'static str, required: bool, max_len: usize, sources: &'static str) -> FieldSpec {
    FieldSpec {
        key,
        kind: FieldKind::Text { multiline: true },
        public: true,
        required,
        max_len,
        max_items: 1,
        sources,
    }
}

/// Every field of a transparency record, in display order.
pub const FIELDS: &[FieldSpec] = &[
    FieldSpec {
        key: "name",
        kind: FieldKind::Text { multiline: false },
        public: true,
        required: true,
        max_len: 200,
        max_items: 1,
        sources: "NL name; ATRS 1.1; AIA VIII A(1)",
    },
    FieldSpec {
        key: "short_description",
        kind: FieldKind::Text { multiline: false },
        public: true,
        required: true,
        max_len: 500,
        max_items: 1,
        sources: "NL description; ATRS 1.2",
    },
    FieldSpec {
        key: "organisation_unit",
        kind: FieldKind::Plain,
        public: true,
        required: false,
        max_len: 200,
        max_items: 1,
        sources: "NL organisation; ATRS 2.1.1",
    },
    FieldSpec {
        key: "sector",
        kind: FieldKind::Choice(SECTORS),
        public: true,
        required: true,
        max_len: 40,
        max_items: 1,
        sources: "ATRS 2.1.2",
    },
    text("purpose", true, 4000, "NL goal; ATRS 1.3, 2.2.1; AIA VIII A(7)"),
    text("intended_use", true, 4000, "AIA VIII A(7); ATRS 2.2.2"),
    text("deployment_context", true, 4000, "NL application; ATRS 2.2.3"),
    text("affected_persons", true, 2000, "NL impact; ATRS 2.4.3"),
    text("legal_basis", true, 2000, "NL legal basis; ATRS 2.3.2"),
    text("human_oversight", true, 4000, "NL human intervention; ATRS 2.2.4; AIA Art. 14"),
    text("appeals_mechanism", true, 2000, "NL remedies; ATRS 1.5, 2.2.5"),
    text("data_development", true, 4000, "NL data; ATRS 2.4.1; AIA VIII A(7)"),
    text("data_operational", true, 4000, "NL data; ATRS 2.4.2"),
    FieldSpec {
        key: "model_type",
        kind: FieldKind::Plain,
        public: true,
        required: true,
        max_len: 500,
        max_items: 1,
        sources: "ATRS 2.3.4; AIA VIII A(7)",
    },
    FieldSpec {
        key: "supplier",
        kind: FieldKind::Plain,
        public: true,
        required: false,
        max_len: 300,
        max_items: 1,
        sources: "NL provider; ATRS 2.1.3; AIA VIII A(1)-(3)",
    },
    text("risk_management", true, 4000, "NL risk management; ATRS 2.5; AIA Art. 9"),
    FieldSpec {
        key: "impact_assessments",
        kind: FieldKind::Links,
        public: true,
        required: false,
        max_len: 500,
        max_items: 10,
        sources: "NL impact assessment; ATRS 2.5.1; AIA Art. 27",
    },
    FieldSpec {
        key: "instructions_url",
        kind: FieldKind::Links,
        public: true,
        required: false,
        max_len: 500,
        max_items: 3,
        sources: "AIA VIII A(8)",
    },
    FieldSpec {
        key: "contact_email",
        kind: FieldKind::Email,
        public: true,
        required: true,
        max_len: 254,
        max_items: 1,
        sources: "NL contact; ATRS 1.4; AIA VIII A(2)",
    },
    FieldSpec {
        key: "deployment_status",
        kind: FieldKind::Choice(DEPLOYMENT_STATUSES),
        public: true,
        required: true,
        max_len: 20,
        max_items: 1,
        sources: "NL status; ATRS 2.1.4; AIA VIII A(6)",
    },
    FieldSpec {
        key: "languages",
        kind: FieldKind::Languages,
        public: true,
        required: true,
        max_len: 3,
        max_items: 9,
        sources: "NL languages",
    },
    FieldSpec {
        key: "start_date",
        kind: FieldKind::Date,
        public: true,
        required: false,
        max_len: 10,
        max_items: 1,
        sources: "NL begin date; ATRS 2.1.5",
    },
    FieldSpec {
        key: "end_date",
        kind: FieldKind::Date,
        public: true,
        required: false,
        max_len: 10,
        max_items: 1,
        sources: "NL end date",
    },
    FieldSpec {
        key: "internal_notes",
        kind: FieldKind::Text { multiline: true },
        public: false,
        required: false,
        max_len: 4000,
        max_items: 1,
        sources: "internal only",
    },
];

/// Looks a field up by key.
#[must_use]
pub fn field(key: &str) -> Option<&'static FieldSpec> {
    FIELDS.iter().find(|f| f.key == key)
}
