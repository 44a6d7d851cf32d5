//! Highlights: which words of a stored text matched the query, as [`Segment`]s.
//!
//! We do not use tantivy's `SnippetGenerator`: it sees only the terms of term queries (not the
//! prefix of the last word) and returns HTML or ranges of one field. Here the stored text is
//! run through the same analyzers the index used, so a word matches in the highlight exactly
//! when it matched in the index: its stem is one of the query's stems, or (the last word being
//! typed) its unstemmed form starts with the query's prefix. Offsets point into the stored
//! text, so the marked text is the title as published, whatever form the query was typed in.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use tantivy::tokenizer::TextAnalyzer;

use crate::doc::Segment;
use crate::tokenizer::{plain, stemmer, tokens};

/// Marks the words of texts that match a query.
pub(crate) struct Matcher {
    stems: HashSet<String>,
    prefix: Option<String>,
    plain: TextAnalyzer,
    /// Stems a word the plain analyzer gave (one token in, one out).
    stemmer: TextAnalyzer,
    /// Whether a plain word matched, for the words already seen in this search's hits.
    seen: HashMap<String, bool>,
}

impl Matcher {
    /// A matcher for the query's stemmed words and optional prefix (normalised, unstemmed).
    pub(crate) fn new(stems: HashSet<String>, prefix: Option<String>) -> Matcher {
        Matcher { stems, prefix, plain: plain(), stemmer: stemmer(), seen: HashMap::new() }
    }

    /// The words of `text` (byte ranges) and whether each matched.
    ///
    /// The plain analyzer's word, stemmed, is what the stemmed analyzer gives for it (the same
    /// tokenizer and filters, then the stemmer), so each word is split and normalised once.
    fn words(&mut self, text: &str) -> Vec<(Range<usize>, bool)> {
        let words = tokens(&mut self.plain, text);
        if self.stems.is_empty() && self.prefix.is_none() {
            return words.into_iter().map(|(_, from, to)| (from..to, false)).collect();
        }
        words
            .into_iter()
            .map(|(word, from, to)| {
                let matched = if let Some(&matched) = self.seen.get(&word) {
                    matched
                } else {
                    let stem = tokens(&mut self.stemmer, &word).pop().map(|(stem, _, _)| stem);
                    let matched = stem.is_some_and(|stem| self.stems.contains(&stem))
                        || self.prefix.as_ref().is_some_and(|p| word.starts_with(p));
                    self.seen.insert(word, matched);
                    matched
                };
                (from..to, matched)
            })
            .collect()
    }

    /// All of `text`, matched words marked.
    pub(crate) fn whole(&mut self, text: &str) -> Vec<Segment> {
        let words = self.words(text);
        segments(text, 0..text.len(), &words)
    }

    /// At most `max_chars` characters of `text` around its first matched word (its start when
    /// nothing matched), cut at word boundaries, with `…` where it was cut.
    pub(crate) fn excerpt(&mut self, text: &str, max_chars: usize) -> Vec<Segment> {
        if text.chars().count() <= max_chars {
            return self.whole(text);
        }
        let words = self.words(text);
        let first = words.iter().find(|(_, matched)| *matched).map_or(0, |(range, _)| range.start);
        // some context before the first match, starting at a word
        let context = max_chars / 4;
        let back = text
            .get(..first)
            .unwrap_or_default()
            .char_indices()
            .rev()
            .nth(context.saturating_sub(1))
            .map_or(0, |(i, _)| i);
        let start = if back == 0 {
            0
        } else {
            words.iter().map(|(range, _)| range.start).find(|&s| s >= back).map_or(first, |s| s.min(first))
        };
        let limit = text
            .get(start..)
            .unwrap_or_default()
            .char_indices()
            .nth(max_chars)
            .map_or(text.len(), |(i, _)| start + i);
        let end = if limit == text.len() {
            limit
        } else {
            words.iter().map(|(range, _)| range.end).rfind(|&e| e > start && e <= limit).unwrap_or(limit)
        };
        let mut out = Vec::new();
        if start > 0 {
            out.push(Segment { text: "…".to_owned(), matched: false });
        }
        out.extend(segments(text, start..end, &words));
        if end < text.len() {
            push(&mut out, "…", false);
        }
        out
    }
}

/// The segments of `text[window]`, marking the matched `words` wholly inside it.
fn segments(text: &str, window: Range<usize>, words: &[(Range<usize>, bool)]) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut at = window.start;
    for (range, _) in words
        .iter()
        .filter(|(range, matched)| *matched && range.start >= window.start && range.end <= window.end)
    {
        push(&mut out, text.get(at..range.start).unwrap_or_default(), false);
        push(&mut out, text.get(range.clone()).unwrap_or_default(), true);
        at = range.end;
    }
    push(&mut out, text.get(at..window.end).unwrap_or_default(), false);
    out
}

/// Appends a segment, merging it into the last one when both are (un)marked alike.
fn push(out: &mut Vec<Segment>, text: &str, matched: bool) {
    if text.is_empty() {
        return;
    }
    match out.last_mut() {
        Some(last) if last.matched == matched => last.text.push_str(text),
        _ => out.push(Segment { text: text.to_owned(), matched }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(segments: &[Segment]) -> String {
        segments.iter().map(|s| if s.matched { format!("[{}]", s.text) } else { s.text.clone() }).collect()
    }

    fn matcher(stems: &[&str], prefix: Option<&str>) -> Matcher {
        Matcher::new(stems.iter().map(|s| (*s).to_owned()).collect(), prefix.map(str::to_owned))
    }

    #[test]
    fn whole_title_marks_stems_and_prefix() {
        let mut m = matcher(&["crop", "yield"], Some("pun"));
        assert_eq!(render(&m.whole("Crop Yields of Punjab, 2023")), "[Crop] [Yields] of [Punjab], 2023");
    }

    #[test]
    fn urdu_title_is_marked_as_published() {
        // the query was typed with Arabic kaf; the title is published with keheh
        let mut m = matcher(&["پاکستان"], None);
        assert_eq!(render(&m.whole("پاکستان کی آبادی")), "[پاکستان] کی آبادی");
    }

    #[test]
    fn excerpt_cuts_at_words_around_the_match() {
        let text = format!("{} rainfall {}", "lorem ipsum ".repeat(20), "dolor sit ".repeat(20));
        let mut m = matcher(&["rainfal"], None);
        let got = render(&m.excerpt(&text, 60));
        assert!(got.starts_with("…ipsum") || got.starts_with("…lorem"), "{got}");
        assert!(got.contains("[rainfall]"), "{got}");
        assert!(got.ends_with('…'), "{got}");
        assert!(got.chars().count() <= 64, "{got}");
    }

    #[test]
    fn excerpt_without_match_is_the_start() {
        let text = "word ".repeat(100);
        let mut m = matcher(&["other"], None);
        let got = render(&m.excerpt(&text, 20));
        assert!(got.starts_with("word word"), "{got}");
        assert!(got.ends_with('…'), "{got}");
    }
}
