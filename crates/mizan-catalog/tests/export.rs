//! Structure checks of the exports that can fail: every distribution has a checksum, Urdu is
//! tagged `@ur`, hostile text (quotes, backslashes, control characters, `</script>`, `>` in an
//! address) breaks neither Turtle nor JSON-LD, catalogue paging links are right on the first,
//! a middle and the last page, and the key fields of each shape say what the version says.
//! The standards' own validators run in `oracles/validate-catalog`; these tests catch a
//! regression without Python.

use mizan_catalog::export::dcat::{self, CatalogPage};
use mizan_catalog::export::{
    ColumnView, FileView, Publisher, RaiExtra, VersionView, ckan, croissant, iri, schema_org,
};
use mizan_catalog::{AccessTier, Column, ColumnType, Contact, DatasetMeta, FileFormat, Rai, Temporal, Text};
use serde_json::Value;
use time::macros::datetime;

const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn publisher() -> Publisher {
    Publisher {
        slug: "punjab-education".into(),
        name: Text::new("School Education Department", "محکمہ تعلیم"),
        homepage: "https://mizan.example/publishers/punjab-education".into(),
    }
}

fn meta() -> DatasetMeta {
    DatasetMeta {
        title: Text::new("District school enrolment", "ضلعی اسکول داخلے"),
        description: Text::new("Enrolment by district.", "ضلع وار داخلے۔"),
        themes: vec!["EDUC".into()],
        keywords: vec!["schools".into(), "تعلیم".into()],
        licence: "cc-by-4.0".into(),
        temporal: Temporal { start: Some("2020-01-01".into()), end: Some("2024-12-31".into()) },
        spatial: vec!["punjab".into(), "lahore".into()],
        contact: Contact { name: "Data office".into(), email: "data@education.example".into() },
        frequency: "ANNUAL".into(),
        access: AccessTier::Open,
        dictionary: vec![Column {
            name: "district".into(),
            kind: ColumnType::Text,
            description: Text::new("District", ""),
            unit: None,
            allowed_values: vec![],
            format: None,
            sensitive: true,
        }],
        pii_reasons: vec![],
        rai: Rai { data_biases: Text::new("Private schools missing.", ""), ..Rai::default() },
    }
}

fn files() -> Vec<FileView> {
    vec![
        FileView {
            name: "enrolment.csv".into(),
            format: FileFormat::Csv,
            bytes: 1234,
            sha256: SHA.into(),
            download_url: "https://mizan.example/datasets/enrolment/v/2/files/enrolment.csv".into(),
            columns: vec![
                ColumnView {
                    name: "district".into(),
                    kind: ColumnType::Text,
                    description: "District".into(),
                },
                ColumnView {
                    name: "girls enrolled".into(),
                    kind: ColumnType::Integer,
                    description: String::new(),
                },
                ColumnView { name: "ratio".into(), kind: ColumnType::Number, description: String::new() },
            ],
        },
        FileView {
            name: "notes.pdf".into(),
            format: FileFormat::Other,
            bytes: 99,
            sha256: SHA.into(),
            download_url: "https://mizan.example/datasets/enrolment/v/2/files/notes.pdf".into(),
            columns: vec![],
        },
    ]
}

fn view<'a>(p: &'a Publisher, m: &'a DatasetMeta, f: &'a [FileView], extra: &'a RaiExtra) -> VersionView<'a> {
    VersionView {
        base_url: "https://mizan.example",
        publisher: p,
        slug: "enrolment",
        version: 2,
        issued: datetime!(2024-01-02 03:04:05 UTC),
        modified: datetime!(2025-02-03 04:05:06.123456 +05:00),
        meta: m,
        files: f,
        rai_extra: extra,
    }
}

/// Every node of a flat JSON-LD `@graph`.
fn nodes(doc: &Value) -> &Vec<Value> {
    doc["@graph"].as_array().expect("a @graph array")
}

fn node<'a>(doc: &'a Value, id: &str) -> &'a Value {
    nodes(doc).iter().find(|n| n["@id"] == id).unwrap_or_else(|| panic!("no node `{id}`"))
}

fn has_type(n: &Value, t: &str) -> bool {
    n["@type"].as_array().is_some_and(|ts| ts.iter().any(|x| x == t))
}

#[test]
fn every_distribution_has_a_sha256_checksum_in_dcat() {
    let (p, m, f, x) = (publisher(), meta(), files(), RaiExtra::default());
    let doc = dcat::dataset_jsonld(&view(&p, &m, &f, &x));
    let dists: Vec<&Value> = nodes(&doc).iter().filter(|n| has_type(n, "dcat:Distribution")).collect();
    assert_eq!(dists.len(), 2);
    for d in dists {
        let sum_id = d["spdx:checksum"][0]["@id"].as_str().expect("a checksum");
        let sum = node(&doc, sum_id);
        assert!(has_type(sum, "spdx:Checksum"));
        assert_eq!(sum["spdx:algorithm"][0]["@id"], "spdx:checksumAlgorithm_sha256");
        assert_eq!(sum["spdx:checksumValue"][0]["@value"], SHA);
        assert_eq!(sum["spdx:checksumValue"][0]["@type"], "xsd:hexBinary");
        assert!(d["dcat:byteSize"][0]["@type"] == "xsd:nonNegativeInteger");
    }
    let ttl = dcat::dataset_turtle(&view(&p, &m, &f, &x));
    assert_eq!(ttl.matches("spdx:checksum _:b").count(), 2, "{ttl}");
}

#[test]
fn titles_are_tagged_by_language_and_urdu_keywords_are_urdu() {
    let (p, m, f, x) = (publisher(), meta(), files(), RaiExtra::default());
    let v = view(&p, &m, &f, &x);
    let doc = dcat::dataset_jsonld(&v);
    let version = node(&doc, "https://mizan.example/datasets/enrolment/v/2");
    let titles = version["dct:title"].as_array().expect("titles");
    assert!(titles.iter().any(|t| t["@language"] == "en" && t["@value"] == "District school enrolment"));
    assert!(titles.iter().any(|t| t["@language"] == "ur" && t["@value"] == "ضلعی اسکول داخلے"));
    let keywords = version["dcat:keyword"].as_array().expect("keywords");
    assert!(keywords.iter().any(|k| k["@language"] == "ur" && k["@value"] == "تعلیم"));
    assert!(keywords.iter().any(|k| k["@language"] == "en" && k["@value"] == "schools"));
    let ttl = dcat::dataset_turtle(&v);
    assert!(
        ttl.contains("dct:title \"District school enrolment\"@en,\n        \"ضلعی اسکول داخلے\"@ur"),
        "{ttl}"
    );
}

#[test]
fn hostile_text_breaks_neither_turtle_nor_json() {
    let (p, mut m, mut f, x) = (publisher(), meta(), files(), RaiExtra::default());
    let hostile = "A \"\"\" title \\ with \u{1} and \u{7f}\n</script><!-- & \r\t end\\";
    m.title.en = hostile.into();
    m.keywords.push("\"quoted\" \\ </script>".into());
    f[0].download_url = "https://mizan.example/a b>\"c\\d{e}|^`<x>".into();
    let v = view(&p, &m, &f, &x);
    let ttl = dcat::dataset_turtle(&v);
    // The title appears once, escaped as Turtle's ECHAR/UCHAR rules say.
    let escaped =
        "\"A \\\"\\\"\\\" title \\\\ with \\u0001 and \\u007F\\n</script><!-- & \\r\\t end\\\\\"@en";
    assert!(ttl.contains(escaped), "{ttl}");
    // No raw control character survives, and the IRI has no character IRIREF forbids.
    assert!(!ttl.chars().any(|c| c.is_control() && c != '\n'), "{ttl:?}");
    assert!(ttl.contains("<https://mizan.example/a%20b%3E%22c%5Cd%7Be%7D%7C%5E%60%3Cx%3E>"), "{ttl}");
    // Every line outside literals is a prefix, a subject, a predicate-object list or blank.
    for line in ttl.lines() {
        let line = line.trim_start();
        assert!(
            line.is_empty() || line.starts_with(['@', '<', '_', '"', 'a', 'd', 'f', 'h', 'r', 's', 'v']),
            "odd line {line:?}"
        );
    }
    // JSON-LD: the value round-trips exactly through JSON text.
    let doc = dcat::dataset_jsonld(&v);
    let back: Value = serde_json::from_str(&doc.to_string()).expect("JSON parses");
    assert_eq!(back, doc);
    let version = node(&doc, "https://mizan.example/datasets/enrolment/v/2");
    assert_eq!(version["dct:title"][0]["@value"], hostile);
    // schema.org inside a <script>: nothing can close the element.
    let safe = schema_org::script_safe(&schema_org::dataset(&v));
    assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'), "{safe}");
    let parsed: Value = serde_json::from_str(&safe).expect("escaped JSON parses");
    assert_eq!(parsed["name"], hostile);
    // Croissant ids stay within [A-Za-z0-9._/-].
    let cr = croissant::metadata(&v);
    for rs in cr["recordSet"].as_array().expect("record sets") {
        for field in rs["field"].as_array().expect("fields") {
            let id = field["@id"].as_str().expect("an id");
            assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c)), "{id}");
        }
    }
}

#[test]
fn iri_escaping_is_idempotent_and_keeps_unicode() {
    assert_eq!(iri("https://x.example/a b"), "https://x.example/a%20b");
    assert_eq!(iri(&iri("a>b")), "a%3Eb");
    assert_eq!(iri("https://x.example/لاہور"), "https://x.example/لاہور");
}

fn page_links(page: u64, total: u64) -> (Value, String) {
    let (p, m, f, x) = (publisher(), meta(), files(), RaiExtra::default());
    let v = view(&p, &m, &f, &x);
    let views = [v];
    let title = Text::new("Mizan", "میزان");
    let page = CatalogPage {
        base_url: "https://mizan.example",
        endpoint: "/catalog.jsonld",
        title: &title,
        description: &title,
        publisher: &p,
        page,
        page_size: 10,
        total,
        datasets: &views,
    };
    let doc = dcat::catalog_jsonld(&page);
    let id = page.page_url(page.page);
    (node(&doc, &id).clone(), dcat::catalog_turtle(&page))
}

fn link(view: &Value, key: &str) -> Option<String> {
    view[key][0]["@id"].as_str().map(str::to_owned)
}

#[test]
fn catalogue_paging_links_on_first_middle_and_last_pages() {
    let url = |n: u64| format!("https://mizan.example/catalog.jsonld?page={n}");
    // 25 datasets, 10 a page: pages 1..=3.
    let (first, _) = page_links(1, 25);
    assert!(has_type(&first, "hydra:PartialCollectionView") && has_type(&first, "hydra:PagedCollection"));
    assert_eq!(link(&first, "hydra:first"), Some(url(1)));
    assert_eq!(link(&first, "hydra:previous"), None);
    assert_eq!(link(&first, "hydra:next"), Some(url(2)));
    assert_eq!(link(&first, "hydra:nextPage"), Some(url(2)));
    assert_eq!(link(&first, "hydra:last"), Some(url(3)));
    assert_eq!(first["hydra:totalItems"][0]["@value"], "25");
    let (middle, _) = page_links(2, 25);
    assert_eq!(link(&middle, "hydra:previous"), Some(url(1)));
    assert_eq!(link(&middle, "hydra:next"), Some(url(3)));
    let (last, ttl) = page_links(3, 25);
    assert_eq!(link(&last, "hydra:previous"), Some(url(2)));
    assert_eq!(link(&last, "hydra:next"), None);
    assert_eq!(link(&last, "hydra:last"), Some(url(3)));
    assert!(ttl.contains("hydra:last <https://mizan.example/catalog.jsonld?page=3>"), "{ttl}");
    // Exactly full, and empty.
    let (full, _) = page_links(2, 20);
    assert_eq!(link(&full, "hydra:next"), None);
    let (empty, _) = page_links(1, 0);
    assert_eq!(link(&empty, "hydra:last"), Some(url(1)));
    // Past the end: links stay inside the catalogue.
    let (past, _) = page_links(9, 25);
    assert_eq!(link(&past, "hydra:previous"), Some(url(3)));
    assert_eq!(link(&past, "hydra:next"), None);
}

#[test]
fn key_fields_of_each_shape() {
    let (p, m, f, x) = (
        publisher(),
        meta(),
        files(),
        RaiExtra { biases: "Lahore is 40% of rows.".into(), personal_info: String::new() },
    );
    let v = view(&p, &m, &f, &x);

    let doc = dcat::dataset_jsonld(&v);
    let version = node(&doc, "https://mizan.example/datasets/enrolment/v/2");
    assert_eq!(version["dcat:version"][0]["@value"], "2");
    assert_eq!(version["dct:issued"][0]["@value"], "2024-01-02T03:04:05Z");
    assert_eq!(version["dct:modified"][0]["@value"], "2025-02-02T23:05:06Z");
    assert_eq!(
        version["dct:accessRights"][0]["@id"],
        "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
    );
    assert_eq!(version["dcat:previousVersion"][0]["@id"], "https://mizan.example/datasets/enrolment/v/1");
    let dataset = node(&doc, "https://mizan.example/datasets/enrolment");
    assert_eq!(dataset["dcat:hasVersion"][0]["@id"], "https://mizan.example/datasets/enrolment/v/2");
    let csv = node(&doc, "https://mizan.example/datasets/enrolment/v/2/files/0");
    assert_eq!(csv["dct:format"][0]["@id"], "http://publications.europa.eu/resource/authority/file-type/CSV");
    assert_eq!(csv["dcat:mediaType"][0]["@id"], "https://www.iana.org/assignments/media-types/text/csv");
    assert_eq!(csv["dct:license"][0]["@id"], "https://creativecommons.org/licenses/by/4.0/");
    let theme = node(&doc, "http://publications.europa.eu/resource/authority/data-theme/EDUC");
    assert!(has_type(theme, "skos:Concept"));
    assert!(
        nodes(&doc)
            .iter()
            .any(|n| n["@id"] == "https://mizan.example/places/lahore" && has_type(n, "dct:Location"))
    );

    let s = schema_org::dataset(&v);
    assert_eq!(s["@type"], "Dataset");
    assert_eq!(s["temporalCoverage"], "2020-01-01/2024-12-31");
    assert_eq!(s["license"], "https://creativecommons.org/licenses/by/4.0/");
    assert!(s.get("conditionsOfAccess").is_none());
    let desc = s["description"].as_str().expect("a description").chars().count();
    assert!((50..=5000).contains(&desc), "{desc}");
    assert_eq!(s["distribution"][0]["@type"], "DataDownload");
    assert_eq!(s["distribution"][0]["encodingFormat"], "text/csv");

    let c = croissant::metadata(&v);
    assert_eq!(c["conformsTo"], serde_json::json!([croissant::CROISSANT_1_1, croissant::RAI_1_0]));
    assert_eq!(c["@type"], "sc:Dataset");
    assert_eq!(c["version"], "2.0.0");
    assert_eq!(c["distribution"].as_array().map(Vec::len), Some(2));
    assert_eq!(c["distribution"][0]["sha256"], SHA);
    let record_sets = c["recordSet"].as_array().expect("record sets");
    assert_eq!(record_sets.len(), 1, "only the CSV has a record set");
    let fields = record_sets[0]["field"].as_array().expect("fields");
    let types: Vec<&str> = fields.iter().filter_map(|f| f["dataType"].as_str()).collect();
    assert_eq!(types, ["sc:Text", "sc:Integer", "sc:Float"]);
    assert_eq!(fields[1]["@id"], "enrolment-records/girls_enrolled");
    assert_eq!(fields[1]["source"]["extract"]["column"], "girls enrolled");
    assert_eq!(fields[1]["source"]["fileObject"]["@id"], c["distribution"][0]["@id"]);
    assert_eq!(c["rai:dataBiases"], "Private schools missing.\n\nLahore is 40% of rows.");

    let k = ckan::package(&v);
    assert_eq!(k["name"], "enrolment");
    assert_eq!(k["license_id"], "cc-by");
    assert_eq!(k["isopen"], true);
    assert_eq!(k["metadata_modified"], "2025-02-02T23:05:06.123456");
    assert_eq!(k["num_resources"], 2);
    assert_eq!(k["resources"][1]["id"], ckan::resource_id("enrolment", 2, 1));
    assert_eq!(k["resources"][0]["hash"], SHA);
    assert_eq!(k["tags"][1]["name"], "تعلیم");
    assert!(ckan::resource(&v, 2).is_none());
    let err = ckan::ApiError::NotFound;
    assert_eq!(err.status(), 404);
    assert_eq!(ckan::error("h", &err)["error"]["__type"], "Not Found Error");
    assert_eq!(ckan::success("h", Value::Null)["success"], true);
}

#[test]
fn access_tiers_map_to_the_eu_table_and_restrict_ckan_and_schema_org() {
    let (p, mut m, f, x) = (publisher(), meta(), files(), RaiExtra::default());
    for (tier, right) in [(AccessTier::Registered, "RESTRICTED"), (AccessTier::Restricted, "NON_PUBLIC")] {
        m.access = tier;
        m.licence = "research-only".into();
        let v = view(&p, &m, &f, &x);
        let doc = dcat::dataset_jsonld(&v);
        let version = node(&doc, "https://mizan.example/datasets/enrolment/v/2");
        assert_eq!(
            version["dct:accessRights"][0]["@id"],
            format!("http://publications.europa.eu/resource/authority/access-right/{right}")
        );
        assert!(schema_org::dataset(&v)["conditionsOfAccess"].is_string());
        assert_eq!(ckan::package(&v)["isopen"], false);
        assert_eq!(ckan::package(&v)["license_id"], "other-closed");
    }
}
