//! The dataset catalogue of the national AI data repository (issue #18): what a dataset version
//! says about itself ([`DatasetMeta`], `mizan.dataset/1`), its files ([`Distribution`]), the
//! vocabularies it draws from ([`vocab`]: licences, themes, frequencies, provinces and
//! districts, terms of use), the gate that keeps a flagged direct identifier from being
//! published openly ([`publication_check`]), and the shapes outsiders read it in (DCAT-AP 3,
//! schema.org, Croissant 1.1, CKAN).
//!
//! Organisation → dataset → immutable versions → distributions. No I/O: the platform stores
//! versions and files and calls this crate to validate and describe them.
#![warn(missing_docs)]

pub mod export;
mod model;
pub mod vocab;

pub use model::{
    AccessTier, Column, ColumnType, Contact, DatasetMeta, Distribution, FORMAT, FieldError, FileFormat, Flag,
    MAX_COLUMNS, MAX_DESCRIPTION, MAX_KEYWORDS, MAX_TITLE, PiiReason, Rai, Source, Temporal, Text,
    check_file_name, check_slug, publication_check,
};
