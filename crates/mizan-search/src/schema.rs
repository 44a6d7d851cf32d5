//! The index's schema: which field holds what, and how a [`SearchDoc`] becomes a document.
//!
//! Scored text fields hold both languages (a word is looked up once per field, not once per
//! field and language); the texts a hit shows are stored apart, per language, and never
//! indexed. Facets are one tantivy facet field with one root per dimension
//! (`/publisher/<org>`, `/theme/<id>`, ...), so one pass over the matching documents counts
//! every dimension. When this file changes in a way an old index cannot be read with, bump
//! [`SCHEMA_VERSION`]: the index then lives in a new directory and is rebuilt from the database.

use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions,
};

use crate::doc::SearchDoc;
use crate::tokenizer::{PLAIN, STEMMED};

/// The schema's version; the index lives in a subdirectory named after it.
pub const SCHEMA_VERSION: &str = "v1";

/// A facet dimension: a root of the facet field and a field of [`crate::Filters`] and
/// [`crate::Facets`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dim {
    Publisher,
    Theme,
    Licence,
    Format,
    Access,
    Province,
}

impl Dim {
    /// Every dimension, in the order of [`crate::Facets`].
    pub(crate) const ALL: [Dim; 6] =
        [Dim::Publisher, Dim::Theme, Dim::Licence, Dim::Format, Dim::Access, Dim::Province];

    /// The facet root's name.
    pub(crate) fn root(self) -> &'static str {
        match self {
            Dim::Publisher => "publisher",
            Dim::Theme => "theme",
            Dim::Licence => "licence",
            Dim::Format => "format",
            Dim::Access => "access",
            Dim::Province => "province",
        }
    }

    /// The facet `/<root>/<value>`. Facet paths are separated by NUL internally, so NULs in
    /// the value are dropped.
    pub(crate) fn facet(self, value: &str) -> Facet {
        Facet::from_path([self.root(), &value.replace('\0', "")])
    }

    /// The facet `/<root>`, whose children are counted.
    pub(crate) fn root_facet(self) -> Facet {
        Facet::from_path([self.root()])
    }
}

/// The fields of the schema.
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    pub id: Field,
    pub title: Field,
    pub keywords: Field,
    pub publisher: Field,
    pub tags: Field,
    pub description: Field,
    pub words: Field,
    pub title_en: Field,
    pub title_ur: Field,
    pub description_en: Field,
    pub description_ur: Field,
    pub facets: Field,
    pub modified: Field,
    pub version: Field,
    pub sort_en: Field,
    pub sort_ur: Field,
}

/// Name of the English title sort key (a fast string field).
pub(crate) const SORT_EN: &str = "sort_en";
/// Name of the Urdu title sort key.
pub(crate) const SORT_UR: &str = "sort_ur";
/// Name of the modification time (a fast i64 field).
pub(crate) const MODIFIED: &str = "modified";
/// Name of the facet field.
pub(crate) const FACETS: &str = "facets";

impl Fields {
    /// Builds the schema and its fields.
    pub(crate) fn build() -> (Schema, Fields) {
        let scored = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(STEMMED)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let plain = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(PLAIN)
                .set_fieldnorms(false)
                .set_index_option(IndexRecordOption::Basic),
        );
        let sort_key = TextOptions::default().set_fast("raw");
        let mut b = Schema::builder();
        let fields = Fields {
            id: b.add_text_field("id", STRING | STORED),
            title: b.add_text_field("title", scored.clone()),
            keywords: b.add_text_field("keywords", scored.clone()),
            publisher: b.add_text_field("publisher", scored.clone()),
            tags: b.add_text_field("tags", scored.clone()),
            description: b.add_text_field("description", scored),
            words: b.add_text_field("words", plain),
            title_en: b.add_text_field("title_en", STORED),
            title_ur: b.add_text_field("title_ur", STORED),
            description_en: b.add_text_field("description_en", STORED),
            description_ur: b.add_text_field("description_ur", STORED),
            facets: b.add_facet_field(FACETS, FacetOptions::default()),
            modified: b.add_i64_field(MODIFIED, FAST | STORED | INDEXED),
            version: b.add_u64_field("version", STORED),
            sort_en: b.add_text_field(SORT_EN, sort_key.clone()),
            sort_ur: b.add_text_field(SORT_UR, sort_key),
        };
        (b.build(), fields)
    }

    /// The document `doc` is indexed as.
    pub(crate) fn document(&self, doc: &SearchDoc) -> TantivyDocument {
        let mut d = TantivyDocument::default();
        d.add_text(self.id, &doc.id);
        for (field, texts) in [
            (self.title, [&doc.title_en, &doc.title_ur]),
            (self.publisher, [&doc.publisher_en, &doc.publisher_ur]),
            (self.description, [&doc.description_en, &doc.description_ur]),
        ] {
            for text in texts.into_iter().filter(|t| !t.is_empty()) {
                d.add_text(field, text);
                d.add_text(self.words, text);
            }
        }
        for keyword in &doc.keywords {
            d.add_text(self.keywords, keyword);
            d.add_text(self.words, keyword);
        }
        // facet ids a person might type: themes, provinces, formats (not licence or access:
        // "open" in a query means the word, not the access tier)
        for tag in doc.themes.iter().chain(&doc.provinces).chain(&doc.formats) {
            d.add_text(self.tags, tag);
            d.add_text(self.words, tag);
        }
        d.add_text(self.title_en, &doc.title_en);
        d.add_text(self.title_ur, &doc.title_ur);
        d.add_text(self.description_en, &doc.description_en);
        d.add_text(self.description_ur, &doc.description_ur);
        for (dim, values) in [
            (Dim::Publisher, std::slice::from_ref(&doc.org)),
            (Dim::Theme, doc.themes.as_slice()),
            (Dim::Licence, std::slice::from_ref(&doc.licence)),
            (Dim::Format, doc.formats.as_slice()),
            (Dim::Access, std::slice::from_ref(&doc.access)),
            (Dim::Province, doc.provinces.as_slice()),
        ] {
            for value in values.iter().filter(|v| !v.is_empty()) {
                d.add_facet(self.facets, dim.facet(value));
            }
        }
        d.add_i64(self.modified, doc.modified);
        d.add_u64(self.version, u64::from(doc.version));
        let title_for_sort = if doc.title_en.is_empty() { &doc.title_ur } else { &doc.title_en };
        d.add_text(self.sort_en, crate::normalise::normalise(title_for_sort));
        let title_for_sort = if doc.title_ur.is_empty() { &doc.title_en } else { &doc.title_ur };
        d.add_text(self.sort_ur, crate::normalise::urdu_sort_key(title_for_sort));
        d
    }
}
