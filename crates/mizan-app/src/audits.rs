//! Fairness audits in the platform: a decisions file, or a system's own logged decisions over
//! a time window, turned into the engine's report, its self-contained page and the public
//! summary. No HTTP here: `routes/audits.rs` calls these from the provider's and the
//! regulator's pages and API.
//!
//! Every number comes from `mizan-fairness` (through `mizan-fairness-io`, which reads files and
//! counts records) and every rendering from `mizan-fairness-report`; this module only chooses
//! the settings, names the source and decides what the public may see.
//!
//! Logged decisions carry no true outcome, so by default they are audited as decisions alone
//! (`GroundTruth::Absent`): selection rates, demographic parity and impact ratios, with every
//! label-dependent number listed in the report as not computed. A provider who records the
//! outcome in a feature (say `repaid`) can name it as the label, and then everything is
//! computed. An uploaded file must name its label column, as `mizan audit fairness` does, so
//! its report can be reproduced with the command line it records.
//!
//! The public summary keeps the verdicts (outcome and threshold, not the values, which a
//! group too small to disclose can move) and the size of every group of at least
//! [`DISCLOSURE_MIN`] decisions; smaller groups are only counted, and the audit's total is left
//! out so that no small group's size can be had by subtraction.

use std::collections::BTreeSet;
use std::path::Path;

use mizan_fairness::aif360::{PrivilegedError, in_feature_order, parse_privileged, privileged_group};
use mizan_fairness::report::{self, GroundTruth, Report};
use mizan_fairness::{Correction, EdgeMode, bootstrap, preset};
use mizan_fairness_io::{Bounds, ReadError, Rows, Spec};

use crate::limits::Limits;
use mizan_fairness_report::{Document, Source};
use mizan_store::{AuditInfo, AuditSource, Auditor, LoggedRecord, NewAudit};

use crate::Error;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Groups with fewer decisions are never shown to the public (their size, rates and names
/// stay in the provider's and regulator's report). A fixed platform rule rather than the
/// preset's minimum, which is 1 for `nyc-ll144`.
pub const DISCLOSURE_MIN: u64 = 30;
/// The field of a logged decision that holds the decision.
pub const DECISION: &str = "output";
/// Format of the public summary.
pub const SUMMARY_FORMAT: &str = "mizan.fairness.summary/1";
/// Groups smaller than this are flagged as too small to judge (as the command line's default).
const MIN_ROWS: u64 = 30;
/// Groups with fewer favourable or unfavourable decisions are flagged (as the command line).
const MIN_EVENTS: u64 = 5;
/// Bootstrap replicates and seed (as the command line's defaults).
const BOOTSTRAP: u32 = 1000;
const SEED: u64 = 0;
/// At most this many sensitive features (their intersections multiply).
const MAX_SENSITIVE: usize = 5;
/// Longest column or value name accepted.
const MAX_NAME: usize = 200;
/// In an audit of logged decisions, a sensitive or control value seen in fewer decisions is
/// not named in the report (a value so rare could be a person's own).
pub const LABEL_MIN: u64 = 10;
/// Logged decisions read per page.
pub const PAGE: i64 = 5000;
/// Feature names remembered to list in an error.
const MAX_SEEN: usize = 200;

/// A problem with what the user sent: the field at fault and a message in either language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The form field or parameter at fault.
    pub field: String,
    /// Fluent key of the message (`audit-err-...`).
    pub key: &'static str,
    /// The message's arguments.
    pub args: Vec<(&'static str, String)>,
}

impl InputError {
    fn new(field: &str, key: &'static str, args: &[(&'static str, String)]) -> Self {
        InputError { field: field.to_owned(), key, args: args.to_vec() }
    }
}

/// The key and arguments, for logs; people read the message translated (the server's
/// `audit-err-...` messages).
impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`: {}", self.field, self.key)?;
        for (name, value) in &self.args {
            write!(f, " {name}=`{value}`")?;
        }
        Ok(())
    }
}

/// What is audited: an uploaded file, or the system's logged decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A decisions file: label and decision are columns.
    Upload,
    /// Logged decisions: the decision is `output`, the rest are feature names.
    Logged,
}

/// The columns and settings as sent (form fields, query or JSON), before checking.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RawParams {
    /// Column (file) or feature (logged decisions) with the true outcome. Required for a file;
    /// for logged decisions, leave it out to audit the decisions alone.
    #[serde(default)]
    pub label: Option<String>,
    /// Column with the decision (files only; logged decisions use their `output`).
    #[serde(default)]
    pub prediction: Option<String>,
    /// Sensitive columns or features; groups are every combination of their values.
    #[serde(default)]
    pub sensitive: Vec<String>,
    /// Control column or feature: groups are compared within each of its values.
    #[serde(default)]
    pub control: Option<String>,
    /// Sample weight column or feature.
    #[serde(default)]
    pub weight: Option<String>,
    /// The favourable value of label and decision; inferred for 0/1, -1/1 and true/false.
    #[serde(default)]
    pub pos_label: Option<String>,
    /// A fairness standard: `pk-national`, `eu-ai-act-data-governance`, `nyc-ll144` or
    /// `us-four-fifths`.
    #[serde(default)]
    pub preset: Option<String>,
    /// The privileged group of AIF360's comparisons: one `feature=value` per sensitive
    /// feature, comma-separated (`sex=male,region=Punjab`).
    #[serde(default)]
    pub privileged: Option<String>,
}

fn list(v: &str) -> Vec<String> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn some(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

impl RawParams {
    /// Reads form or query fields (`sensitive` comma-separated or repeated); `extra` names the
    /// fields the caller reads itself.
    ///
    /// # Errors
    /// An unknown field.
    pub fn from_fields(fields: &[(String, String)], extra: &[&str]) -> Result<RawParams, InputError> {
        let mut r = RawParams::default();
        for (k, v) in fields {
            match k.as_str() {
                "label" => r.label = some(v),
                "prediction" => r.prediction = some(v),
                "sensitive" => r.sensitive.extend(list(v)),
                "control" => r.control = some(v),
                "weight" => r.weight = some(v),
                "pos_label" => r.pos_label = some(v),
                "preset" => r.preset = some(v),
                "privileged" => r.privileged = some(v),
                other if extra.contains(&other) || other == "lang" => {}
                other => {
                    return Err(InputError::new(
                        other,
                        "audit-err-unknown-field",
                        &[("field", other.to_owned())],
                    ));
                }
            }
        }
        Ok(r)
    }
}

/// Checked columns and settings: what the audit runs with and records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Params {
    /// Label column or feature (`None`: decisions only).
    pub label: Option<String>,
    /// Decision column (`output` for logged decisions).
    pub prediction: String,
    /// Sensitive columns or features.
    pub sensitive: Vec<String>,
    /// Control column or feature.
    pub control: Option<String>,
    /// Weight column or feature.
    pub weight: Option<String>,
    /// The favourable value, as given.
    pub pos_label: Option<String>,
    /// Preset name.
    pub preset: Option<String>,
    /// The privileged group of AIF360's comparisons, one (feature, value) per sensitive
    /// feature in their order.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "pairs_text")]
    pub privileged: Option<Vec<(String, String)>>,
    /// Groups below this many rows are flagged as too small to judge.
    pub min_group_size: u64,
    /// Groups with fewer favourable or unfavourable decisions are flagged.
    pub min_events: u64,
    /// Bootstrap replicates.
    pub bootstrap: u32,
    /// Bootstrap seed.
    pub seed: u64,
    /// Correction across comparisons.
    pub correction: &'static str,
    /// Groups below this size are left out of the public summary.
    pub disclosure_threshold: u64,
}

/// Writes a privileged group as people type it: `sex=male,region=Punjab`.
#[expect(clippy::ref_option, reason = "the signature serde's `serialize_with` calls")]
fn pairs_text<S: serde::Serializer>(v: &Option<Vec<(String, String)>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(pairs) => s.serialize_str(&privileged_text(pairs)),
        None => s.serialize_none(),
    }
}

fn privileged_text(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(f, v)| format!("{f}={v}")).collect::<Vec<_>>().join(",")
}

/// A privileged group the engine refused, as a message naming the feature.
fn privileged_error(e: &PrivilegedError) -> InputError {
    let (key, args): (&'static str, Vec<(&'static str, String)>) = match e {
        PrivilegedError::Malformed(part) => ("audit-err-privileged-malformed", vec![("part", part.clone())]),
        PrivilegedError::NotSensitive { feature, features } => (
            "audit-err-privileged-feature",
            vec![("feature", feature.clone()), ("features", features.clone())],
        ),
        PrivilegedError::Missing(feature) => {
            ("audit-err-privileged-missing", vec![("feature", feature.clone())])
        }
        PrivilegedError::Twice(feature) => ("audit-err-privileged-twice", vec![("feature", feature.clone())]),
        PrivilegedError::Absent { feature, value, values } => (
            "audit-err-privileged-absent",
            vec![("feature", feature.clone()), ("value", value.clone()), ("values", values.clone())],
        ),
    };
    InputError::new("privileged", key, &args)
}

/// Checks a privileged group's shape against the sensitive features (its values are checked
/// against the data once it is read), in the features' order.
fn check_privileged(text: &str, sensitive: &[String]) -> Result<Vec<(String, String)>, InputError> {
    let pairs = parse_group(text)?;
    let values = in_feature_order(sensitive, &pairs).map_err(|e| privileged_error(&e))?;
    Ok(sensitive.iter().cloned().zip(values).collect())
}

/// A privileged group as written: at least one `feature=value` pair, each feature once.
fn parse_group(text: &str) -> Result<Vec<(String, String)>, InputError> {
    check_name("privileged", text)?;
    let pairs = parse_privileged(text).map_err(|e| privileged_error(&e))?;
    if pairs.is_empty() {
        return Err(InputError::new("privileged", "audit-err-privileged-empty", &[]));
    }
    let features: Vec<String> = pairs.iter().map(|(f, _)| f.clone()).collect();
    in_feature_order(&features, &pairs).map_err(|e| privileged_error(&e))?;
    Ok(pairs)
}

/// `raw` with the version's declared privileged group when the caller named none: the
/// declared value of each sensitive feature, if the declaration covers them all.
fn with_declared(mut raw: RawParams, declared: Option<String>) -> RawParams {
    if raw.privileged.is_none()
        && let Some(pairs) = declared.as_deref().and_then(|d| parse_privileged(d).ok())
    {
        let chosen: Option<Vec<String>> = raw
            .sensitive
            .iter()
            .map(|f| pairs.iter().find(|(g, _)| g == f).map(|(g, v)| format!("{g}={v}")))
            .collect();
        raw.privileged = chosen.map(|c| c.join(","));
    }
    raw
}

fn check_name(field: &str, v: &str) -> Result<(), InputError> {
    if v.chars().count() > MAX_NAME || v.chars().any(char::is_control) {
        return Err(InputError::new(field, "audit-err-name", &[("max", MAX_NAME.to_string())]));
    }
    Ok(())
}

impl Params {
    /// Checks `raw` for `kind`.
    ///
    /// # Errors
    /// A missing label (files) or decision column, no or too many sensitive columns, a column
    /// named twice, a name too long, an unknown preset.
    pub fn check(raw: RawParams, kind: Kind) -> Result<Params, InputError> {
        let prediction = match kind {
            Kind::Logged => {
                if raw.prediction.as_deref().is_some_and(|p| p != DECISION) {
                    return Err(InputError::new("prediction", "audit-err-logged-prediction", &[]));
                }
                DECISION.to_owned()
            }
            Kind::Upload => raw
                .prediction
                .ok_or_else(|| InputError::new("prediction", "audit-err-prediction-required", &[]))?,
        };
        if kind == Kind::Upload && raw.label.is_none() {
            return Err(InputError::new("label", "audit-err-label-required", &[]));
        }
        if raw.sensitive.is_empty() {
            return Err(InputError::new("sensitive", "audit-err-sensitive-required", &[]));
        }
        if raw.sensitive.len() > MAX_SENSITIVE {
            return Err(InputError::new(
                "sensitive",
                "audit-err-sensitive-many",
                &[("max", MAX_SENSITIVE.to_string())],
            ));
        }
        for (i, s) in raw.sensitive.iter().enumerate() {
            if raw.sensitive[..i].contains(s) {
                return Err(InputError::new("sensitive", "audit-err-twice", &[("column", s.clone())]));
            }
        }
        let named = [("label", &raw.label), ("control", &raw.control), ("weight", &raw.weight)];
        for (field, v) in named.iter().filter_map(|(f, v)| v.as_ref().map(|v| (*f, v))) {
            check_name(field, v)?;
        }
        for s in &raw.sensitive {
            check_name("sensitive", s)?;
        }
        check_name("prediction", &prediction)?;
        if let Some(p) = &raw.pos_label {
            check_name("pos_label", p)?;
        }
        if let Some(c) = &raw.control
            && raw.sensitive.contains(c)
        {
            return Err(InputError::new("control", "audit-err-control-sensitive", &[("column", c.clone())]));
        }
        if let Some(p) = &raw.preset
            && preset::find(p).is_none()
        {
            let names: Vec<String> = preset::builtin().iter().map(|p| format!("`{}`", p.name)).collect();
            return Err(InputError::new(
                "preset",
                "audit-err-preset",
                &[("preset", p.clone()), ("presets", names.join(", "))],
            ));
        }
        let privileged =
            raw.privileged.as_deref().map(|t| check_privileged(t, &raw.sensitive)).transpose()?;
        Ok(Params {
            label: raw.label,
            prediction,
            sensitive: raw.sensitive,
            control: raw.control,
            weight: raw.weight,
            pos_label: raw.pos_label,
            preset: raw.preset,
            privileged,
            min_group_size: MIN_ROWS,
            min_events: MIN_EVENTS,
            bootstrap: BOOTSTRAP,
            seed: SEED,
            correction: Correction::Holm.name(),
            disclosure_threshold: DISCLOSURE_MIN,
        })
    }

    /// The reader's spec within `bounds`; without a label, the decision stands in for it.
    fn spec(&self, bounds: Bounds) -> Spec {
        Spec {
            label: self.label.clone().unwrap_or_else(|| self.prediction.clone()),
            prediction: self.prediction.clone(),
            sensitive: self.sensitive.clone(),
            control: self.control.clone(),
            weight: self.weight.clone(),
            pos_label: self.pos_label.clone(),
            bounds,
        }
    }

    /// Which field of the form named `column`.
    fn field_of(&self, column: &str) -> &'static str {
        if self.label.as_deref() == Some(column) {
            "label"
        } else if self.prediction == column {
            "prediction"
        } else if self.sensitive.iter().any(|s| s == column) {
            "sensitive"
        } else if self.control.as_deref() == Some(column) {
            "control"
        } else if self.weight.as_deref() == Some(column) {
            "weight"
        } else {
            "file"
        }
    }

    fn config(&self, ground_truth: GroundTruth, privileged: Option<Vec<String>>) -> report::Config {
        report::Config {
            privileged,
            mode: EdgeMode::Honest,
            min_rows: self.min_group_size,
            min_events: self.min_events,
            preset: self.preset.as_deref().and_then(preset::find),
            correction: Correction::Holm,
            bootstrap: bootstrap::Config {
                replicates: self.bootstrap,
                seed: self.seed,
                ..bootstrap::Config::default()
            },
            ground_truth,
            ..report::Config::default()
        }
    }

    /// The parameters as stored with the audit.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What the engine's reader refused, as a message naming the column, row or line.
fn read_error(e: &ReadError, p: &Params) -> InputError {
    match e {
        ReadError::Io { .. } => InputError::new("file", "audit-err-unreadable", &[]),
        ReadError::Empty { .. } => InputError::new("file", "audit-err-empty", &[]),
        ReadError::MissingColumn { column, present, .. } => InputError::new(
            p.field_of(column),
            "audit-err-missing-column",
            &[("column", column.clone()), ("present", present.clone())],
        ),
        ReadError::Csv { line, message, .. } => InputError::new(
            "file",
            "audit-err-csv",
            &[("line", line.to_string()), ("message", message.clone())],
        ),
        ReadError::MissingCell { column, row, value, .. }
        | ReadError::MissingValue { column, row, value, .. } => InputError::new(
            p.field_of(column),
            "audit-err-missing-value",
            &[("column", column.clone()), ("row", row.to_string()), ("value", value.clone())],
        ),
        ReadError::NotBinary { column, values } => InputError::new(
            "pos_label",
            "audit-err-not-binary",
            &[("column", column.clone()), ("values", values.clone())],
        ),
        ReadError::PosLabelAbsent { pos, label, prediction } => InputError::new(
            "pos_label",
            "audit-err-pos-absent",
            &[("pos", pos.clone()), ("label", label.clone()), ("prediction", prediction.clone())],
        ),
        ReadError::BadWeight { column, row, value } => InputError::new(
            "weight",
            "audit-err-weight",
            &[("column", column.clone()), ("row", row.to_string()), ("value", value.clone())],
        ),
        ReadError::Columnar { format, message, .. } => InputError::new(
            "file",
            "audit-err-columnar",
            &[("format", (*format).to_owned()), ("message", message.clone())],
        ),
        ReadError::ColumnType { column, data_type, .. } => InputError::new(
            p.field_of(column),
            "audit-err-column-type",
            &[("column", column.clone()), ("type", data_type.clone())],
        ),
        ReadError::TooManyGroups { column, limit } => InputError::new(
            p.field_of(column),
            "audit-err-groups",
            &[("column", column.clone()), ("max", limit.to_string())],
        ),
        ReadError::TooManyIntersections { columns, found, limit } => InputError::new(
            "sensitive",
            "audit-err-intersections",
            &[("columns", columns.clone()), ("found", found.to_string()), ("max", limit.to_string())],
        ),
        ReadError::ValueTooLong { column, row, chars, limit } => InputError::new(
            p.field_of(column),
            "audit-err-value-long",
            &[
                ("column", column.clone()),
                ("row", row.to_string()),
                ("chars", chars.to_string()),
                ("max", limit.to_string()),
            ],
        ),
        ReadError::DecompressedChunk { column, row_group, declared, limit, .. } => InputError::new(
            "file",
            "audit-err-decompressed-chunk",
            &[
                ("column", column.clone()),
                ("group", row_group.to_string()),
                ("declared", declared.to_string()),
                ("max", limit.to_string()),
            ],
        ),
        ReadError::DecompressedFile { declared, limit, .. } => InputError::new(
            "file",
            "audit-err-decompressed-file",
            &[("declared", declared.to_string()), ("max", limit.to_string())],
        ),
        ReadError::Engine(e) => InputError::new("file", "audit-err-engine", &[("message", e.to_string())]),
    }
}

/// An audit ready to store.
#[derive(Debug, Clone)]
pub struct Computed {
    /// Rows audited.
    pub rows: i64,
    /// SHA-256 of what was audited (the file, or the logged decisions' leaf hashes).
    pub sha256: String,
    /// The `mizan.fairness.audit/1` document.
    pub report_json: String,
    /// The self-contained page.
    pub report_html: String,
    /// The public summary.
    pub summary_json: String,
}

fn compute(
    cells: &mizan_fairness::Cells,
    source: Source,
    p: &Params,
    ground_truth: GroundTruth,
    reproduce: &str,
    limits: &Limits,
) -> Result<Computed, InputError> {
    let privileged = match &p.privileged {
        None => None,
        Some(pairs) => Some(privileged_group(cells, pairs).map_err(|e| privileged_error(&e))?),
    };
    let built = report::build(cells, &p.config(ground_truth, privileged));
    let sha256 = source.sha256.clone();
    let doc = Document::new(&built, source, env!("CARGO_PKG_VERSION"), reproduce);
    let report_json = mizan_fairness_report::json(&doc)
        .map_err(|e| InputError::new("file", "audit-err-engine", &[("message", e.to_string())]))?;
    let computed = Computed {
        rows: i64::try_from(built.rows).unwrap_or(i64::MAX),
        sha256,
        report_html: mizan_fairness_report::html(&doc),
        summary_json: serde_json::to_string(&PublicSummary::of(&built)).unwrap_or_default(),
        report_json,
    };
    // Stored audits can never be removed: refuse one larger than the limit before it is.
    let size = computed.report_json.len() + computed.report_html.len() + computed.summary_json.len();
    if size > limits.audit_report_bytes {
        return Err(InputError::new(
            "sensitive",
            "audit-err-report-large",
            &[("size", size.to_string()), ("max", limits.audit_report_bytes.to_string())],
        ));
    }
    Ok(computed)
}

/// Quotes `s` for a POSIX shell when it needs it.
fn sh(s: &str) -> String {
    let plain = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./,:=+@%".contains(c));
    if plain { s.to_owned() } else { format!("'{}'", s.replace('\'', r"'\''")) }
}

/// The command line that recomputes an audit of `file_name` (as `mizan audit fairness`
/// records it).
fn command(file_name: &str, p: &Params, pos_label: &str) -> String {
    let mut parts = vec![
        "mizan audit fairness".to_owned(),
        format!("--input {}", sh(file_name)),
        format!("--label {}", sh(p.label.as_deref().unwrap_or(&p.prediction))),
        format!("--prediction {}", sh(&p.prediction)),
        format!("--sensitive {}", sh(&p.sensitive.join(","))),
    ];
    if let Some(c) = &p.control {
        parts.push(format!("--control {}", sh(c)));
    }
    if let Some(w) = &p.weight {
        parts.push(format!("--weight {}", sh(w)));
    }
    parts.push(format!("--pos-label {}", sh(pos_label)));
    if let Some(x) = &p.preset {
        parts.push(format!("--preset {}", sh(x)));
    }
    if let Some(x) = &p.privileged {
        parts.push(format!("--privileged {}", sh(&privileged_text(x))));
    }
    parts.push(format!(
        "--bootstrap {} --seed {} --correction {} --min-group-size {} --min-events {}",
        p.bootstrap, p.seed, p.correction, p.min_group_size, p.min_events
    ));
    parts.join(" ")
}

/// Audits an uploaded decisions file (CSV, Parquet or Arrow IPC, recognised by its bytes)
/// within `limits`.
///
/// # Errors
/// An empty, unreadable or too large file, a missing column (listing those present), a
/// missing value (naming the row), labels that are not binary without a favourable value, bad
/// weights, and anything over a limit: too many groups or intersections, a value too long, a
/// Parquet file declaring too many decompressed bytes, a report too large to store.
pub fn audit_file(
    file_name: &str,
    bytes: &[u8],
    p: &Params,
    limits: &Limits,
) -> Result<Computed, InputError> {
    if bytes.is_empty() {
        return Err(InputError::new("file", "audit-err-empty", &[]));
    }
    if bytes.len() > limits.audit_upload_bytes {
        return Err(InputError::new(
            "file",
            "audit-err-file-large",
            &[("size", bytes.len().to_string()), ("max", limits.audit_upload_bytes.to_string())],
        ));
    }
    let loaded = mizan_fairness_io::load_bytes(Path::new(file_name), bytes, &p.spec(limits.bounds()))
        .map_err(|e| read_error(&e, p))?;
    let source = Source {
        input: file_name.to_owned(),
        sha256: loaded.sha256.clone(),
        rows: u64::try_from(loaded.rows).unwrap_or(u64::MAX),
        label: p.label.clone().unwrap_or_default(),
        prediction: p.prediction.clone(),
        pos_label: loaded.pos_label.clone(),
        weight: p.weight.clone(),
    };
    let reproduce = command(file_name, p, &loaded.pos_label);
    compute(&loaded.cells, source, p, GroundTruth::Observed, &reproduce, limits)
}

/// Start and end of a window of logged decisions, RFC 3339 UTC to the second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Inclusive start.
    pub from: String,
    /// Exclusive end.
    pub to: String,
}

fn moment(field: &str, v: &str, end_of_day: bool) -> Result<OffsetDateTime, InputError> {
    let v = v.trim();
    let bad = || InputError::new(field, "audit-err-time", &[("value", v.to_owned())]);
    if v.is_empty() {
        return Err(InputError::new(field, "audit-err-time-required", &[]));
    }
    let t = if v.len() == 10 {
        let d = time::Date::parse(v, time::macros::format_description!("[year]-[month]-[day]"))
            .map_err(|_| bad())?;
        let d = if end_of_day { d.next_day().ok_or_else(bad)? } else { d };
        d.midnight().assume_utc()
    } else {
        OffsetDateTime::parse(v, &Rfc3339).map_err(|_| bad())?
    };
    t.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).map_err(|_| bad())
}

impl Window {
    /// `from` and `to` as dates (`2026-01-31`: `to` then includes that whole day) or RFC 3339
    /// times (`to` exclusive), truncated to the second.
    ///
    /// # Errors
    /// A missing or unreadable time, or `to` not after `from`.
    pub fn parse(from: &str, to: &str) -> Result<Window, InputError> {
        let (a, b) = (moment("from", from, false)?, moment("to", to, true)?);
        if b <= a {
            return Err(InputError::new("to", "audit-err-window", &[]));
        }
        let f = |t: OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
        Ok(Window { from: f(a), to: f(b) })
    }
}

/// The text of a JSON value as the audit counts it; `None` for null.
fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

/// An audit of logged decisions, fed page by page.
#[derive(Debug)]
pub struct LoggedAudit {
    params: Params,
    name: String,
    rows: Rows,
    leaves: Sha256,
    seen: BTreeSet<String>,
    /// Each named feature, and whether any record had it.
    named: Vec<(String, bool)>,
    /// Values seen in the label feature (a few), and whether the favourable value was one.
    label_values: BTreeSet<String>,
    label_favourable: bool,
    erased: u64,
    limits: Limits,
}

impl LoggedAudit {
    /// An audit of the decisions of `version` of `system` in `window`, within `limits`.
    ///
    /// # Errors
    /// Only if `p` names no sensitive feature (checked before).
    pub fn new(
        system: &str,
        version: i64,
        window: &Window,
        p: &Params,
        limits: &Limits,
    ) -> Result<LoggedAudit, InputError> {
        let name = format!(
            "logged decisions of system {system} version {version}, {} to {}",
            window.from, window.to
        );
        let rows = Rows::new(&name, &p.spec(limits.bounds())).map_err(|e| read_error(&e, p))?;
        let named = p
            .label
            .iter()
            .chain(&p.sensitive)
            .chain(&p.control)
            .chain(&p.weight)
            .map(|f| (f.clone(), false))
            .collect();
        Ok(LoggedAudit {
            params: p.clone(),
            name,
            rows,
            leaves: Sha256::new(),
            seen: BTreeSet::new(),
            named,
            label_values: BTreeSet::new(),
            label_favourable: false,
            erased: 0,
            limits: limits.clone(),
        })
    }

    /// Counts one logged decision (an erased one is only counted as erased).
    ///
    /// # Errors
    /// A missing decision or label (naming the row), a bad weight, or decisions that are not
    /// binary without a favourable value.
    pub fn push(&mut self, d: &LoggedRecord) -> Result<(), InputError> {
        let Some(json) = &d.record_json else {
            self.erased += 1;
            return Ok(());
        };
        let record: Value = serde_json::from_str(json)
            .map_err(|e| InputError::new("file", "audit-err-engine", &[("message", e.to_string())]))?;
        self.leaves.update(d.leaf_hash.as_bytes());
        self.leaves.update(b"\n");
        let features = record.get("features").and_then(Value::as_object);
        if let Some(f) = features {
            for k in f.keys() {
                if self.seen.len() < MAX_SEEN {
                    self.seen.insert(k.clone());
                }
            }
            for (name, found) in &mut self.named {
                *found |= f.contains_key(name.as_str());
            }
        }
        let feature = |name: &str| features.and_then(|f| f.get(name)).and_then(value_text);
        let decision = record.get(DECISION).and_then(value_text);
        let p = &self.params;
        let label = match &p.label {
            Some(l) => {
                let v = feature(l);
                if let Some(v) = &v {
                    self.label_favourable |= p.pos_label.as_deref() == Some(v.trim());
                    if self.label_values.len() < 6 {
                        self.label_values.insert(v.clone());
                    }
                }
                v
            }
            None => decision.clone(),
        };
        let mut values: Vec<Option<String>> = vec![label, decision];
        values.extend(p.sensitive.iter().map(|s| feature(s)));
        values.extend(p.control.iter().map(|c| feature(c)));
        let weight = p.weight.as_deref().and_then(feature);
        let refs: Vec<Option<&str>> = values.iter().map(Option::as_deref).collect();
        self.rows.push(&refs, weight.as_deref()).map_err(|e| read_error(&e, p))
    }

    /// Decisions counted so far (erased ones aside).
    #[must_use]
    pub fn rows(&self) -> usize {
        self.rows.rows()
    }

    /// Decisions in the window that were erased and so could not be audited.
    #[must_use]
    pub fn erased(&self) -> u64 {
        self.erased
    }

    /// The report, once every page is in.
    ///
    /// # Errors
    /// No decisions in the window, a named feature that no decision has (listing the features
    /// seen), decisions that are not binary without a favourable value.
    pub fn finish(self, reproduce: &str) -> Result<Computed, InputError> {
        let p = self.params;
        if self.rows.rows() == 0 {
            let key =
                if self.erased > 0 { "audit-err-no-decisions-erased" } else { "audit-err-no-decisions" };
            return Err(InputError::new("from", key, &[("erased", self.erased.to_string())]));
        }
        if let Some((name, _)) = self.named.iter().find(|(_, found)| !found) {
            let present: Vec<String> = self.seen.iter().map(|s| format!("`{s}`")).collect();
            return Err(InputError::new(
                p.field_of(name),
                "audit-err-missing-feature",
                &[("column", name.clone()), ("present", present.join(", "))],
            ));
        }
        // The favourable value applies to label and decision alike; a label that never takes it
        // would count every outcome as unfavourable.
        if let (Some(label), Some(pos)) = (&p.label, &p.pos_label)
            && !self.label_favourable
        {
            let values: Vec<String> = self.label_values.iter().map(|v| format!("`{v}`")).collect();
            return Err(InputError::new(
                "label",
                "audit-err-label-values",
                &[("column", label.clone()), ("pos", pos.clone()), ("values", values.join(", "))],
            ));
        }
        let counted = self.rows.finish().map_err(|e| read_error(&e, &p))?;
        let mut input = self.name;
        if self.erased > 0 {
            input.push_str(&format!(" ({} erased decisions left out)", self.erased));
        }
        let source = Source {
            input,
            sha256: hex::encode(self.leaves.finalize()),
            rows: u64::try_from(counted.rows).unwrap_or(u64::MAX),
            label: p.label.clone().unwrap_or_default(),
            prediction: p.prediction.clone(),
            pos_label: counted.pos_label.clone(),
            weight: p.weight.clone(),
        };
        let truth = if p.label.is_some() { GroundTruth::Observed } else { GroundTruth::Absent };
        // A value fewer than LABEL_MIN decisions share could name a person (a free-text
        // feature); the report is kept for good, and erasure must reach it, so such a value is
        // never written: its group keeps its numbers under a withheld name.
        let cells = counted
            .cells
            .withhold_rare(LABEL_MIN, |n| format!("(withheld {n}: under {LABEL_MIN} decisions)"));
        compute(&cells, source, &p, truth, reproduce, &self.limits)
    }
}

/// The code a unit enum serializes as (`pass`, `at_most`, ...).
fn code(v: &impl Serialize) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// One verdict as the public sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicVerdict {
    /// Definition ID.
    pub metric: String,
    /// The preset's threshold.
    pub threshold: f64,
    /// `at_most` (differences) or `at_least` (ratios).
    pub bound: String,
    /// `pass`, `fail` or `insufficient_data`.
    pub outcome: String,
}

/// One group large enough to disclose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicGroup {
    /// Control stratum, if any.
    pub stratum: Option<String>,
    /// One value per sensitive feature.
    pub group: Vec<String>,
    /// Decisions in the group.
    pub rows: u64,
}

/// The public summary of an audit (`mizan.fairness.summary/1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicSummary {
    /// Always `mizan.fairness.summary/1`.
    pub format: String,
    /// Groups with fewer decisions are not shown.
    pub disclosure_threshold: u64,
    /// Whether the decisions carried the true outcome (else only selection rates were compared).
    pub labelled: bool,
    /// Sensitive features.
    pub sensitive: Vec<String>,
    /// Control feature, if any.
    pub control: Option<String>,
    /// The preset judged against.
    pub preset: Option<String>,
    /// The preset's verdicts.
    pub verdicts: Vec<PublicVerdict>,
    /// Groups of at least `disclosure_threshold` decisions, with their sizes.
    pub groups: Vec<PublicGroup>,
    /// How many non-empty groups were smaller and are not shown.
    pub suppressed_groups: u64,
}

impl PublicSummary {
    /// What the public may see of `r`.
    #[must_use]
    pub fn of(r: &Report) -> PublicSummary {
        PublicSummary {
            format: SUMMARY_FORMAT.to_owned(),
            disclosure_threshold: DISCLOSURE_MIN,
            labelled: r.labelled,
            sensitive: r.sensitive.clone(),
            control: r.control.clone(),
            preset: r.preset.clone(),
            verdicts: r
                .verdicts
                .iter()
                .map(|v| PublicVerdict {
                    metric: v.metric.clone(),
                    threshold: v.threshold,
                    bound: code(&v.bound),
                    outcome: code(&v.outcome),
                })
                .collect(),
            groups: r
                .groups
                .iter()
                .filter(|g| g.rows >= DISCLOSURE_MIN)
                .map(|g| PublicGroup { stratum: g.stratum.clone(), group: g.group.clone(), rows: g.rows })
                .collect(),
            suppressed_groups: r.groups.iter().filter(|g| g.rows > 0 && g.rows < DISCLOSURE_MIN).count()
                as u64,
        }
    }

    /// Reads a stored summary.
    ///
    /// # Errors
    /// A summary that is not valid JSON of this shape (a bug or tampering).
    pub fn parse(json: &str) -> Result<PublicSummary, crate::Error> {
        serde_json::from_str(json).map_err(|e| crate::Error::Internal(format!("stored audit summary: {e}")))
    }

    /// Whether the audit follows a standard: it names a built-in preset and groups only by
    /// sensitive attributes that preset declares. Only such audits are published; any other
    /// (no standard, or grouped by, say, monthly income into one-person groups) stays a
    /// private working document of whoever ran it, so a provider cannot publish a flattering
    /// audit of its own shape over the standard's.
    #[must_use]
    pub fn follows_standard(&self) -> bool {
        self.preset.as_deref().and_then(preset::find).is_some_and(|p| {
            !self.sensitive.is_empty() && self.sensitive.iter().all(|s| p.attributes.contains(&s.as_str()))
        })
    }

    /// Whether any verdict of its preset fails.
    #[must_use]
    pub fn fails(&self) -> bool {
        self.verdicts.iter().any(|v| v.outcome == "fail")
    }
}

/// The latest audit of each standard in `audits` (newest first), in that order: what a
/// system's bias record is judged by. An older failing audit of one standard is never hidden
/// by a newer audit of another.
#[must_use]
pub fn latest_per_standard(audits: &[PublishedAudit]) -> Vec<&PublishedAudit> {
    let mut seen = BTreeSet::new();
    audits.iter().filter(|a| seen.insert(a.summary.preset.clone())).collect()
}

/// An audit published on the register, with its summary.
#[derive(Debug, Clone)]
pub struct PublishedAudit {
    /// The stored audit.
    pub audit: mizan_store::PublicAudit,
    /// Its public summary.
    pub summary: PublicSummary,
}

/// The logged-decisions audit as it can be asked for again through the API.
fn logged_request(base: &str, api: &str, version: i64, w: &Window, p: &Params) -> String {
    let body = serde_json::json!({
        "from": w.from, "to": w.to, "label": p.label, "sensitive": p.sensitive, "control": p.control,
        "weight": p.weight, "pos_label": p.pos_label, "preset": p.preset,
        "privileged": p.privileged.as_deref().map(privileged_text),
    });
    format!("POST {base}{api}/versions/{version}/audits/logged {body}")
}

impl crate::Platform {
    /// The bias assessments the public sees for registered high-risk system `public_id`,
    /// newest first: only audits that follow a standard ([`PublicSummary::follows_standard`]).
    ///
    /// # Errors
    /// Store errors, or a stored summary that cannot be read.
    pub async fn published_audits(&self, public_id: &str) -> Result<Vec<PublishedAudit>, Error> {
        let mut out = Vec::new();
        for audit in self.store().public_audits(public_id).await? {
            let summary = PublicSummary::parse(&audit.summary_json)?;
            if summary.follows_standard() {
                out.push(PublishedAudit { audit, summary });
            }
        }
        Ok(out)
    }

    /// Audits an uploaded file of decisions for `by` (the system first: nothing is read for a
    /// system the caller may not audit) and stores the audit; nothing is stored if it is refused.
    ///
    /// # Errors
    /// [`Error::Audit`] naming the parameter, column or row at fault; store errors.
    pub async fn audit_upload(
        &self,
        by: &Auditor,
        id: &str,
        version: i64,
        name: String,
        bytes: bytes::Bytes,
        raw: RawParams,
    ) -> Result<AuditInfo, Error> {
        // The system first: nothing is read for a system the caller may not audit.
        self.store().audit_target(by.scope(), id, version).await?;
        let raw = with_declared(raw, self.declared(by, id, version).await?);
        let p = Params::check(raw, Kind::Upload)?;
        let size = i64::try_from(bytes.len()).map_err(|e| Error::Internal(e.to_string()))?;
        let permit = self.heavy_permit()?;
        let (n, params, limits) = (name.clone(), p.clone(), self.config().limits.clone());
        let computed = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            audit_file(&n, &bytes, &params, &limits)
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;
        let new = NewAudit {
            version,
            source: AuditSource::Upload { file_name: name, sha256: computed.sha256, size_bytes: size },
            rows: computed.rows,
            preset: p.preset.clone().unwrap_or_default(),
            parameters_json: p.to_json(),
            report_json: computed.report_json,
            report_html: computed.report_html,
            summary_json: computed.summary_json,
        };
        Ok(self.store().insert_audit(by, id, &new).await?)
    }

    /// Declares the privileged group of AIF360's comparisons for `version` of system `id`
    /// (`audits:run`): every later audit of that version that names none uses it. A version
    /// declares once. Returns the group as stored (`sex=male,region=Punjab`).
    ///
    /// # Errors
    /// [`Error::Refused`] without the permission; [`Error::Audit`] for a group that is not
    /// `feature=value` pairs; [`Error::Conflict`] when the version already declares one;
    /// [`Error::NotFound`] for another organisation's system.
    pub async fn declare_privileged(
        &self,
        p: &mizan_store::Principal,
        id: &str,
        version: i64,
        group: &str,
    ) -> Result<String, Error> {
        if !p.can("audits:run") {
            return Err(Error::Refused("you may not run audits".into()));
        }
        let text = privileged_text(&parse_group(group)?);
        self.store().declare_privileged(p.scope(), id, version, &text, &p.into()).await?;
        Ok(text)
    }

    /// The privileged group `version` of system `id` declared, if it did.
    async fn declared(&self, by: &Auditor, id: &str, version: i64) -> Result<Option<String>, Error> {
        let all = self.store().declared_privileged(by.scope(), id).await?;
        Ok(all.into_iter().find(|(v, _)| *v == version).map(|(_, g)| g))
    }

    /// Audits the logged decisions of `version` of `id` in `window`, page by page, and stores
    /// the audit. `api` is the path of the system's audits in the API (`/api/v1/org/systems/ID`),
    /// for the request that reproduces it, which the report records.
    ///
    /// # Errors
    /// [`Error::Audit`] naming the parameter or field at fault; store errors.
    pub async fn audit_logged(
        &self,
        by: &Auditor,
        id: &str,
        version: i64,
        window: Window,
        raw: RawParams,
        api: &str,
    ) -> Result<AuditInfo, Error> {
        self.store().audit_target(by.scope(), id, version).await?;
        let raw = with_declared(raw, self.declared(by, id, version).await?);
        let p = Params::check(raw, Kind::Logged)?;
        // Held for the whole audit, pages and report.
        let _permit = self.heavy_permit()?;
        let mut audit = LoggedAudit::new(id, version, &window, &p, &self.config().limits)?;
        let mut after = 0;
        loop {
            let page = self
                .store()
                .logged_decisions(by.scope(), id, version, &window.from, &window.to, after, PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            let full = i64::try_from(page.len()).unwrap_or(i64::MAX) >= PAGE;
            // Counting is CPU work: off the async threads, a page at a time.
            audit = tokio::task::spawn_blocking(move || {
                for d in &page {
                    audit.push(d)?;
                }
                Ok::<_, InputError>(audit)
            })
            .await
            .map_err(|e| Error::Internal(e.to_string()))??;
            if !full {
                break;
            }
        }
        let reproduce = logged_request(&self.config().base_url, api, version, &window, &p);
        let computed = tokio::task::spawn_blocking(move || audit.finish(&reproduce))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??;
        let new = NewAudit {
            version,
            source: AuditSource::Logged { from: window.from, to: window.to },
            rows: computed.rows,
            preset: p.preset.clone().unwrap_or_default(),
            parameters_json: p.to_json(),
            report_json: computed.report_json,
            report_html: computed.report_html,
            summary_json: computed.summary_json,
        };
        Ok(self.store().insert_audit(by, id, &new).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_of_dates_include_the_last_day() {
        let w = Window::parse("2026-01-01", "2026-01-31").unwrap();
        assert_eq!(w.from, "2026-01-01T00:00:00Z");
        assert_eq!(w.to, "2026-02-01T00:00:00Z");
        let w = Window::parse("2026-01-01T10:00:00.75+05:00", "2026-01-01T12:00:00Z").unwrap();
        assert_eq!(w.from, "2026-01-01T05:00:00Z");
        assert_eq!(Window::parse("2026-01-02", "2026-01-01").unwrap_err().field, "to");
        assert_eq!(Window::parse("yesterday", "2026-01-01").unwrap_err().field, "from");
        assert_eq!(Window::parse("", "2026-01-01").unwrap_err().key, "audit-err-time-required");
    }

    #[test]
    fn files_need_a_label_and_logged_decisions_do_not() {
        let raw =
            RawParams { prediction: Some("p".into()), sensitive: vec!["sex".into()], ..RawParams::default() };
        assert_eq!(Params::check(raw.clone(), Kind::Upload).unwrap_err().field, "label");
        let logged = Params::check(RawParams { prediction: None, ..raw.clone() }, Kind::Logged).unwrap();
        assert_eq!(logged.prediction, DECISION);
        assert_eq!(
            logged.spec(Bounds::default()).label,
            DECISION,
            "the decision stands in for the missing label"
        );
        let twice =
            RawParams { sensitive: vec!["a".into(), "a".into()], label: Some("y".into()), ..raw.clone() };
        assert_eq!(Params::check(twice, Kind::Upload).unwrap_err().key, "audit-err-twice");
        let preset = RawParams { preset: Some("nope".into()), label: Some("y".into()), ..raw };
        let e = Params::check(preset, Kind::Upload).unwrap_err();
        assert!(e.args.iter().any(|(_, v)| v.contains("`pk-national`")), "{e}");
    }
}
