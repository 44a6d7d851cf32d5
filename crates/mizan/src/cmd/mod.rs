//! One module per subcommand; each converts its arguments into a library call.
pub mod admin;
pub mod audit;
pub mod classify;
pub mod explain;
pub mod limits;
pub mod log;
pub mod serve;
pub mod witness;
