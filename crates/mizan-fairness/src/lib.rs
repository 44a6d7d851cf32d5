//! Fairness audits from count cells.
//!
//! One pass over the rows (columns in memory, or a file streamed chunk by chunk through a
//! [`Tally`]) builds, per (control stratum, intersection of
//! sensitive features), weighted and unweighted TP/FP/FN/TN counts with Σw and Σw².
//! Every metric (fairlearn and AIF360 semantics) and every interval derives from these
//! cells, so audits merge across chunks and machines. This crate does no I/O.
#![warn(missing_docs)]

pub mod aif360;
pub mod bootstrap;
pub mod cells;
pub mod compare;
pub mod error;
pub mod metrics;
pub mod preset;
pub mod report;
pub mod stats;
pub mod tally;

pub use cells::{CellKey, Cells, Column, Counts, Input, MISSING};
pub use error::FairnessError;
pub use metrics::{EdgeMode, Method, Rate};
pub use stats::Correction;
pub use tally::{Dim, Tally};
