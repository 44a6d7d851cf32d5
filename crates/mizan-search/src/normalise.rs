//! Text normalisation for matching, so that a word typed on a phone finds the word as published.
//!
//! Urdu is typed on many keyboards, and most of them are Arabic or Persian layouts: the same
//! word reaches us with Arabic yeh (U+064A) or Farsi yeh (U+06CC), Arabic kaf (U+0643) or keheh
//! (U+06A9), Arabic heh (U+0647) or heh goal (U+06C1), with or without harakat, with zero-width
//! joiners, and in composed or decomposed hamza forms. [`normalise`] maps all of them to one
//! spelling. Its output is used only for index terms and query terms, never shown to anyone, so
//! folding letters that a careful writer keeps apart costs a little precision and buys recall.
//!
//! The rules, in order:
//!
//! 1. **NFKC** (`unicode-normalization`): composes decomposed hamza and madda forms (و + ◌ٔ → ؤ,
//!    ا + ◌ٓ → آ, ہ + ◌ٔ → ۂ) and maps Arabic presentation forms (U+FB50–U+FEFF) to letters.
//! 2. **Yeh**: Arabic yeh U+064A and alef maksura U+0649 → Farsi/Urdu yeh U+06CC. Yeh barree
//!    U+06D2 is a letter of its own (word-final ے) and is kept. ی followed by hamza above
//!    (U+06CC U+0654, which NFC does not compose) → yeh with hamza U+0626, the letter every Urdu
//!    keyboard has; ۓ U+06D3 → ئے, which is how it is nearly always typed.
//! 3. **Kaf**: Arabic kaf U+0643 → keheh U+06A9.
//! 4. **Heh**: Arabic heh U+0647, heh doachashmee U+06BE, ae U+06D5, heh with yeh above U+06C0
//!    and heh goal with hamza U+06C2 → heh goal U+06C1. Arabic keyboards have one heh key, so
//!    aspirates (بھ، کھ) arrive as بہ، کہ; folding the doachashmee too makes both spellings
//!    meet. The cost is that pairs such as بہار / بھار match each other. The izafat hamza on
//!    heh (ۂ) is grammatical and usually left out, so it is folded away.
//! 5. **Teh marbuta** U+0629 → Urdu teh marbuta goal U+06C3 (زکوٰۃ is written with U+06C3).
//! 6. **Alef**: alef with hamza above or below (U+0623, U+0625) and alef wasla U+0671 → alef
//!    U+0627. Alef madda آ U+0622 is a letter in Urdu (آب, not اب) and is kept.
//! 7. **Removed**: harakat and other Arabic marks (U+0610–U+061A, U+064B–U+065F, superscript
//!    alef U+0670, Quranic marks U+06D6–U+06ED), tatweel U+0640, zero-width space, non-joiner
//!    and joiner (U+200B–U+200D), direction marks (U+200E, U+200F, U+061C) and U+FEFF. A
//!    non-joiner inside an Urdu compound changes only how letters join, so removing it joins
//!    the word for matching, which is what we want.
//! 8. **Digits**: Arabic-Indic (U+0660–U+0669) and Extended Arabic-Indic (U+06F0–U+06F9) → ASCII.
//! 9. **Case**: lowercased. (Latin accents are folded later by the tokenizer's ASCII folding.)
//!
//! [`is_in_word`] says which characters belong inside a word: letters and digits, and every
//! character rule 7 removes, so a mark or a joiner never splits a word in two.
//! [`urdu_sort_key`] turns a title into a key that sorts in Urdu alphabetical order.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{IsNormalized, UnicodeNormalization as _, is_nfkc_quick};

/// Hamza above, U+0654: composed with the letter before it, else removed.
const HAMZA_ABOVE: char = '\u{0654}';
/// Farsi (Urdu) yeh, U+06CC.
const YEH: char = '\u{06CC}';
/// Yeh with hamza above, U+0626.
const YEH_HAMZA: char = '\u{0626}';

/// Normalises `text` for matching; see the module documentation for the rules.
#[must_use]
pub fn normalise(text: &str) -> String {
    // fast paths: ASCII is NFKC already; most Urdu text passes the quick check
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    if is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        fold(text.chars(), text.len())
    } else {
        fold(text.nfkc(), text.len())
    }
}

/// Rules 2–9 over NFKC-normalised characters.
fn fold(chars: impl Iterator<Item = char>, len: usize) -> String {
    let mut out = String::with_capacity(len);
    for c in chars {
        if c == HAMZA_ABOVE {
            if out.ends_with(YEH) {
                out.pop();
                out.push(YEH_HAMZA);
            }
            continue;
        }
        if is_removed(c) {
            continue;
        }
        push_folded(&mut out, c);
    }
    out
}

/// Whether `c` belongs inside a word: a letter or digit, a combining mark, or a character that
/// [`normalise`] removes (harakat, tatweel, zero-width joiners), so none of them splits a word.
#[must_use]
pub fn is_in_word(c: char) -> bool {
    // fast paths for ASCII and the letters and digits of the Arabic block (Unicode's
    // alphabetic lookup is the slow part of splitting Urdu text)
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    if matches!(
        c,
        '\u{0621}'..='\u{063A}'
            | '\u{0641}'..='\u{064A}'
            | '\u{0660}'..='\u{0669}'
            | '\u{066E}'
            | '\u{066F}'
            | '\u{0671}'..='\u{06D3}'
            | '\u{06D5}'
            | '\u{06EE}'..='\u{06FC}'
            | '\u{06FF}'
    ) {
        return true;
    }
    c.is_alphanumeric() || is_removed(c) || c == HAMZA_ABOVE || is_combining_mark(c)
}

/// Characters [`normalise`] drops: Arabic marks, tatweel, zero-width and direction marks.
fn is_removed(c: char) -> bool {
    matches!(
        c,
        '\u{0610}'..='\u{061A}'
            | '\u{064B}'..='\u{065F}'
            | '\u{0670}'
            | '\u{0640}'
            | '\u{06D6}'..='\u{06DC}'
            | '\u{06DF}'..='\u{06E4}'
            | '\u{06E7}'
            | '\u{06E8}'
            | '\u{06EA}'..='\u{06ED}'
            | '\u{200B}'..='\u{200F}'
            | '\u{061C}'
            | '\u{FEFF}'
    )
}

/// Pushes `c` after the letter folds of rules 2–6, 8 and 9.
fn push_folded(out: &mut String, c: char) {
    match c {
        '\u{064A}' | '\u{0649}' => out.push(YEH),
        '\u{06D3}' => {
            out.push(YEH_HAMZA);
            out.push('\u{06D2}');
        }
        '\u{0643}' => out.push('\u{06A9}'),
        '\u{0647}' | '\u{06BE}' | '\u{06D5}' | '\u{06C0}' | '\u{06C2}' => out.push('\u{06C1}'),
        '\u{0629}' => out.push('\u{06C3}'),
        '\u{0623}' | '\u{0625}' | '\u{0671}' => out.push('\u{0627}'),
        '\u{0660}'..='\u{0669}' => out.push(shift_digit(c, 0x0660)),
        '\u{06F0}'..='\u{06F9}' => out.push(shift_digit(c, 0x06F0)),
        c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
        c => out.extend(c.to_lowercase()),
    }
}

/// Maps a digit of a block starting at `zero` to its ASCII digit.
fn shift_digit(c: char, zero: u32) -> char {
    char::from_u32(u32::from(c) - zero + u32::from('0')).unwrap_or(c)
}

/// Urdu letters in alphabetical order; letters in one group sort together.
const URDU_ORDER: &[&str] = &[
    "آ", "ا", "ب", "پ", "ت", "ٹ", "ث", "ج", "چ", "ح", "خ", "د", "ڈ", "ذ", "ر", "ڑ", "ز", "ژ", "س", "ش", "ص",
    "ض", "ط", "ظ", "ع", "غ", "ف", "ق", "ک", "گ", "ل", "م", "ن", "ںڻ", "وؤ", "ہۃ", "ء", "یئ", "ے",
];

/// A key that sorts normalised text in Urdu alphabetical order (Unicode order puts پ, چ, ڈ
/// and the others after every Arabic letter). Urdu letters become private-use characters in
/// alphabetical order; everything else is kept, so Latin text sorts before Urdu text.
#[must_use]
pub fn urdu_sort_key(text: &str) -> String {
    normalise(text)
        .chars()
        .map(|c| {
            URDU_ORDER
                .iter()
                .position(|group| group.contains(c))
                .and_then(|rank| u32::try_from(rank).ok())
                .and_then(|rank| char::from_u32(0xE000 + rank))
                .unwrap_or(c)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant must normalise to the same text as the published form.
    fn check(published: &str, variants: &[&str]) {
        let want = normalise(published);
        for variant in variants {
            assert_eq!(normalise(variant), want, "`{variant}` should match `{published}`");
        }
    }

    #[test]
    fn kaf_arabic_and_keheh() {
        // پاکستان typed with Arabic kaf U+0643
        check("پاکستان", &["پاكستان", "پاك\u{200C}ستان"]);
    }

    #[test]
    fn yeh_arabic_and_farsi() {
        // تعلیم typed with Arabic yeh U+064A and with alef maksura U+0649
        check("تعلیم", &["تعليم", "تعلىم", "تَعلِیم"]);
    }

    #[test]
    fn heh_forms() {
        // صحت has a ح, not a heh: nothing to fold, harakat removed
        check("صحت", &["صِحّت", "صحـت"]);
        // زراعت و پیداوار... words with heh goal: شہر typed with Arabic heh
        check("شہر", &["شهر", "شـهـر"]);
        // aspirate: بھارت typed with Arabic heh on an Arabic keyboard
        check("بھارت", &["بهارت", "بہارت"]);
        // word-final heh: ادارہ
        check("ادارہ", &["اداره", "ادارە"]);
    }

    #[test]
    fn harakat_and_superscript_alef_are_removed() {
        check("زکوۃ", &["زکوٰۃ", "زكوة", "زَکوٰۃ"]);
        check("محمد", &["مُحَمَّد"]);
    }

    #[test]
    fn zero_width_and_direction_marks_are_removed() {
        check("نیشنل", &["نی\u{200C}شنل", "نیش\u{200D}نل", "\u{200F}نیشنل\u{200E}", "نی\u{200B}شنل"]);
    }

    #[test]
    fn hamza_composed_and_decomposed() {
        // جائزہ: yeh with hamza U+0626, or Farsi yeh + hamza above, or Arabic yeh + hamza above
        check("جائزہ", &["جا\u{06CC}\u{0654}زہ", "جا\u{064A}\u{0654}زه"]);
        // ؤ from و + hamza above
        check("مؤثر", &["مو\u{0654}ثر"]);
        // آ from ا + madda, kept distinct from ا
        check("آب", &["ا\u{0653}ب"]);
        assert_ne!(normalise("آب"), normalise("اب"));
        // ۓ and ئے meet
        check("گئے", &["گ\u{06D3}"]);
        // izafat hamza on heh is folded away
        check("وزارتِ صحت", &["وزارت صحت"]);
        check("ادارۂ شماریات", &["ادارہ شماریات", "اداره شماريات"]);
    }

    #[test]
    fn digits_become_ascii() {
        check("2023", &["۲۰۲۳", "٢٠٢٣"]);
    }

    #[test]
    fn presentation_forms_become_letters() {
        // ﻙ (U+FED9, isolated kaf) and ﻲ (U+FEF2, final yeh)
        check("ک", &["\u{FED9}"]);
        check("ی", &["\u{FEF2}"]);
    }

    #[test]
    fn latin_is_lowercased() {
        assert_eq!(normalise("Crop YIELD"), "crop yield");
    }

    #[test]
    fn marks_and_joiners_stay_in_words() {
        for c in ['\u{064E}', '\u{0670}', '\u{0640}', '\u{200C}', '\u{200D}', '\u{0654}'] {
            assert!(is_in_word(c), "U+{:04X} should stay in a word", u32::from(c));
        }
        for c in [' ', '،', '۔', '-', '\u{00A0}'] {
            assert!(!is_in_word(c), "U+{:04X} should split words", u32::from(c));
        }
    }

    #[test]
    fn fast_path_agrees_over_the_arabic_block() {
        for c in ('\u{0600}'..='\u{06FF}').chain('\u{0000}'..='\u{007F}') {
            let slow = c.is_alphanumeric() || is_removed(c) || c == HAMZA_ABOVE || is_combining_mark(c);
            assert_eq!(is_in_word(c), slow, "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn urdu_sort_order() {
        let mut words = vec!["ٹیکس", "پانی", "آبادی", "بجلی", "یونیورسٹی", "تعلیم", "چاول"];
        words.sort_by_key(|w| urdu_sort_key(w));
        assert_eq!(words, ["آبادی", "بجلی", "پانی", "تعلیم", "ٹیکس", "چاول", "یونیورسٹی"]);
    }
}
