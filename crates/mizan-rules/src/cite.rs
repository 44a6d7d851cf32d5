//! Citations into Regulation (EU) 2024/1689, checked against a table of the Regulation's own
//! structure, so a ruleset cannot cite an article, paragraph or Annex point that does not exist.
//!
//! Why: a regulator publishes these citations on a register and will be held to them. The table
//! below is written from the text in the Official Journal (OJ L, 12.7.2024): the Regulation has
//! 113 articles and 13 annexes. Paragraph counts and lettered points are recorded only for the
//! articles the rules cite; citing a paragraph of an article whose count is not recorded is
//! refused until someone adds the count from the text (a deliberate speed bump, not a guess).
//!
//! The grammar of a citation string: items separated by `, `; each item is
//! `Art. N`, `Art. N(p)`, `Art. N(p)(x)`, `Art. N(p)(x)-(y)`, `Art. N(p)-(q)`, `Art. N-M`,
//! `Annex R`, `Annex R, Section A|B`, `Annex R point K` or `Annex R point K(x)`; an item that
//! starts with a digit continues the previous `Art.` (`Art. 26(1), 26(5)`).

/// Articles with a recorded structure: (article, numbered paragraphs, lettered points).
/// `0` paragraphs means the article is one unnumbered paragraph. Points are
/// (paragraph, last letter); paragraph `0` is the unnumbered paragraph. Art. 3 has 68 numbered
/// definitions, recorded as paragraphs.
/// One article's recorded structure: (article, numbered paragraphs, lettered points).
type Article = (u16, u16, &'static [(u16, char)]);

const STRUCTURE: &[Article] = &[
    (2, 12, &[(1, 'g')]),
    (3, 68, &[]),
    (4, 0, &[]),
    (5, 8, &[(1, 'h')]),
    (6, 8, &[(1, 'b'), (3, 'd')]),
    (9, 10, &[]),
    (10, 6, &[]),
    (11, 3, &[]),
    (12, 3, &[]),
    (13, 3, &[]),
    (14, 5, &[]),
    (15, 5, &[]),
    (16, 0, &[(0, 'l')]),
    (17, 4, &[]),
    (18, 3, &[]),
    (19, 2, &[]),
    (23, 7, &[]),
    (24, 6, &[]),
    (25, 5, &[(1, 'c')]),
    (26, 12, &[]),
    (27, 5, &[(1, 'f')]),
    (43, 6, &[]),
    (47, 4, &[]),
    (48, 5, &[]),
    (49, 5, &[]),
    (50, 7, &[]),
    (51, 3, &[(1, 'b')]),
    (53, 4, &[(1, 'd')]),
    (55, 3, &[(1, 'd')]),
    (72, 4, &[]),
    (73, 11, &[]),
    (86, 3, &[]),
    (95, 4, &[]),
    (99, 10, &[]),
];

/// The last article number.
const LAST_ARTICLE: u16 = 113;

/// Annex III: point → last lettered sub-point (`None`: no lettered sub-points).
const ANNEX_III: &[(u16, Option<char>)] = &[
    (1, Some('c')),
    (2, None),
    (3, Some('d')),
    (4, Some('b')),
    (5, Some('d')),
    (6, Some('e')),
    (7, Some('d')),
    (8, Some('b')),
];

/// Annex I has 20 numbered points: Section A points 1-12, Section B points 13-20.
const ANNEX_I_POINTS: u16 = 20;

const ROMAN: [&str; 13] = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII"];

/// Checks that every item of `cite` names something that exists in the Regulation.
///
/// # Errors
/// A message naming the item and what does not exist.
pub fn check(cite: &str) -> Result<(), String> {
    if cite.trim().is_empty() {
        return Err("empty citation".into());
    }
    let mut items = cite.split(", ").peekable();
    while let Some(item) = items.next() {
        if let Some(rest) = item.strip_prefix("Art. ") {
            check_article(rest).map_err(|e| format!("`{item}` in `{cite}`: {e}"))?;
        } else if item.starts_with(|c: char| c.is_ascii_digit()) {
            check_article(item).map_err(|e| format!("`{item}` in `{cite}`: {e}"))?;
        } else if let Some(rest) = item.strip_prefix("Annex ") {
            let annex = check_annex(rest).map_err(|e| format!("`{item}` in `{cite}`: {e}"))?;
            if annex == "I"
                && let Some(section) = items.peek().and_then(|n| n.strip_prefix("Section "))
            {
                if section != "A" && section != "B" {
                    return Err(format!("Annex I has Sections A and B, not `{section}` (in `{cite}`)"));
                }
                items.next();
            }
        } else {
            return Err(format!("`{item}` in `{cite}` is not `Art. N...` or `Annex R...`"));
        }
    }
    Ok(())
}

fn check_article(s: &str) -> Result<(), String> {
    let (num, rest) = split_number(s).ok_or("no article number")?;
    if num == 0 || num > LAST_ARTICLE {
        return Err(format!("there is no Article {num} (Articles 1-{LAST_ARTICLE})"));
    }
    if let Some(end) = rest.strip_prefix('-') {
        let (to, tail) = split_number(end).ok_or("bad article range")?;
        if !tail.is_empty() || to <= num || to > LAST_ARTICLE {
            return Err(format!("bad article range {num}-{end}"));
        }
        return Ok(());
    }
    if rest.is_empty() {
        return Ok(());
    }
    let entry = STRUCTURE.iter().find(|(a, _, _)| *a == num).ok_or_else(|| {
        format!(
            "the paragraphs of Article {num} are not recorded; add them to `cite::STRUCTURE` from the text"
        )
    })?;
    if entry.1 == 0 {
        // One unnumbered paragraph: only lettered points can follow (`Art. 16(a)`).
        let last = entry
            .2
            .iter()
            .find(|(p, _)| *p == 0)
            .map(|(_, l)| *l)
            .ok_or_else(|| format!("Article {num} has no numbered paragraphs or recorded points"))?;
        return check_points(num, 0, last, rest);
    }
    let (para, rest) = paren_number(rest).ok_or_else(|| format!("expected `(paragraph)` after {num}"))?;
    let check_para = |p: u16| {
        if p == 0 || p > entry.1 {
            Err(format!("Article {num} has no paragraph {p} ({} recorded)", entry.1))
        } else {
            Ok(())
        }
    };
    check_para(para)?;
    if rest.is_empty() {
        return Ok(());
    }
    if let Some(range) = rest.strip_prefix('-') {
        let (to, tail) = paren_number(range).ok_or("bad paragraph range")?;
        check_para(to)?;
        return if tail.is_empty() && to > para { Ok(()) } else { Err("bad paragraph range".into()) };
    }
    let last = entry.2.iter().find(|(p, _)| *p == para).map(|(_, l)| *l).ok_or_else(|| {
        format!("the points of Article {num}({para}) are not recorded; add them to `cite::STRUCTURE`")
    })?;
    check_points(num, para, last, rest)
}

fn check_points(num: u16, para: u16, last: char, rest: &str) -> Result<(), String> {
    let (letter, rest) = paren_letter(rest).ok_or("expected `(letter)`")?;
    if letter > last {
        return Err(format!("Article {num}({para}) has points (a)-({last}), not ({letter})"));
    }
    if rest.is_empty() {
        return Ok(());
    }
    let range = rest.strip_prefix('-').ok_or("unexpected text after the point")?;
    let (to, tail) = paren_letter(range).ok_or("bad point range")?;
    if !tail.is_empty() || to <= letter || to > last {
        return Err(format!("bad point range ({letter})-({to})"));
    }
    Ok(())
}

fn check_annex(s: &str) -> Result<&'static str, String> {
    let (roman, rest) = s.split_once(' ').unwrap_or((s, ""));
    let annex = ROMAN.iter().find(|r| **r == roman).ok_or_else(|| format!("there is no Annex {roman}"))?;
    if rest.is_empty() {
        return Ok(annex);
    }
    let point = rest.strip_prefix("point ").ok_or("expected `point K`")?;
    let (num, tail) = split_number(point).ok_or("expected a point number")?;
    match *annex {
        "I" if (1..=ANNEX_I_POINTS).contains(&num) && tail.is_empty() => Ok(annex),
        "III" => {
            let (_, last) = ANNEX_III
                .iter()
                .find(|(p, _)| *p == num)
                .ok_or_else(|| format!("Annex III has points 1-8, not {num}"))?;
            if tail.is_empty() {
                return Ok(annex);
            }
            let last = last.ok_or_else(|| format!("Annex III point {num} has no lettered sub-points"))?;
            match paren_letter(tail) {
                Some((l, "")) if l <= last => Ok(annex),
                _ => Err(format!("Annex III point {num} has sub-points (a)-({last}), not `{tail}`")),
            }
        }
        _ => Err(format!("point `{point}` of Annex {annex} is not recorded")),
    }
}

fn split_number(s: &str) -> Option<(u16, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    Some((s.get(..end)?.parse().ok()?, s.get(end..)?))
}

fn paren_number(s: &str) -> Option<(u16, &str)> {
    let (n, rest) = split_number(s.strip_prefix('(')?)?;
    Some((n, rest.strip_prefix(')')?))
}

fn paren_letter(s: &str) -> Option<(char, &str)> {
    let mut chars = s.strip_prefix('(')?.chars();
    let letter = chars.next().filter(char::is_ascii_lowercase)?;
    Some((letter, chars.as_str().strip_prefix(')')?))
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn existing_citations_pass() {
        for ok in [
            "Art. 3(1)",
            "Art. 3(3), 3(4), 3(6), 3(7)",
            "Art. 5(1)(c)",
            "Art. 25(1)(a)-(c)",
            "Art. 6(1), Annex I, Section B",
            "Annex III point 1(a), Art. 14(5)",
            "Art. 102-109",
            "Art. 53(1)(c)-(d)",
            "Art. 4",
            "Annex III point 2",
            "Art. 16(a)",
            "Art. 16(l)",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn missing_citations_fail() {
        for bad in [
            "Art. 114",
            "Art. 5(9)",
            "Art. 5(1)(i)",
            "Art. 50(8)",
            "Annex III point 9",
            "Annex III point 2(a)",
            "Annex III point 5(e)",
            "Annex XIV",
            "Art. 6(3), last subparagraph",
            "Art. 7(1)",
            "Art. 16(m)",
            "Art. 16(1)",
            "",
        ] {
            assert!(check(bad).is_err(), "{bad} should be refused");
        }
    }
}
