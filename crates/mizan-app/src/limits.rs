//! Every limit on the work a request may cause, in one place, with its default.
//!
//! The invariant (ARCHITECTURE.md, "Bounded work"): no request's memory or storage grows
//! faster than a stated multiple of its input, and every limit here is checked before the work
//! it bounds starts (or, for values counted as they stream, before one more batch of 16 Ki rows
//! is counted). `mizan serve` sets each from a flag or environment variable (README, "Limits").
//!
//! Heavy operations (audits, model uploads) take a permit of one semaphore of
//! [`Limits::audits_at_once`] permits, and a request that finds none free is refused at once
//! ([`crate::Error::Busy`], HTTP 503) rather than queued: a queued request still holds its
//! body, so a wait would only move the unbounded part from the work to the queue.

use mizan_fairness_io::Bounds;

/// Limits on uploads and the work they cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest decisions file a fairness audit accepts, in bytes.
    pub audit_upload_bytes: usize,
    /// Most distinct values (groups) of one sensitive or control column.
    pub audit_groups_per_feature: usize,
    /// Most intersections: the product of the sensitive columns' distinct values and the
    /// control column's strata (the report lists every one, empty or not).
    pub audit_intersections: usize,
    /// Longest value of a requested column, in characters.
    pub audit_value_chars: usize,
    /// Most decompressed bytes one Parquet column chunk of a requested column may declare.
    pub audit_chunk_bytes: u64,
    /// Most decompressed bytes the requested Parquet columns may declare in all.
    pub audit_decompressed_bytes: u64,
    /// Largest audit stored: report JSON, report page and public summary together, in bytes.
    pub audit_report_bytes: usize,
    /// Audits and model uploads computed at once; more are refused as busy.
    pub audits_at_once: usize,
    /// Largest model file accepted, in bytes (checked before it is parsed).
    pub model_bytes: usize,
    /// Largest document a person may attach to an appeal, in bytes (the body is refused before
    /// it is read when its declared length is over this plus the form's other fields).
    pub appeal_document_bytes: usize,
    /// Submissions of a public form (an appeal, an error report) one address may make before
    /// it must wait ([`crate::throttle::Policy::PUBLIC_FORM`]; benchmarks raise it to drive
    /// the forms from one load generator).
    pub public_form_free: u32,
    /// Largest file a data steward may upload to a dataset, in bytes (streamed to disk, never
    /// held in memory; the upload stops at this many bytes).
    pub dataset_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        let b = Bounds::default();
        Limits {
            audit_upload_bytes: 32 * 1024 * 1024,
            audit_groups_per_feature: b.groups_per_feature,
            audit_intersections: b.intersections,
            audit_value_chars: b.value_chars,
            audit_chunk_bytes: b.chunk_bytes,
            audit_decompressed_bytes: b.file_bytes,
            audit_report_bytes: 64 * 1024 * 1024,
            audits_at_once: 2,
            model_bytes: 16 * 1024 * 1024,
            appeal_document_bytes: 5 * 1024 * 1024,
            public_form_free: crate::throttle::Policy::PUBLIC_FORM.free,
            dataset_file_bytes: 2 * 1024 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// The reader's bounds.
    #[must_use]
    pub fn bounds(&self) -> Bounds {
        Bounds {
            groups_per_feature: self.audit_groups_per_feature,
            intersections: self.audit_intersections,
            value_chars: self.audit_value_chars,
            chunk_bytes: self.audit_chunk_bytes,
            file_bytes: self.audit_decompressed_bytes,
        }
    }
}
