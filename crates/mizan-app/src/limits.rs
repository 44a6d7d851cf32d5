//! Every limit on the work a request may cause, in one place, with its default.
//!
//! The invariant (ARCHITECTURE.md): no request's memory or storage grows faster than a stated
//! multiple of its input, and every limit here is checked before the work it bounds starts.
//! `mizan serve` sets each from a flag or environment variable (README, "Limits").

/// Limits on uploads and the work they cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest decisions file a fairness audit accepts, in bytes.
    pub audit_upload_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { audit_upload_bytes: 32 * 1024 * 1024 }
    }
}
