//! Placeholder; see Cargo.toml.
#![warn(missing_docs)]
