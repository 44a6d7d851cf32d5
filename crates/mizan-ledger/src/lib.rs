//! Mizan's decision ledger engine: a transparency log anyone can check without trusting us.
//!
//! RFC 6962 / RFC 9162 Merkle hashing and proofs ([`merkle`]), the C2SP tlog-tiles layout
//! ([`tile`]), signed notes, checkpoints, cosignatures and tlog-proof receipts ([`note`],
//! [`checkpoint`]), batch acknowledgements signed once for many receipts ([`ack`]), a storage
//! trait ([`store`]), the single-writer log and its readers ([`log`]), a cache of expanded hash
//! tiles for fast proofs ([`tilecache`]), group commit over threads and channels
//! ([`sequencer`]), privacy-preserving leaf commitments ([`leaf`]), the witness's
//! `add-checkpoint` logic ([`witness`]), C2SP tlog-policy with witness quorums ([`policy`]), a
//! monitor that follows a log and detects forks ([`monitor`]), and the one step-by-step check
//! of a decision receipt that the server's `/verify` page and the CLI share ([`receipt`]). The
//! crate does no I/O: storage comes in through [`store::LogStore`], and randomness and
//! wall-clock time as parameters (the sequencer's batching timer is the only clock it reads).
#![warn(missing_docs)]

pub mod ack;
pub mod checkpoint;
pub mod leaf;
pub mod log;
pub mod merkle;
pub mod monitor;
pub mod note;
pub mod policy;
pub mod receipt;
pub mod sequencer;
pub mod store;
pub mod tile;
pub mod tilecache;
pub mod verify;
pub mod witness;

pub use merkle::Hash;

/// Every error the ledger engine reports.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum LedgerError {
    /// A proof did not verify or could not be built.
    #[error("proof failed: {0}")]
    Proof(String),
    /// A hash or tile the operation needs is not in storage.
    #[error("missing from storage: {0}")]
    Missing(String),
    /// A signature is missing, from the wrong key, or does not verify.
    #[error("signature check failed: {0}")]
    Signature(String),
    /// Storage failed (I/O); the message names the path.
    #[error("storage failed: {0}")]
    Storage(String),
    /// Storage already holds different bytes, or the latest checkpoint moved underneath us.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The log's state disagrees with what it has already published; it refuses to run.
    #[error("log state is inconsistent: {0}")]
    Inconsistent(String),
    /// A witness's stored size differs from the caller's old size (HTTP 409).
    #[error("witness has size `{stored}`; send a consistency proof from that size")]
    WitnessSize {
        /// The size the witness has cosigned.
        stored: u64,
    },
    /// Bytes that should follow a documented format do not.
    #[error("malformed input: {0}")]
    Malformed(String),
}
