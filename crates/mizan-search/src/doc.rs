//! What the platform puts in the index, and what a search gives back.
//!
//! Plain structs with public fields: the platform fills a [`SearchDoc`] from its catalogue row
//! and a [`Query`] from the request; the server renders [`Results`] itself. Highlights are
//! [`Segment`]s, never HTML, so the server escapes the text and adds `<mark>` on its own terms.

/// One dataset as the index sees it. Empty strings and empty lists are fine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchDoc {
    /// The dataset's slug or id: the unique key, replaced and removed by it.
    pub id: String,
    /// The publisher's slug (the `publisher` facet).
    pub org: String,
    /// The publisher's name in English.
    pub publisher_en: String,
    /// The publisher's name in Urdu.
    pub publisher_ur: String,
    /// The title in English.
    pub title_en: String,
    /// The title in Urdu.
    pub title_ur: String,
    /// The description in English (plain text).
    pub description_en: String,
    /// The description in Urdu (plain text).
    pub description_ur: String,
    /// Keywords, English and Urdu together.
    pub keywords: Vec<String>,
    /// Theme ids (the `theme` facet; also matched as words).
    pub themes: Vec<String>,
    /// Licence id (the `licence` facet).
    pub licence: String,
    /// Distribution formats such as `CSV` or `Parquet` (the `format` facet; also words).
    pub formats: Vec<String>,
    /// Access tier: `open`, `registered` or `restricted` (the `access` facet).
    pub access: String,
    /// Province ids such as `punjab` (the `province` facet; also words).
    pub provinces: Vec<String>,
    /// Last modified, unix seconds (the `Modified` sort).
    pub modified: i64,
    /// The catalogue's version of the dataset record (stored, not searched).
    pub version: u32,
}

/// A search: words, filters, order and page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// What the person typed, in English or Urdu or both. Plain words: no syntax, nothing in
    /// it is an error. Empty means every dataset (browsing). Only the first
    /// [`crate::MAX_QUERY_CHARS`] characters and [`crate::MAX_QUERY_WORDS`] words are used.
    pub text: String,
    /// Facet filters.
    pub filters: Filters,
    /// The order of the hits.
    pub sort: Sort,
    /// Hits to skip (at most [`crate::MAX_OFFSET`]).
    pub offset: usize,
    /// Hits to return (at most [`crate::MAX_LIMIT`]; 0 returns only the total and facets).
    pub limit: usize,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            text: String::new(),
            filters: Filters::default(),
            sort: Sort::Relevance,
            offset: 0,
            limit: 20,
        }
    }
}

impl Query {
    /// A query for `text`, first page of 20, by relevance, no filters.
    #[must_use]
    pub fn text(text: impl Into<String>) -> Query {
        Query { text: text.into(), ..Query::default() }
    }
}

/// Facet filters: a dataset must have one of the values of every non-empty list (OR within a
/// facet, AND across facets). Values are the ids the dataset was indexed with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Publisher slugs.
    pub publisher: Vec<String>,
    /// Theme ids.
    pub theme: Vec<String>,
    /// Licence ids.
    pub licence: Vec<String>,
    /// Formats.
    pub format: Vec<String>,
    /// Access tiers.
    pub access: Vec<String>,
    /// Province ids.
    pub province: Vec<String>,
}

/// The order of the hits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Best match first. With no words there is nothing to rank by, so this is [`Sort::Modified`].
    #[default]
    Relevance,
    /// By English title, A to Z (datasets with no English title by their Urdu one).
    Title,
    /// By Urdu title in Urdu alphabetical order (no Urdu title: by the English one, first).
    TitleUrdu,
    /// Most recently modified first.
    Modified,
}

/// What a search found.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    /// How many datasets match (all pages).
    pub total: usize,
    /// The page of hits asked for.
    pub hits: Vec<Hit>,
    /// Counts per facet value; see [`Facets`].
    pub facets: Facets,
    /// False when no dataset had every word and the hits are the datasets having any of them
    /// (best first): the page can say "showing results for some of your words".
    pub matched_all_words: bool,
}

/// One dataset found.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The dataset's id, as indexed.
    pub id: String,
    /// Relevance score when sorted by relevance; `None` for the other sorts.
    pub score: Option<f32>,
    /// The English title, whole, with the matched words marked.
    pub title_en: Vec<Segment>,
    /// The Urdu title, whole, with the matched words marked.
    pub title_ur: Vec<Segment>,
    /// An excerpt of the English description around the matched words (at most
    /// [`crate::SNIPPET_CHARS`] characters, with `…` where it was cut).
    pub description_en: Vec<Segment>,
    /// The same for the Urdu description.
    pub description_ur: Vec<Segment>,
}

/// A run of text, marked when it matched a word of the query. The segments of a field,
/// joined, are its text as published (or the excerpt of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The text, as published.
    pub text: String,
    /// Whether it matched.
    pub matched: bool,
}

/// Counts of datasets per facet value, most first (then by value).
///
/// Drill-down counts: each facet is counted over the datasets matching the words and every
/// *other* facet's filter. So the values of a facet being filtered on keep their counts and a
/// person can widen the selection (OR within a facet), while the other facets narrow.
/// With no filter on any facet, every facet is counted over the result set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    /// Publisher slugs.
    pub publisher: Vec<(String, u64)>,
    /// Theme ids.
    pub theme: Vec<(String, u64)>,
    /// Licence ids.
    pub licence: Vec<(String, u64)>,
    /// Formats.
    pub format: Vec<(String, u64)>,
    /// Access tiers.
    pub access: Vec<(String, u64)>,
    /// Province ids.
    pub province: Vec<(String, u64)>,
}
