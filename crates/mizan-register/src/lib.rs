//! The AI-system transparency record as data: which fields a record has, which of them the public
//! sees, what a valid value is, how a system moves through its lifecycle, and how two versions
//! differ.
//!
//! Why a crate of its own: the server renders forms from this catalogue, the store validates
//! before it writes, the API documents it, and the public register projects it. One catalogue
//! means a field added here appears everywhere, with the same limits. No I/O happens here.
#![warn(missing_docs)]

mod fields;
mod lifecycle;
mod record;

pub use fields::{DEPLOYMENT_STATUSES, FIELDS, FieldKind, FieldSpec, LANGUAGES, SECTORS, field};
pub use lifecycle::{Actor, Status, TransitionError};
pub use record::{
    FieldChange, FieldError, FieldErrorCode, Record, Text, Value, diff, forbidden_char, forbidden_in_json,
    is_email, is_forbidden,
};
