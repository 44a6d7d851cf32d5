//! `mizan serve`'s limits on the work a request may cause: one flag and one environment
//! variable per field of `mizan_app::limits::Limits`, with its default (README, "Limits").

use clap::Args;
use clap::builder::TypedValueParser as _;
use mizan_app::limits::Limits;

fn d() -> Limits {
    Limits::default()
}

/// Limits on uploads and the work they cause.
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Largest decisions file a fairness audit accepts, in bytes.
    #[arg(long, env = "MIZAN_AUDIT_MAX_UPLOAD_BYTES", default_value_t = d().audit_upload_bytes)]
    audit_max_upload_bytes: usize,
    /// Most distinct values (groups) of one sensitive or control column of an audit.
    #[arg(long, env = "MIZAN_AUDIT_MAX_GROUPS", default_value_t = d().audit_groups_per_feature)]
    audit_max_groups: usize,
    /// Most intersections of an audit: the product of the sensitive columns' values and the
    /// control column's strata.
    #[arg(long, env = "MIZAN_AUDIT_MAX_INTERSECTIONS", default_value_t = d().audit_intersections)]
    audit_max_intersections: usize,
    /// Longest value of an audited column, in characters.
    #[arg(long, env = "MIZAN_AUDIT_MAX_VALUE_CHARS", default_value_t = d().audit_value_chars)]
    audit_max_value_chars: usize,
    /// Most decompressed bytes one Parquet column chunk of an audited column may declare.
    #[arg(long, env = "MIZAN_AUDIT_MAX_CHUNK_BYTES", default_value_t = d().audit_chunk_bytes)]
    audit_max_chunk_bytes: u64,
    /// Most decompressed bytes the audited Parquet columns may declare in all.
    #[arg(long, env = "MIZAN_AUDIT_MAX_DECOMPRESSED_BYTES", default_value_t = d().audit_decompressed_bytes)]
    audit_max_decompressed_bytes: u64,
    /// Largest audit stored (report, page and summary together), in bytes.
    #[arg(long, env = "MIZAN_AUDIT_MAX_REPORT_BYTES", default_value_t = d().audit_report_bytes)]
    audit_max_report_bytes: usize,
    /// Audits and model uploads computed at once; more are refused as busy (HTTP 503).
    #[arg(long, env = "MIZAN_AUDITS_AT_ONCE", default_value_t = d().audits_at_once,
        value_parser = clap::value_parser!(u16).range(1..).map(usize::from))]
    audits_at_once: usize,
    /// Largest model file accepted, in bytes (checked before it is parsed).
    #[arg(long, env = "MIZAN_MODEL_MAX_BYTES", default_value_t = d().model_bytes)]
    model_max_bytes: usize,
    /// Largest document a person may attach to an appeal, in bytes (PDF, PNG or JPEG).
    #[arg(long, env = "MIZAN_APPEAL_DOCUMENT_MAX_BYTES", default_value_t = d().appeal_document_bytes)]
    appeal_document_max_bytes: usize,
    /// Submissions of a public form (an appeal, an error report) from one address before it
    /// must wait, 30 s doubling to 10 minutes.
    #[arg(long, env = "MIZAN_PUBLIC_FORM_FREE", default_value_t = d().public_form_free)]
    public_form_free: u32,
    /// Largest file a data steward may upload to a dataset, in bytes (streamed to disk).
    #[arg(long, env = "MIZAN_DATASET_FILE_MAX_BYTES", default_value_t = d().dataset_file_bytes)]
    dataset_file_max_bytes: u64,
}

impl LimitArgs {
    /// The limits these arguments give.
    #[must_use]
    pub fn limits(&self) -> Limits {
        Limits {
            audit_upload_bytes: self.audit_max_upload_bytes,
            audit_groups_per_feature: self.audit_max_groups,
            audit_intersections: self.audit_max_intersections,
            audit_value_chars: self.audit_max_value_chars,
            audit_chunk_bytes: self.audit_max_chunk_bytes,
            audit_decompressed_bytes: self.audit_max_decompressed_bytes,
            audit_report_bytes: self.audit_max_report_bytes,
            audits_at_once: self.audits_at_once,
            model_bytes: self.model_max_bytes,
            appeal_document_bytes: self.appeal_document_max_bytes,
            public_form_free: self.public_form_free,
            dataset_file_bytes: self.dataset_file_max_bytes,
        }
    }
}
