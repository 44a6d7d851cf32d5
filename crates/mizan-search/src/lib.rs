//! Full-text search over the national AI data repository's catalogue, in English and Urdu.
//!
//! The catalogue database is the record; this index is derived from it and kept in step by the
//! platform: [`Index::replace`] and [`Index::remove`] as datasets change, then
//! [`Index::commit`]; [`Index::rebuild`] from the database when [`Index::open`] had to create
//! the index ([`Index::was_created`]). Deleting the index directory is always safe.
//!
//! A [`Query`] is plain words (no syntax), facet [`Filters`] and a [`Sort`]; [`Results`] carry
//! the total, a page of [`Hit`]s with highlighted titles and description excerpts as
//! [`Segment`]s (never HTML), and drill-down [`Facets`] counts.
//!
//! Urdu is matched through [`normalise`], which folds the letter forms different keyboards
//! type (Arabic and Farsi yeh, kaf and keheh, the heh forms), removes harakat and zero-width
//! joiners, and unifies composed and decomposed hamza: a query typed on a phone finds the
//! title as published, and the highlight marks the published text. English is stemmed
//! (Snowball Porter2), so "yields" finds "yield".
//!
//! Modules: [`normalise`](crate::normalise) (the letter folds), `tokenizer` (word splitting
//! and the analyzers), `schema` (fields and documents), `index` (open, write, search),
//! `highlight` (segments), `doc` (the plain types), `error`.
#![warn(missing_docs)]

mod doc;
mod error;
mod highlight;
mod index;
pub mod normalise;
mod schema;
mod tokenizer;

pub use doc::{Facets, Filters, Hit, Query, Results, SearchDoc, Segment, Sort};
pub use error::{Error, Result};
pub use index::{
    Index, MAX_FILTER_VALUES, MAX_LIMIT, MAX_OFFSET, MAX_QUERY_CHARS, MAX_QUERY_WORDS, SNIPPET_CHARS,
    WRITER_HEAP_BYTES,
};
pub use normalise::normalise;
pub use schema::SCHEMA_VERSION;
