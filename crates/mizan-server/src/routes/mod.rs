//! Handlers, one module per audience; `router.rs` wires them.

pub mod api;
pub mod audits;
pub mod decisions;
pub mod explain;
pub mod obligations;
pub mod provider;
pub mod public;
pub mod regulator;
pub mod review;
pub mod risk;
pub mod session;
pub mod verify;
