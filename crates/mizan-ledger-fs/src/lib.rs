//! Filesystem storage for the decision ledger (see `FsStore`).
#![warn(missing_docs)]
