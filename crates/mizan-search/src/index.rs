//! The index: open or create it, keep it in step with the catalogue, search it.
//!
//! **Threads.** The platform holds one [`Index`] in an `Arc`. Searches take a snapshot of the
//! last commit (a tantivy `Searcher`) and run on the caller's thread, any number at once.
//! Writes go through one `IndexWriter` behind a mutex, with one indexing thread and a
//! [`WRITER_HEAP_BYTES`] heap; tantivy merges segments on its own threads in the background.
//! A write is seen by searches after [`Index::commit`], which also reloads the reader.
//!
//! **Files.** [`Index::open`] keeps the index in `<dir>/<schema version>/`, so a new schema
//! starts an empty index (and the platform rebuilds it from the database) without reading the
//! old one. The writer holds a lock file there: a second process opening the same directory
//! gets [`Error::Locked`].
//!
//! **Queries.** The text is plain words, never tantivy query syntax. Each word must match
//! (AND) in some field: title (boost 3), keywords (2), publisher and the theme, province and
//! format ids (1.5) or description (1), the best field counting most (a disjunction-max).
//! Small function words (`the`, `of`, `کی`, `میں`...) are optional, so "data of punjab" finds
//! "Punjab data". The last word, when the text does not end in a space, also matches as a
//! prefix of any word (search as you type). If no dataset has every word, the datasets with
//! any of them are returned, best first, and [`Results::matched_all_words`] says so.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use tantivy::collector::{Count, FacetCollector, FacetCounts, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::directory::error::LockError;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, PhrasePrefixQuery,
    Query as TantivyQuery, TermQuery,
};
use tantivy::schema::{IndexRecordOption, Value as _};
use tantivy::{
    DocAddress, IndexReader, IndexSettings, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument,
    TantivyError, Term,
};

use crate::doc::{Facets, Filters, Hit, Query, Results, SearchDoc, Sort};
use crate::error::{Error, Result};
use crate::highlight::Matcher;
use crate::normalise::normalise;
use crate::schema::{Dim, FACETS, Fields, MODIFIED, SCHEMA_VERSION, SORT_EN, SORT_UR};
use crate::tokenizer::{PLAIN, STEMMED, plain, stemmed, tokens};

/// At most this many hits per page.
pub const MAX_LIMIT: usize = 100;
/// Pages start at most this far in (deeper paging costs memory per search).
pub const MAX_OFFSET: usize = 10_000;
/// Only the first this many characters of the query text are used.
pub const MAX_QUERY_CHARS: usize = 200;
/// Only the first this many words of the query text are used.
pub const MAX_QUERY_WORDS: usize = 16;
/// The longest description excerpt, in characters (plus `…` at the ends).
pub const SNIPPET_CHARS: usize = 240;
/// At most this many values per facet filter.
pub const MAX_FILTER_VALUES: usize = 100;
/// The writer's indexing heap (tantivy's minimum is 15 MB per indexing thread).
pub const WRITER_HEAP_BYTES: usize = 32_000_000;
/// The last word is matched as a prefix only from this many characters on.
const MIN_PREFIX_CHARS: usize = 2;
/// A prefix matches at most this many distinct words (tantivy's expansion cap).
const MAX_PREFIX_EXPANSIONS: u32 = 64;
/// Score of a prefix-only match: below a full word's match in a description.
const PREFIX_SCORE: f32 = 0.5;
/// A word's score is its best field's plus this share of the others'.
const TIE_BREAKER: f32 = 0.1;

/// Function words made optional in queries (normalised when first used).
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "by", "for", "from", "in", "into", "is", "of", "on", "or", "the",
    "to", "with", "کا", "کی", "کے", "میں", "اور", "سے", "کو", "پر", "ہے", "ہیں", "نے", "یا",
];

fn is_stop_word(word: &str) -> bool {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| STOP_WORDS.iter().map(|w| normalise(w)).collect()).contains(word)
}

/// The dataset search index. See the module documentation.
pub struct Index {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    created: bool,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("docs", &self.len())
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

impl Index {
    /// Opens the index kept under `dir` (in `dir/<schema version>/`), creating it when missing.
    /// [`Index::was_created`] then says whether it is new and empty, to be filled with
    /// [`Index::rebuild`] from the database.
    ///
    /// # Errors
    ///
    /// [`Error::Open`] when the directory cannot be created or read or holds an index with
    /// another schema; [`Error::Locked`] when another process has it open.
    pub fn open(dir: &Path) -> Result<Index> {
        let path = dir.join(SCHEMA_VERSION);
        let open_err =
            |source: Box<dyn std::error::Error + Send + Sync>| Error::Open { path: path.clone(), source };
        std::fs::create_dir_all(&path).map_err(|e| open_err(e.into()))?;
        let directory = MmapDirectory::open(&path).map_err(|e| open_err(e.into()))?;
        let (schema, fields) = Fields::build();
        let exists = tantivy::Index::exists(&directory).map_err(|e| open_err(e.into()))?;
        let index = if exists {
            let index = tantivy::Index::open(directory).map_err(|e| open_err(e.into()))?;
            if index.schema() != schema {
                return Err(open_err("it holds an index with another schema of the same version".into()));
            }
            index
        } else {
            tantivy::Index::create(directory, schema, IndexSettings::default())
                .map_err(|e| open_err(e.into()))?
        };
        Index::from_tantivy(index, fields, !exists, Some(&path))
    }

    /// A new, empty index in memory (for tests).
    ///
    /// # Errors
    ///
    /// [`Error::Open`] if tantivy cannot start the writer or reader (it should not).
    pub fn in_memory() -> Result<Index> {
        let (schema, fields) = Fields::build();
        Index::from_tantivy(tantivy::Index::create_in_ram(schema), fields, true, None)
    }

    fn from_tantivy(
        index: tantivy::Index,
        fields: Fields,
        created: bool,
        path: Option<&Path>,
    ) -> Result<Index> {
        let path = path.map_or_else(|| PathBuf::from("(memory)"), Path::to_path_buf);
        index.tokenizers().register(STEMMED, stemmed());
        index.tokenizers().register(PLAIN, plain());
        let writer = index.writer_with_num_threads(1, WRITER_HEAP_BYTES).map_err(|e| match e {
            TantivyError::LockFailure(LockError::LockBusy, _) => Error::Locked { path: path.clone() },
            e => Error::Open { path: path.clone(), source: e.into() },
        })?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e: TantivyError| Error::Open { path, source: e.into() })?;
        Ok(Index { reader, writer: Mutex::new(writer), fields, created })
    }

    /// Whether [`Index::open`] created the index (it is empty: rebuild it from the database).
    #[must_use]
    pub fn was_created(&self) -> bool {
        self.created
    }

    /// The number of datasets in the last commit.
    #[must_use]
    pub fn len(&self) -> usize {
        usize::try_from(self.reader.searcher().num_docs()).unwrap_or(usize::MAX)
    }

    /// Whether the last commit holds no dataset.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The writer; a panic while holding it leaves tantivy's writer usable (its state is
    /// the last commit plus whatever was added), so a poisoned lock is taken over.
    fn writer(&self) -> MutexGuard<'_, IndexWriter> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `doc`, replacing any dataset with the same id. Seen after [`Index::commit`].
    ///
    /// # Errors
    ///
    /// [`Error::Write`] when tantivy's indexing thread has failed.
    pub fn replace(&self, doc: &SearchDoc) -> Result<()> {
        let writer = self.writer();
        writer.delete_term(Term::from_field_text(self.fields.id, &doc.id));
        writer.add_document(self.fields.document(doc)).map_err(Error::Write)?;
        Ok(())
    }

    /// Removes the dataset with id `id`, if any. Seen after [`Index::commit`].
    pub fn remove(&self, id: &str) {
        self.writer().delete_term(Term::from_field_text(self.fields.id, id));
    }

    /// Makes the writes so far durable and visible to the next search.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] when the commit or the reader's reload fails (disk full, say).
    pub fn commit(&self) -> Result<()> {
        self.writer().commit().map_err(Error::Write)?;
        self.reader.reload().map_err(Error::Write)
    }

    /// Replaces the whole index with `docs`, in one commit: a search sees the old index until
    /// the new one is complete. Returns the number of datasets added.
    ///
    /// # Errors
    ///
    /// [`Error::Write`]; the index is then left as it was.
    pub fn rebuild(&self, docs: impl IntoIterator<Item = SearchDoc>) -> Result<usize> {
        let mut writer = self.writer();
        let mut count = 0;
        let added = (|| {
            writer.delete_all_documents()?;
            for doc in docs {
                writer.add_document(self.fields.document(&doc))?;
                count += 1;
            }
            writer.commit()
        })();
        if let Err(e) = added {
            // undo the partial rebuild; its error is the one worth reporting
            let _ = writer.rollback();
            return Err(Error::Write(e));
        }
        drop(writer);
        self.reader.reload().map_err(Error::Write)?;
        Ok(count)
    }

    /// Runs `query`. See the module documentation for how words match.
    ///
    /// # Errors
    ///
    /// [`Error::LimitTooLarge`] and [`Error::OffsetTooLarge`] for a page out of bounds,
    /// [`Error::TooManyFilterValues`] for a filter listing too many values;
    /// [`Error::Search`] when reading the index fails. The text never causes an error.
    pub fn search(&self, query: &Query) -> Result<Results> {
        if query.limit > MAX_LIMIT {
            return Err(Error::LimitTooLarge { limit: query.limit, max: MAX_LIMIT });
        }
        if query.offset > MAX_OFFSET {
            return Err(Error::OffsetTooLarge { offset: query.offset, max: MAX_OFFSET });
        }
        for dim in Dim::ALL {
            let count = filter_values(&query.filters, dim).len();
            if count > MAX_FILTER_VALUES {
                return Err(Error::TooManyFilterValues { facet: dim.root(), count, max: MAX_FILTER_VALUES });
            }
        }
        let searcher = self.reader.searcher();
        let words = Words::parse(&query.text);
        let mut mode = Mode::AllWords;
        let mut page = self.run(&searcher, query, &words, mode)?;
        if page.total == 0 && words.required().count() > 1 {
            mode = Mode::AnyWord;
            page = self.run(&searcher, query, &words, mode)?;
        }
        let mut facets = page.facets;
        for dim in Dim::ALL {
            if !filter_values(&query.filters, dim).is_empty() {
                let q = self.combined(&words, mode, &query.filters, Some(dim));
                let mut collector = FacetCollector::for_field(FACETS);
                collector.add_facet(dim.root_facet());
                let counts = searcher.search(&*q, &collector).map_err(Error::Search)?;
                *facet_list(&mut facets, dim) = values(&counts, dim);
            }
        }
        let mut matcher = Matcher::new(words.highlighted_stems(), words.prefix.clone());
        let hits = page
            .top
            .into_iter()
            .map(|(score, address)| self.hit(&searcher, &mut matcher, score, address))
            .collect::<Result<_>>()?;
        Ok(Results { total: page.total, hits, facets, matched_all_words: mode == Mode::AllWords })
    }

    /// One search: total, the page, and the facets no filter is set on.
    fn run(&self, searcher: &Searcher, query: &Query, words: &Words, mode: Mode) -> Result<Page> {
        let q = self.combined(words, mode, &query.filters, None);
        let mut facet_collector = FacetCollector::for_field(FACETS);
        let unfiltered: Vec<Dim> =
            Dim::ALL.into_iter().filter(|&dim| filter_values(&query.filters, dim).is_empty()).collect();
        for &dim in &unfiltered {
            facet_collector.add_facet(dim.root_facet());
        }
        // TopDocs needs a limit of at least 1; a limit of 0 drops the page afterwards
        let window = TopDocs::with_limit(query.limit.max(1)).and_offset(query.offset);
        let sort = match query.sort {
            Sort::Relevance if words.is_empty() => Sort::Modified,
            sort => sort,
        };
        let search = |e| Error::Search(e);
        let (total, mut top, counts): (usize, Vec<(Option<f32>, DocAddress)>, FacetCounts) = match sort {
            Sort::Relevance => {
                let (n, top, c) = searcher
                    .search(&*q, &(Count, window.order_by_score(), facet_collector))
                    .map_err(search)?;
                (n, top.into_iter().map(|(s, a)| (Some(s), a)).collect(), c)
            }
            Sort::Title | Sort::TitleUrdu => {
                let field = if sort == Sort::Title { SORT_EN } else { SORT_UR };
                let (n, top, c) = searcher
                    .search(
                        &*q,
                        &(Count, window.order_by_string_fast_field(field, Order::Asc), facet_collector),
                    )
                    .map_err(search)?;
                (n, top.into_iter().map(|(_, a)| (None, a)).collect(), c)
            }
            Sort::Modified => {
                let (n, top, c) = searcher
                    .search(
                        &*q,
                        &(Count, window.order_by_fast_field::<i64>(MODIFIED, Order::Desc), facet_collector),
                    )
                    .map_err(search)?;
                (n, top.into_iter().map(|(_, a)| (None, a)).collect(), c)
            }
        };
        if query.limit == 0 {
            top.clear();
        }
        let mut facets = Facets::default();
        for dim in unfiltered {
            *facet_list(&mut facets, dim) = values(&counts, dim);
        }
        Ok(Page { total, top, facets })
    }

    /// The words' query and the filters, leaving out the filter on `except`.
    fn combined(
        &self,
        words: &Words,
        mode: Mode,
        filters: &Filters,
        except: Option<Dim>,
    ) -> Box<dyn TantivyQuery> {
        let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::new();
        if let Some(text) = self.words_query(words, mode) {
            clauses.push((Occur::Must, text));
        }
        for dim in Dim::ALL.into_iter().filter(|&d| Some(d) != except) {
            let values = filter_values(filters, dim);
            if values.is_empty() {
                continue;
            }
            let any: Vec<(Occur, Box<dyn TantivyQuery>)> = values
                .iter()
                .map(|v| {
                    let term = Term::from_facet(self.fields.facets, &dim.facet(v));
                    let q: Box<dyn TantivyQuery> = Box::new(TermQuery::new(term, IndexRecordOption::Basic));
                    (Occur::Should, q)
                })
                .collect();
            // filters narrow, they do not score
            let filter = ConstScoreQuery::new(Box::new(BooleanQuery::new(any)), 0.0);
            clauses.push((Occur::Must, Box::new(filter)));
        }
        if clauses.is_empty() { Box::new(AllQuery) } else { Box::new(BooleanQuery::new(clauses)) }
    }

    /// The query for the words; `None` when there are none (browse).
    fn words_query(&self, words: &Words, mode: Mode) -> Option<Box<dyn TantivyQuery>> {
        if words.is_empty() {
            return None;
        }
        let last = words.list.len() - 1;
        let clauses = words
            .list
            .iter()
            .enumerate()
            .map(|(i, word)| {
                let prefix = if i == last { words.prefix.as_deref() } else { None };
                let occur = if mode == Mode::AllWords && word.required { Occur::Must } else { Occur::Should };
                (occur, self.word_query(&word.stem, prefix))
            })
            .collect();
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    /// One word in any field, the best field counting most; or the prefix in any word.
    fn word_query(&self, stem: &str, prefix: Option<&str>) -> Box<dyn TantivyQuery> {
        let f = &self.fields;
        let mut disjuncts: Vec<Box<dyn TantivyQuery>> =
            [(f.title, 3.0), (f.keywords, 2.0), (f.publisher, 1.5), (f.tags, 1.5), (f.description, 1.0)]
                .into_iter()
                .map(|(field, boost)| {
                    let term =
                        TermQuery::new(Term::from_field_text(field, stem), IndexRecordOption::WithFreqs);
                    Box::new(BoostQuery::new(Box::new(term), boost)) as Box<dyn TantivyQuery>
                })
                .collect();
        if let Some(prefix) = prefix {
            let mut q = PhrasePrefixQuery::new(vec![Term::from_field_text(f.words, prefix)]);
            q.set_max_expansions(MAX_PREFIX_EXPANSIONS);
            disjuncts.push(Box::new(ConstScoreQuery::new(Box::new(q), PREFIX_SCORE)));
        }
        Box::new(DisjunctionMaxQuery::with_tie_breaker(disjuncts, TIE_BREAKER))
    }

    /// Reads a hit's stored texts and highlights them.
    fn hit(
        &self,
        searcher: &Searcher,
        matcher: &mut Matcher,
        score: Option<f32>,
        address: DocAddress,
    ) -> Result<Hit> {
        let doc: TantivyDocument = searcher.doc(address).map_err(Error::Search)?;
        let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default();
        let f = &self.fields;
        Ok(Hit {
            id: text(f.id).to_owned(),
            score,
            title_en: matcher.whole(text(f.title_en)),
            title_ur: matcher.whole(text(f.title_ur)),
            description_en: matcher.excerpt(text(f.description_en), SNIPPET_CHARS),
            description_ur: matcher.excerpt(text(f.description_ur), SNIPPET_CHARS),
        })
    }
}

/// One search's outcome before highlighting.
struct Page {
    total: usize,
    top: Vec<(Option<f32>, DocAddress)>,
    facets: Facets,
}

/// Whether every required word must match, or any word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    AllWords,
    AnyWord,
}

/// A query's words, parsed from the text.
struct Words {
    list: Vec<Word>,
    /// The last word, normalised but not stemmed, when it is matched as a prefix too.
    prefix: Option<String>,
}

struct Word {
    stem: String,
    /// False for a stop word among other words: it then only adds to the score.
    required: bool,
}

impl Words {
    /// Splits, normalises and stems `text` (its first [`MAX_QUERY_CHARS`] characters).
    fn parse(text: &str) -> Words {
        let end = text.char_indices().nth(MAX_QUERY_CHARS).map_or(text.len(), |(i, _)| i);
        let text = text.get(..end).unwrap_or_default();
        let plain_words = tokens(&mut plain(), text);
        let stems = tokens(&mut stemmed(), text);
        let mut seen = HashSet::new();
        let mut list = Vec::new();
        let mut last_plain = None;
        for ((word, _, to), (stem, _, _)) in plain_words.into_iter().zip(stems) {
            if list.len() == MAX_QUERY_WORDS {
                break;
            }
            if seen.insert(stem.clone()) {
                let stop = is_stop_word(&word);
                list.push(Word { stem, required: !stop });
                last_plain = Some((word, to));
            }
        }
        if list.iter().all(|w| !w.required) {
            for word in &mut list {
                word.required = true;
            }
        }
        // still being typed: the text ends inside the last word
        let prefix = last_plain
            .filter(|(word, to)| *to == text.len() && word.chars().count() >= MIN_PREFIX_CHARS)
            .map(|(word, _)| word);
        Words { list, prefix }
    }

    fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    fn required(&self) -> impl Iterator<Item = &Word> {
        self.list.iter().filter(|w| w.required)
    }

    /// The stems to mark in highlights: the required words (a stop word alone is required).
    fn highlighted_stems(&self) -> HashSet<String> {
        self.required().map(|w| w.stem.clone()).collect()
    }
}

/// The filter values set for `dim`, empty values left out.
fn filter_values(filters: &Filters, dim: Dim) -> Vec<&str> {
    let values = match dim {
        Dim::Publisher => &filters.publisher,
        Dim::Theme => &filters.theme,
        Dim::Licence => &filters.licence,
        Dim::Format => &filters.format,
        Dim::Access => &filters.access,
        Dim::Province => &filters.province,
    };
    values.iter().map(String::as_str).filter(|v| !v.is_empty()).collect()
}

/// The list of `facets` for `dim`.
fn facet_list(facets: &mut Facets, dim: Dim) -> &mut Vec<(String, u64)> {
    match dim {
        Dim::Publisher => &mut facets.publisher,
        Dim::Theme => &mut facets.theme,
        Dim::Licence => &mut facets.licence,
        Dim::Format => &mut facets.format,
        Dim::Access => &mut facets.access,
        Dim::Province => &mut facets.province,
    }
}

/// The counts of `dim`'s values, most first, then by value.
fn values(counts: &FacetCounts, dim: Dim) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = counts
        .get(dim.root_facet())
        .filter_map(|(facet, count)| {
            let value = facet.to_path().get(1).map(|v| (*v).to_owned())?;
            Some((value, count))
        })
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}
