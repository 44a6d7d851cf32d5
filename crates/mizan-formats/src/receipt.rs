//! `mizan.receipt/1`: the receipt a holder fetches with their reference
//! (`GET /api/v1/receipts/{ref}`): where the decision's leaf is, the C2SP tlog-proof once a
//! checkpoint covers it, and the record with its key until they are erased. Schema:
//! `schemas/mizan.receipt-1.schema.json`.
//!
//! Every field is always written, absent ones as `null`: `leaf` and `opening` are `null` once
//! the record is erased (the leaf is recomputed from the opening, so it goes with it), `proof`
//! until the decision is in a published checkpoint, `erased_at` until it is erased. To check a
//! receipt, hand [`Receipt::evidence`] to `mizan_ledger::receipt::check`.

use mizan_ledger::leaf::LEAF_LEN;
use mizan_ledger::receipt::{self, Evidence};
use serde::{Deserialize, Serialize};

use crate::{DecisionRecord, FormatError};

/// The format's name.
pub const FORMAT: &str = "mizan.receipt/1";

/// Where a decision's proof stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiptStatus {
    /// In a published checkpoint: `proof` is set.
    Proven,
    /// Logged, not yet in a published checkpoint.
    Pending,
    /// The record and key were erased; the leaf stays in the log.
    Erased,
}

impl ReceiptStatus {
    /// `proven`, `pending` or `erased`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proven => "proven",
            Self::Pending => "pending",
            Self::Erased => "erased",
        }
    }
}

/// The opening of a decision's leaf: the record and the key it was committed with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opening {
    /// The per-decision HMAC key, 64 hex digits.
    pub k: String,
    /// The canonical decision record (`mizan.decision/1`); `HMAC-SHA256(k, record)` is in the
    /// leaf.
    pub record: String,
}

impl Opening {
    /// The key, from its hex.
    ///
    /// # Errors
    /// [`FormatError::Invalid`] (field `opening.k`) when it is not 64 hex digits.
    pub fn key(&self) -> Result<[u8; 32], FormatError> {
        hex::decode(self.k.trim()).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| FormatError::Invalid {
            format: FORMAT,
            field: "opening.k".into(),
            value: crate::shorten(&self.k),
            reason: "a key is 64 hex digits (32 bytes)".into(),
        })
    }

    /// The leaf this opening commits to: the record read as `mizan.decision/1` (canonical
    /// text), committed under the key. The server fills a receipt's `leaf` with it.
    ///
    /// # Errors
    /// As [`Opening::key`], [`DecisionRecord::from_canonical`] and [`DecisionRecord::commit`].
    pub fn leaf(&self) -> Result<[u8; LEAF_LEN], FormatError> {
        let k = self.key()?;
        Ok(DecisionRecord::from_canonical(&self.record)?.commit(&k)?.to_bytes())
    }
}

/// A receipt looked up by its holder (`mizan.receipt/1`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The reference (20 characters).
    pub reference: String,
    /// Where the proof stands.
    pub status: ReceiptStatus,
    /// The system's public ID.
    pub system: String,
    /// The system version that decided.
    pub system_version: i64,
    /// The decision time, as in the record.
    pub decided_at: String,
    /// The leaf's index in the log.
    pub leaf_index: u64,
    /// The leaf's RFC 6962 hash, hex.
    pub leaf_hash: String,
    /// The 49-byte leaf, hex; `null` once erased.
    pub leaf: Option<String>,
    /// The log's origin.
    pub log: String,
    /// The log's verifier key.
    pub vkey: String,
    /// The C2SP tlog-proof, once proven.
    pub proof: Option<String>,
    /// The record and key, until erased.
    pub opening: Option<Opening>,
    /// When the record was erased (RFC 3339).
    pub erased_at: Option<String>,
}

impl Receipt {
    /// What the receipt check needs from this receipt.
    #[must_use]
    pub fn evidence(&self) -> Evidence {
        Evidence {
            proof: self.proof.clone(),
            status: Some(self.status.as_str().to_owned()),
            leaf: self.leaf.clone(),
            leaf_given: None,
            leaf_index: Some(self.leaf_index),
            leaf_hash: Some(self.leaf_hash.clone()),
            opening: self
                .opening
                .as_ref()
                .map(|o| receipt::Opening { k: o.k.clone(), record: o.record.clone() }),
        }
    }
}
