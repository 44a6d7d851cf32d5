//! The analyzers every text field uses, in both languages, and the word splitter under them.
//!
//! [`WordTokenizer`] splits on Unicode word characters as [`crate::normalise::is_in_word`]
//! defines them (so harakat and zero-width joiners never split an Urdu word) and gives each
//! token the [`normalise`]d text of its word, with offsets into the original text: highlights
//! mark the text as published, whatever was typed. Two analyzers are built on it:
//!
//! - [`STEMMED`]: words → drop words over [`MAX_TOKEN_BYTES`] → ASCII folding → English
//!   (Porter2) stemmer. Every scored field uses it. The stemmer leaves Urdu words as they are:
//!   its rules only touch Latin letters. There is no Urdu stemmer in Snowball.
//! - [`PLAIN`]: the same without the stemmer, for the one field the last word of a query is
//!   matched against as a prefix (a stem is not a prefix of every longer prefix of its word:
//!   "educat" is a prefix of "education" but not of its stem "educ").

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, RawTokenizer, RemoveLongFilter, Stemmer, TextAnalyzer, Token, TokenStream,
    Tokenizer,
};

use crate::normalise::{is_in_word, normalise};

/// Name of the stemmed analyzer in the index's tokenizer manager.
pub const STEMMED: &str = "mizan_stemmed";
/// Name of the analyzer without stemming.
pub const PLAIN: &str = "mizan_plain";
/// Longer tokens (in bytes, after normalising) are dropped: they are not words.
pub const MAX_TOKEN_BYTES: usize = 100;

/// The stemmed analyzer (see the module documentation).
#[must_use]
pub fn stemmed() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The analyzer without stemming.
#[must_use]
pub fn plain() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(AsciiFoldingFilter)
        .build()
}

/// The stemmer alone, for a word the [`plain`] analyzer already gave: its output equals what
/// [`stemmed`] gives for that word.
#[must_use]
pub fn stemmer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default()).filter(Stemmer::new(Language::English)).build()
}

/// Splits text into words and normalises each; see the module documentation.
#[derive(Clone, Default)]
pub struct WordTokenizer {
    token: Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream<'a> {
        self.token.reset();
        WordStream { text, chars: text.char_indices().peekable(), token: &mut self.token }
    }
}

/// The token stream of [`WordTokenizer`].
pub struct WordStream<'a> {
    text: &'a str,
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    token: &'a mut Token,
}

impl TokenStream for WordStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            // skip to the start of the next word
            let start = loop {
                match self.chars.next() {
                    Some((offset, c)) if is_in_word(c) => break offset,
                    Some(_) => {}
                    None => return false,
                }
            };
            let mut end = self.text.len();
            while let Some(&(offset, c)) = self.chars.peek() {
                if !is_in_word(c) {
                    end = offset;
                    break;
                }
                self.chars.next();
            }
            let word = normalise(self.text.get(start..end).unwrap_or_default());
            // a run of marks or joiners alone normalises to nothing: not a word
            if word.is_empty() {
                continue;
            }
            self.token.text = word;
            self.token.offset_from = start;
            self.token.offset_to = end;
            self.token.position = self.token.position.wrapping_add(1);
            return true;
        }
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// The tokens of `text` under `analyzer`: (text, byte range in `text`).
pub(crate) fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        out.push((token.text.clone(), token.offset_from, token.offset_to));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(analyzer: fn() -> TextAnalyzer, text: &str, expect: &[&str]) {
        let got: Vec<String> = tokens(&mut analyzer(), text).into_iter().map(|(t, _, _)| t).collect();
        assert_eq!(got, expect, "tokens of `{text}`");
    }

    #[test]
    fn english_is_stemmed_and_folded() {
        check(stemmed, "Crop Yields, Punjab (2023)", &["crop", "yield", "punjab", "2023"]);
        check(stemmed, "Café education", &["cafe", "educ"]);
        check(plain, "Crop Yields", &["crop", "yields"]);
    }

    #[test]
    fn urdu_words_stay_whole() {
        check(stemmed, "پاکستان کی تعلیم", &["پاکستان", "کی", "تعلیم"]);
        // harakat and a non-joiner inside a word do not split it
        check(stemmed, "تَعلِیم نی\u{200C}شنل", &["تعلیم", "نیشنل"]);
        // Urdu full stop and comma split
        check(stemmed, "صحت۔تعلیم،زراعت", &["صحت", "تعلیم", "زراعت"]);
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "پاكستان data";
        let got = tokens(&mut stemmed(), text);
        assert_eq!(got[0].0, "پاکستان");
        assert_eq!(&text[got[0].1..got[0].2], "پاكستان");
        assert_eq!(&text[got[1].1..got[1].2], "data");
    }

    #[test]
    fn stemming_a_plain_word_equals_the_stemmed_analyzer() {
        let text = "Yields of wheat, Crop-reporting CAFÉS; ponies dying, پاکستان کی تعلیمات 2023";
        let via_plain: Vec<String> = tokens(&mut plain(), text)
            .into_iter()
            .map(|(word, _, _)| tokens(&mut stemmer(), &word).remove(0).0)
            .collect();
        let direct: Vec<String> = tokens(&mut stemmed(), text).into_iter().map(|(t, _, _)| t).collect();
        assert_eq!(via_plain, direct);
    }

    #[test]
    fn marks_alone_are_not_words() {
        check(stemmed, "\u{064E} \u{200C} ...", &[]);
    }
}
