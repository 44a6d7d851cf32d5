//! The one error type of the search index.
//!
//! The index is derived data: the catalogue database is the record, and the platform rebuilds
//! the index from it when the directory is missing. So every error about the directory says
//! which directory, and that deleting it is a safe fix.

use std::path::PathBuf;

/// What can go wrong opening, writing or searching the index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The index directory cannot be created or opened, or holds something that is not an
    /// index of this version.
    #[error(
        "cannot open the search index in `{}`: {source}; the index is rebuilt from the database, so delete the directory and start again",
        path.display()
    )]
    Open {
        /// The index directory.
        path: PathBuf,
        /// What tantivy or the file system said.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Another process holds the index's writer lock.
    #[error(
        "the search index in `{}` is in use by another process; stop it, or give this one its own data directory",
        path.display()
    )]
    Locked {
        /// The index directory.
        path: PathBuf,
    },
    /// Adding, deleting or committing documents failed.
    #[error("cannot write to the search index: {0}")]
    Write(#[source] tantivy::TantivyError),
    /// Running a search failed (an I/O error reading the index, in practice).
    #[error("cannot search the index: {0}")]
    Search(#[source] tantivy::TantivyError),
    /// `Query::limit` is above [`crate::MAX_LIMIT`].
    #[error("`limit` is {limit} but at most {max} results are returned at once; page with `offset`")]
    LimitTooLarge {
        /// The limit asked for.
        limit: usize,
        /// The maximum.
        max: usize,
    },
    /// `Query::offset` is above [`crate::MAX_OFFSET`].
    #[error("`offset` is {offset} but results are paged only to {max}; narrow the search with filters")]
    OffsetTooLarge {
        /// The offset asked for.
        offset: usize,
        /// The maximum.
        max: usize,
    },
    /// A facet filter lists more than [`crate::MAX_FILTER_VALUES`] values.
    #[error("the `{facet}` filter lists {count} values but at most {max} are allowed")]
    TooManyFilterValues {
        /// The facet: `publisher`, `theme`, `licence`, `format`, `access` or `province`.
        facet: &'static str,
        /// How many values it listed.
        count: usize,
        /// The maximum.
        max: usize,
    },
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
