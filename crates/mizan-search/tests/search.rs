//! The index end to end: ten datasets in English and Urdu, searched the way people search —
//! words in either language typed on any keyboard, facets, filters, sorts, pages — and the
//! writes that keep it in step with the catalogue.

use mizan_search::{Error, Filters, Index, Query, Results, SearchDoc, Segment, Sort};

#[expect(clippy::too_many_arguments, reason = "one row of the catalogue table below")]
fn dataset(
    id: &str,
    org: &str,
    title_en: &str,
    title_ur: &str,
    description_en: &str,
    themes: &[&str],
    licence: &str,
    formats: &[&str],
    access: &str,
    provinces: &[&str],
    modified: i64,
) -> SearchDoc {
    let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    SearchDoc {
        id: id.to_owned(),
        org: org.to_owned(),
        publisher_en: format!("Publisher {org}"),
        publisher_ur: String::new(),
        title_en: title_en.to_owned(),
        title_ur: title_ur.to_owned(),
        description_en: description_en.to_owned(),
        description_ur: String::new(),
        keywords: Vec::new(),
        themes: strings(themes),
        licence: licence.to_owned(),
        formats: strings(formats),
        access: access.to_owned(),
        provinces: strings(provinces),
        modified,
        version: 1,
    }
}

fn catalogue() -> Vec<SearchDoc> {
    let mut docs = vec![
        dataset(
            "crop-yield-punjab",
            "pbs",
            "Crop Yield Statistics for Punjab",
            "پنجاب میں فصلوں کی پیداوار",
            "Yields of wheat, rice and cotton per acre by district, from the crop reporting service.",
            &["agriculture"],
            "cc-by-4.0",
            &["CSV", "Parquet"],
            "open",
            &["punjab"],
            1_700_000_000,
        ),
        dataset(
            "school-enrolment",
            "moe",
            "School Enrolment in Pakistan",
            "پاکستان میں تعلیم اور اسکول داخلہ",
            "Enrolment by grade, gender and district.",
            &["education"],
            "cc-by-4.0",
            &["CSV"],
            "open",
            &["punjab", "sindh"],
            1_710_000_000,
        ),
        dataset(
            "hospital-beds",
            "moh",
            "Hospital Beds by District",
            "صحت: ہسپتالوں کے بستر",
            "Beds in public hospitals.",
            &["health"],
            "odbl-1.0",
            &["JSON"],
            "registered",
            &["sindh"],
            1_690_000_000,
        ),
        dataset(
            "rainfall-daily",
            "pmd",
            "Daily Rainfall Records",
            "روزانہ بارش کا ریکارڈ",
            "Rainfall at every weather station since 1961.",
            &["environment", "water"],
            "cc0-1.0",
            &["CSV"],
            "open",
            &["balochistan", "sindh"],
            1_720_000_000,
        ),
        dataset(
            "wheat-prices",
            "pbs",
            "Wheat Prices in Markets",
            "گندم کی قیمتیں",
            "Weekly wheat and flour prices in city markets.",
            &["agriculture", "economy"],
            "cc-by-4.0",
            &["XLSX"],
            "open",
            &["punjab"],
            1_650_000_000,
        ),
        dataset(
            "urdu-speech",
            "nlp-lab",
            "Urdu Speech Corpus",
            "اردو تقریر کا ذخیرہ",
            "Read speech with transcripts for training speech recognition models.",
            &["language", "technology"],
            "cc-by-sa-4.0",
            &["Parquet"],
            "registered",
            &["ict"],
            1_705_000_000,
        ),
        dataset(
            "health-survey",
            "moh",
            "Pakistan Demographic and Health Survey",
            "پاکستان آبادیاتی و صحت سروے",
            "Household survey of maternal and child health.",
            &["health", "population"],
            "restricted-use",
            &["CSV"],
            "restricted",
            &["punjab", "sindh", "balochistan", "khyber-pakhtunkhwa"],
            1_680_000_000,
        ),
        dataset(
            "literacy-kp",
            "moe",
            "Literacy Rates in Khyber Pakhtunkhwa",
            "خیبر پختونخوا میں شرح خواندگی",
            "Literacy by age and district.",
            &["education"],
            "cc-by-4.0",
            &["CSV"],
            "open",
            &["khyber-pakhtunkhwa"],
            1_660_000_000,
        ),
        dataset(
            "electricity-use",
            "nepra",
            "Electricity Consumption by Sector",
            "شعبہ وار بجلی کی کھپت",
            "Units sold to households, industry and agriculture.",
            &["energy"],
            "cc-by-4.0",
            &["CSV", "JSON"],
            "open",
            &[],
            1_640_000_000,
        ),
        dataset(
            "teacher-census",
            "moe",
            "Teacher Census",
            "اساتذہ کی مردم شماری",
            "Teachers in government schools.",
            &["education"],
            "odbl-1.0",
            &["Parquet"],
            "registered",
            &["sindh"],
            1_670_000_000,
        ),
    ];
    // Urdu descriptions and keywords for a few
    docs[1].description_ur = "صوبوں میں بنیادی تعلیم کے اعداد و شمار۔".to_owned();
    docs[1].publisher_ur = "وزارتِ تعلیم".to_owned();
    docs[5].keywords = vec!["ASR".to_owned(), "آواز".to_owned()];
    docs
}

fn index() -> Index {
    let index = Index::in_memory().unwrap();
    assert_eq!(index.rebuild(catalogue()).unwrap(), 10);
    index
}

fn search(index: &Index, query: &Query) -> Results {
    index.search(query).unwrap()
}

fn ids(results: &Results) -> Vec<&str> {
    results.hits.iter().map(|h| h.id.as_str()).collect()
}

fn text(q: &str) -> Query {
    Query::text(q)
}

/// The segments with matched text in brackets.
fn render(segments: &[Segment]) -> String {
    segments.iter().map(|s| if s.matched { format!("[{}]", s.text) } else { s.text.clone() }).collect()
}

fn facet<'a>(list: &'a [(String, u64)], value: &str) -> Option<u64> {
    list.iter().find(|(v, _)| v == value).map(|(_, n): &'a (String, u64)| *n)
}

#[test]
fn english_words_all_match() {
    let index = index();
    let r = search(&index, &text("crop yield punjab"));
    assert!(r.matched_all_words);
    assert_eq!(ids(&r), ["crop-yield-punjab"]);
    let hit = &r.hits[0];
    assert!(hit.score.is_some());
    assert_eq!(render(&hit.title_en), "[Crop] [Yield] Statistics for [Punjab]");
    assert!(render(&hit.description_en).contains("[Yields]"));
}

#[test]
fn english_is_stemmed_and_the_last_word_is_a_prefix() {
    let index = index();
    assert_eq!(ids(&search(&index, &text("yields"))), ["crop-yield-punjab"]);
    assert_eq!(ids(&search(&index, &text("hosp"))), ["hospital-beds"]);
    // a trailing space ends the word: no prefix
    assert!(search(&index, &text("hosp ")).hits.is_empty());
    let r = search(&index, &text("electricity consum"));
    assert_eq!(ids(&r), ["electricity-use"]);
    assert_eq!(render(&r.hits[0].title_en), "[Electricity] [Consumption] by Sector");
}

#[test]
fn function_words_are_optional() {
    let index = index();
    let r = search(&index, &text("rainfall of the daily"));
    assert!(r.matched_all_words);
    assert_eq!(ids(&r), ["rainfall-daily"]);
}

#[test]
fn no_dataset_with_every_word_falls_back_to_any_word() {
    let index = index();
    let r = search(&index, &text("wheat zebra"));
    assert!(!r.matched_all_words);
    assert_eq!(ids(&r)[0], "wheat-prices");
}

#[test]
fn urdu_typed_with_arabic_letters_finds_the_title_as_published() {
    let index = index();
    // Published: پاکستان میں تعلیم (keheh U+06A9, Farsi yeh U+06CC).
    for typed in [
        "پاکستان تعلیم",
        "پاكستان تعليم",                 // Arabic kaf U+0643 and Arabic yeh U+064A
        "پاكستان تعلىم",                 // alef maksura
        "پاکِستان تَعلِیم",                 // harakat
        "پاک\u{200C}ستان تع\u{200D}لیم", // zero-width non-joiner and joiner
        "\u{200F}پاكستان تعليم\u{200F}", // right-to-left marks from a phone
    ] {
        let r = search(&index, &text(typed));
        assert_eq!(ids(&r), ["school-enrolment"], "typed as `{typed}`");
        assert_eq!(
            render(&r.hits[0].title_ur),
            "[پاکستان] میں [تعلیم] اور اسکول داخلہ",
            "typed as `{typed}`"
        );
        assert_eq!(render(&r.hits[0].description_ur), "صوبوں میں بنیادی [تعلیم] کے اعداد و شمار۔");
    }
}

#[test]
fn urdu_heh_and_yeh_forms_match() {
    let index = index();
    // ہسپتالوں published with heh goal U+06C1, typed with Arabic heh U+0647
    let r = search(&index, &text("هسپتالوں"));
    assert_eq!(ids(&r), ["hospital-beds"]);
    assert_eq!(render(&r.hits[0].title_ur), "صحت: [ہسپتالوں] کے بستر");
    // کھپت (doachashmee) typed with Arabic kaf and heh
    assert_eq!(ids(&search(&index, &text("كهپت"))), ["electricity-use"]);
    // صحت in two datasets
    let r = search(&index, &text("صحت"));
    assert_eq!(r.total, 2);
    // an Urdu word being typed matches as a prefix
    assert_eq!(ids(&search(&index, &text("خواند"))), ["literacy-kp"]);
    // the publisher's Urdu name, with the izafat left out
    assert_eq!(ids(&search(&index, &text("وزارت تعلیم"))), ["school-enrolment"]);
}

#[test]
fn browse_counts_every_facet() {
    let index = index();
    let r = search(&index, &Query::default());
    assert_eq!(r.total, 10);
    assert!(r.matched_all_words);
    let f = &r.facets;
    assert_eq!(
        f.access,
        [("open".to_owned(), 6), ("registered".to_owned(), 3), ("restricted".to_owned(), 1)]
    );
    assert_eq!(facet(&f.publisher, "moe"), Some(3));
    assert_eq!(facet(&f.theme, "education"), Some(3));
    assert_eq!(facet(&f.theme, "agriculture"), Some(2));
    assert_eq!(facet(&f.format, "CSV"), Some(6));
    assert_eq!(facet(&f.licence, "cc-by-4.0"), Some(5));
    assert_eq!(facet(&f.province, "sindh"), Some(5));
    assert_eq!(facet(&f.province, "punjab"), Some(4));
    // most first, then by value
    assert_eq!(f.province[0], ("sindh".to_owned(), 5));
}

#[test]
fn filters_and_within_a_facet_or_across() {
    let index = index();
    let mut q = Query::default();
    q.filters.province = vec!["sindh".to_owned()];
    let r = search(&index, &q);
    assert_eq!(r.total, 5);

    q.filters.access = vec!["open".to_owned()];
    let r = search(&index, &q);
    let mut got = ids(&r);
    got.sort_unstable();
    assert_eq!(got, ["rainfall-daily", "school-enrolment"]);

    // OR within a facet
    q.filters.access = vec!["open".to_owned(), "restricted".to_owned()];
    assert_eq!(search(&index, &q).total, 3);

    // with words
    let q = Query {
        text: "health".to_owned(),
        filters: Filters { province: vec!["punjab".to_owned()], ..Filters::default() },
        ..Query::default()
    };
    assert_eq!(ids(&search(&index, &q)), ["health-survey"]);

    // an unknown value matches nothing, and is no error
    let q = Query {
        filters: Filters { theme: vec!["no-such-theme".to_owned()], ..Filters::default() },
        ..Query::default()
    };
    assert_eq!(search(&index, &q).total, 0);
}

#[test]
fn facets_drill_down() {
    let index = index();
    let q = Query {
        filters: Filters { access: vec!["open".to_owned()], ..Filters::default() },
        ..Query::default()
    };
    let r = search(&index, &q);
    assert_eq!(r.total, 6);
    // the filtered facet keeps every value's count, so the selection can widen
    assert_eq!(facet(&r.facets.access, "registered"), Some(3));
    assert_eq!(facet(&r.facets.access, "open"), Some(6));
    // the other facets count only open datasets
    assert_eq!(facet(&r.facets.theme, "education"), Some(2));
    assert_eq!(facet(&r.facets.theme, "health"), None);
    assert_eq!(facet(&r.facets.publisher, "moh"), None);

    // with words: counts are over the datasets matching the words
    let q = Query {
        text: "district".to_owned(),
        filters: Filters { theme: vec!["education".to_owned()], ..Filters::default() },
        ..Query::default()
    };
    let r = search(&index, &q);
    let mut got = ids(&r);
    got.sort_unstable();
    assert_eq!(got, ["literacy-kp", "school-enrolment"]);
    // "district": crop-yield, school, hospital, literacy; theme counted without its filter
    assert_eq!(facet(&r.facets.theme, "education"), Some(2));
    assert_eq!(facet(&r.facets.theme, "health"), Some(1));
    assert_eq!(facet(&r.facets.theme, "agriculture"), Some(1));
    assert_eq!(facet(&r.facets.publisher, "moe"), Some(2));
    assert_eq!(facet(&r.facets.publisher, "moh"), None);
}

#[test]
fn sorts() {
    let index = index();
    let q = Query { sort: Sort::Modified, limit: 4, ..Query::default() };
    assert_eq!(
        ids(&search(&index, &q)),
        ["rainfall-daily", "school-enrolment", "urdu-speech", "crop-yield-punjab"]
    );
    // relevance with no words is newest first too
    let q = Query { limit: 2, ..Query::default() };
    assert_eq!(ids(&search(&index, &q)), ["rainfall-daily", "school-enrolment"]);

    let q = Query { sort: Sort::Title, limit: 3, ..Query::default() };
    let r = search(&index, &q);
    assert_eq!(ids(&r), ["crop-yield-punjab", "rainfall-daily", "electricity-use"]);
    assert!(r.hits[0].score.is_none());

    // Urdu alphabetical order: اردو (ا ر), اساتذہ (ا س), then پاکستان آبادیاتی (آ before م)
    let q = Query { sort: Sort::TitleUrdu, limit: 3, ..Query::default() };
    assert_eq!(ids(&search(&index, &q)), ["urdu-speech", "teacher-census", "health-survey"]);

    // a sort with words: only the matches, in title order
    let q = Query { text: "district".to_owned(), sort: Sort::Title, ..Query::default() };
    assert_eq!(
        ids(&search(&index, &q)),
        ["crop-yield-punjab", "hospital-beds", "literacy-kp", "school-enrolment"]
    );
}

#[test]
fn pages() {
    let index = index();
    let all = ids(&search(&index, &Query { sort: Sort::Title, limit: 10, ..Query::default() }))
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    let mut paged = Vec::new();
    for offset in [0, 4, 8] {
        let r = search(&index, &Query { sort: Sort::Title, offset, limit: 4, ..Query::default() });
        assert_eq!(r.total, 10);
        paged.extend(ids(&r).into_iter().map(str::to_owned));
    }
    assert_eq!(paged, all);

    // limit 0: the total and facets only
    let r = search(&index, &Query { limit: 0, ..Query::default() });
    assert_eq!((r.total, r.hits.len()), (10, 0));
    assert_eq!(facet(&r.facets.access, "open"), Some(6));

    // past the end: no hits, no error
    let r = search(&index, &Query { offset: 50, ..Query::default() });
    assert!(r.hits.is_empty());

    let err = index.search(&Query { limit: 101, ..Query::default() }).unwrap_err();
    assert!(matches!(err, Error::LimitTooLarge { limit: 101, max: 100 }));
    assert_eq!(
        err.to_string(),
        "`limit` is 101 but at most 100 results are returned at once; page with `offset`"
    );
    assert!(matches!(
        index.search(&Query { offset: 1_000_000, ..Query::default() }),
        Err(Error::OffsetTooLarge { .. })
    ));
}

#[test]
fn too_many_filter_values_is_refused_naming_the_facet() {
    let index = index();
    let q = Query {
        filters: Filters { province: (0..101).map(|i| format!("p{i}")).collect(), ..Filters::default() },
        ..Query::default()
    };
    let err = index.search(&q).unwrap_err();
    assert_eq!(err.to_string(), "the `province` filter lists 101 values but at most 100 are allowed");
}

#[test]
fn any_text_is_a_query() {
    let index = index();
    // punctuation only: no words, so every dataset
    assert_eq!(search(&index, &text("!!! ??? --- ۔۔ ،")).total, 10);
    // tantivy query syntax is plain text here
    for q in ["title:crop AND (yield", "\"unbalanced", "crop^3 -yield +[a TO z]", "*", "\\", "\u{0}\u{1}"] {
        search(&index, &text(q));
    }
    // 10 KB of text: only the first words count
    let long = "crop ".repeat(2_048);
    let r = search(&index, &text(&long));
    assert_eq!(ids(&r), ["crop-yield-punjab"]);
    let long = "پاکستان".repeat(1_500);
    search(&index, &text(&long));
    // a 10 KB word
    search(&index, &text(&"x".repeat(10_240)));
}

#[test]
fn replace_and_remove_after_commit() {
    let index = index();
    let mut doc = catalogue().remove(4);
    doc.title_en = "Flour Prices".to_owned();
    index.replace(&doc).unwrap();
    // not seen before the commit
    assert_eq!(ids(&search(&index, &text("flour prices"))), ["wheat-prices"]);
    assert_eq!(search(&index, &text("wheat prices")).total, 1);
    index.commit().unwrap();
    assert_eq!(index.len(), 10);
    let r = search(&index, &text("flour prices"));
    assert_eq!(render(&r.hits[0].title_en), "[Flour] [Prices]");

    index.remove("wheat-prices");
    index.remove("no-such-dataset");
    index.commit().unwrap();
    assert_eq!(index.len(), 9);
    assert_eq!(search(&index, &text("flour")).total, 0);
}

#[test]
fn rebuild_replaces_everything() {
    let index = index();
    let mut docs = catalogue();
    docs.truncate(2);
    docs[0].title_en = "Rebuilt".to_owned();
    assert_eq!(index.rebuild(docs).unwrap(), 2);
    assert_eq!(index.len(), 2);
    assert_eq!(search(&index, &Query::default()).total, 2);
    assert_eq!(search(&index, &text("rainfall")).total, 0);
    assert_eq!(ids(&search(&index, &text("rebuilt"))), ["crop-yield-punjab"]);
    assert_eq!(index.rebuild(Vec::new()).unwrap(), 0);
    assert!(index.is_empty());
}

#[test]
fn reopening_a_directory_keeps_the_datasets() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = Index::open(dir.path()).unwrap();
        assert!(index.was_created());
        assert!(index.is_empty());
        for doc in catalogue() {
            index.replace(&doc).unwrap();
        }
        index.commit().unwrap();
        // a second opener in the meantime is refused
        let err = Index::open(dir.path()).unwrap_err();
        assert!(matches!(err, Error::Locked { .. }), "{err}");
        assert!(err.to_string().contains("in use by another process"));
    }
    let index = Index::open(dir.path()).unwrap();
    assert!(!index.was_created());
    assert_eq!(index.len(), 10);
    assert_eq!(ids(&search(&index, &text("پاكستان تعليم"))), ["school-enrolment"]);
}

#[test]
fn a_file_where_the_directory_should_be_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("search");
    std::fs::write(&file, b"not a directory").unwrap();
    let err = Index::open(&file).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Open { .. }), "{message}");
    assert!(message.contains(&file.display().to_string()), "{message}");
    assert!(message.contains("delete the directory"), "{message}");
}

#[test]
fn searches_run_on_many_threads_while_writing() {
    let index = std::sync::Arc::new(index());
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let index = std::sync::Arc::clone(&index);
            std::thread::spawn(move || {
                for _ in 0..20 {
                    let r = index.search(&text("district")).unwrap();
                    assert!(r.total >= 4);
                    if i == 0 {
                        index.replace(&catalogue()[0]).unwrap();
                        index.commit().unwrap();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(index.len(), 10);
}
