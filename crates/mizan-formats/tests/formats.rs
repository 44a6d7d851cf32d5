//! The formats against the bytes the server has always written and against their published
//! schemas: a decision record's canonical JSON is byte for byte the hand-built object of the
//! server's `prepare` (so every existing commitment still opens), an event's entry is the
//! events log's, the types round-trip, `commit` and `open` accept the right key and refuse a
//! wrong key, a changed record and a wrong leaf saying which, and every schema is a valid
//! draft 2020-12 schema that accepts what the types write and rejects a broken instance.

use mizan_formats::FormatError;
use mizan_formats::decision::{self, DecisionRecord, Human, format_decided_at};
use mizan_formats::event::{self, EventEntry, EventRecord};
use mizan_formats::explanation::{
    self, ChangeInfo, ExplanationDoc, FavourableInfo, FeatureInfo, ModelInfo, OptionInfo, RecourseInfo,
};
use mizan_formats::receipt::{self, Opening, Receipt, ReceiptStatus};
use mizan_formats::schema::{ID_BASE, SCHEMAS, name_of, schema};
use mizan_ledger::leaf::{LeafCommitment, OpenError, canonical_json};
use mizan_ledger::merkle;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const K: [u8; 32] = [7u8; 32];

/// A provider's decision as sent to `POST /api/v1/systems/{id}/decisions`.
struct Sent {
    features: Value,
    output: Value,
    score: Option<f64>,
    by: Option<&'static str>,
    decided_at: &'static str,
}

fn sent() -> Vec<Sent> {
    vec![
        Sent {
            features: json!({"income": 52000, "age": 41, "employed": true}),
            output: json!("approved"),
            score: Some(0.81),
            by: None,
            decided_at: "2026-11-30T09:15:00Z",
        },
        Sent {
            // Keys the byte order and the UTF-16 order sort differently; nested values; floats.
            features: json!({
                "\u{ffff}": 1, "\u{10000}": 2, "z": {"b": [1, 2.5, null], "a": "x\"y\\z"},
                "big": 18446744073709551615u64, "neg": -3, "tiny": 1e-7, "name": "علی",
            }),
            output: json!(0),
            score: Some(1.0),
            by: Some("officer-17"),
            decided_at: "2026-11-30T14:15:00.250+05:00",
        },
        Sent {
            features: json!({}),
            output: json!(false),
            score: None,
            by: Some(""),
            decided_at: "1970-01-01T00:00:59Z",
        },
    ]
}

/// The record exactly as the server's `prepare` builds it by hand (decided_at normalised to
/// UTC there), and as the first version of it did with `json!`; both canonical texts.
fn old_way(system: &str, s: &Sent) -> (String, String, String) {
    let when = OffsetDateTime::parse(s.decided_at, &Rfc3339).unwrap();
    let decided_at = when.to_offset(time::UtcOffset::UTC).format(&Rfc3339).unwrap();
    let human = Map::from_iter([
        ("involved".to_owned(), Value::Bool(s.by.is_some())),
        ("by".to_owned(), s.by.map(str::to_owned).map_or(Value::Null, Value::String)),
    ]);
    let features = s.features.as_object().unwrap().clone();
    let by_hand = Value::Object(Map::from_iter([
        ("system".to_owned(), Value::String(system.to_owned())),
        ("system_version".to_owned(), Value::from(3i64)),
        ("model_hash".to_owned(), Value::String("sha256:00ff".into())),
        ("features".to_owned(), Value::Object(features.clone())),
        ("output".to_owned(), s.output.clone()),
        ("score".to_owned(), s.score.map_or(Value::Null, Value::from)),
        ("human".to_owned(), Value::Object(human)),
        ("decided_at".to_owned(), Value::String(decided_at.clone())),
        ("subject_ref".to_owned(), Value::String("case-1".into())),
    ]));
    let with_macro = json!({
        "system": system,
        "system_version": 3i64,
        "model_hash": "sha256:00ff",
        "features": features,
        "output": s.output,
        "score": s.score,
        "human": {"involved": s.by.is_some(), "by": s.by},
        "decided_at": decided_at,
        "subject_ref": "case-1",
    });
    (canonical_json(&by_hand), canonical_json(&with_macro), decided_at)
}

fn new_way(system: &str, s: &Sent) -> DecisionRecord {
    let when = OffsetDateTime::parse(s.decided_at, &Rfc3339).unwrap();
    DecisionRecord {
        system: system.to_owned(),
        system_version: 3,
        model_hash: "sha256:00ff".into(),
        features: s.features.as_object().unwrap().clone(),
        output: s.output.clone(),
        score: s.score,
        human: Human { involved: s.by.is_some(), by: s.by.map(str::to_owned) },
        decided_at: format_decided_at(when).unwrap(),
        subject_ref: "case-1".into(),
        supersedes: None,
    }
}

fn record() -> DecisionRecord {
    new_way("AB12CD34", &sent()[0])
}

#[test]
fn decision_canonical_bytes_are_the_old_hand_built_ones() {
    for s in sent() {
        let (by_hand, with_macro, decided_at) = old_way("AB12CD34", &s);
        let r = new_way("AB12CD34", &s);
        assert_eq!(r.decided_at, decided_at);
        assert_eq!(r.canonical(), by_hand);
        assert_eq!(r.canonical(), with_macro);
        assert_eq!(canonical_json(&serde_json::to_value(&r).unwrap()), by_hand);
    }
    assert_eq!(record().decided_at, "2026-11-30T09:15:00Z");
    assert_eq!(new_way("AB12CD34", &sent()[1]).decided_at, "2026-11-30T09:15:00.25Z");
}

#[test]
fn a_superseding_record_round_trips_and_others_keep_their_bytes() {
    let old = record();
    assert!(!old.canonical().contains("supersedes"));
    let new = DecisionRecord {
        supersedes: Some(mizan_formats::Supersedes {
            log: "example.org/decisions".into(),
            leaf_index: 7,
            leaf_hash: "0f".repeat(32),
        }),
        ..old.clone()
    };
    let text = new.canonical();
    assert!(
        text.contains(&format!("\"supersedes\":{{\"leaf_hash\":\"{}\",\"leaf_index\":7,", "0f".repeat(32)))
    );
    assert_eq!(DecisionRecord::from_canonical(&text).unwrap(), new);
    let bad = text.replace(&"0f".repeat(32), "XYZ");
    let err = DecisionRecord::from_value(&serde_json::from_str(&bad).unwrap()).unwrap_err();
    assert!(err.to_string().contains("supersedes.leaf_hash"), "{err}");
    let bad = text.replace("\"leaf_index\":7", "\"leaf_index\":-1");
    let err = DecisionRecord::from_value(&serde_json::from_str(&bad).unwrap()).unwrap_err();
    assert!(err.to_string().contains("supersedes.leaf_index"), "{err}");
}

#[test]
fn decision_canonical_is_canonical_json_of_its_value() {
    let mut records: Vec<DecisionRecord> = sent().iter().map(|s| new_way("AB12CD34", s)).collect();
    let odd = DecisionRecord {
        system: "a\"b\\c/d\u{7f}".into(),
        system_version: -1,
        model_hash: "\u{0}\u{1f}\n\t\u{2028}😀".into(),
        features: Map::from_iter([
            ("".to_owned(), json!([])),
            ("é".to_owned(), json!({"\u{e000}": 1, "\u{1f600}": 2})),
        ]),
        output: json!(-0.0),
        score: Some(f64::NAN),
        human: Human { involved: true, by: Some("علی".into()) },
        decided_at: "not checked here".into(),
        subject_ref: String::new(),
        supersedes: None,
    };
    records.push(odd.clone());
    records.push(DecisionRecord {
        supersedes: Some(mizan_formats::Supersedes {
            log: "mizan.gov.pk/decisions/2026 \"x\"".into(),
            leaf_index: u64::MAX,
            leaf_hash: "ab".repeat(32),
        }),
        ..odd.clone()
    });
    records.push(DecisionRecord { score: Some(f64::INFINITY), output: json!(u64::MAX), ..odd.clone() });
    records.push(DecisionRecord {
        score: Some(-1e300),
        output: json!(true),
        human: Human { involved: false, by: None },
        ..odd
    });
    for r in records {
        assert_eq!(r.canonical(), canonical_json(&r.to_value()), "{r:?}");
    }
}

#[test]
fn decision_round_trips() {
    for s in sent() {
        let r = new_way("AB12CD34", &s);
        let text = r.canonical();
        assert_eq!(DecisionRecord::from_canonical(&text).unwrap(), r);
        assert_eq!(DecisionRecord::from_value(&r.to_value()).unwrap(), r);
        let via_serde: DecisionRecord = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(via_serde, r);
        assert_eq!(DecisionRecord::from_canonical(&via_serde.canonical()).unwrap().canonical(), text);
    }
}

#[test]
fn decision_commit_is_the_old_commitment_and_open_accepts_it() {
    for s in sent() {
        let (by_hand, _, decided_at) = old_way("AB12CD34", &s);
        let unix = OffsetDateTime::parse(&decided_at, &Rfc3339).unwrap().unix_timestamp();
        let old = LeafCommitment::commit_canonical("AB12CD34", unix, by_hand.as_bytes(), &K).unwrap();
        let r = new_way("AB12CD34", &s);
        assert_eq!(r.commit(&K).unwrap(), old);
        assert_eq!(r.commit_with_text(&K).unwrap(), (by_hand.clone(), old.clone()));
        let opened = DecisionRecord::open(&old.to_bytes(), &by_hand, &hex::encode(K)).unwrap();
        assert_eq!(opened, r);
    }
}

#[test]
fn decision_open_refuses_a_wrong_key_a_changed_record_and_a_wrong_leaf() {
    let r = record();
    let text = r.canonical();
    let leaf = r.commit(&K).unwrap().to_bytes();
    let k = hex::encode(K);
    let open = |leaf: &[u8], text: &str, k: &str| DecisionRecord::open(leaf, text, k).unwrap_err();
    // A wrong key.
    assert_eq!(open(&leaf, &text, &hex::encode([8u8; 32])), FormatError::Open(OpenError::Mac));
    assert_eq!(open(&leaf, &text, "not hex"), FormatError::Open(OpenError::Key));
    // A changed record.
    let changed = text.replace("approved", "declined");
    let e = open(&leaf, &changed, &k);
    assert_eq!(e, FormatError::Open(OpenError::Mac));
    assert!(e.to_string().contains("the HMAC differs (the record was changed, or `k` is wrong)"), "{e}");
    let later = text.replace("09:15:00Z", "09:17:00Z");
    assert!(matches!(open(&leaf, &later, &k), FormatError::Open(OpenError::Minute { .. })));
    // A wrong leaf: another decision's, another system's, not a leaf.
    let mut other = r.clone();
    other.subject_ref = "case-2".into();
    assert_eq!(open(&other.commit(&K).unwrap().to_bytes(), &text, &k), FormatError::Open(OpenError::Mac));
    other.system = "ZZ99ZZ99".into();
    let e = open(&other.commit(&K).unwrap().to_bytes(), &text, &k);
    assert_eq!(
        e,
        FormatError::Open(OpenError::System { record: "AB12CD34".into(), leaf: "ZZ99ZZ99".into() })
    );
    assert!(matches!(open(&leaf[..40], &text, &k), FormatError::Open(OpenError::Leaf(_))));
    // A record that opens the leaf but is not a `mizan.decision/1` record.
    let mut extra = r.to_value();
    extra["extra"] = json!(1);
    let extra = canonical_json(&extra);
    let leaf =
        LeafCommitment::commit_canonical("AB12CD34", r.decided_at_unix().unwrap(), extra.as_bytes(), &K)
            .unwrap()
            .to_bytes();
    assert!(matches!(open(&leaf, &extra, &k), FormatError::Unknown { field, .. } if field == "extra"));
}

#[test]
fn decision_errors_name_the_field() {
    let good = record().to_value();
    let with = |path: &[&str], v: Option<Value>| {
        let mut x = good.clone();
        let (last, parents) = path.split_last().unwrap();
        let mut at = &mut x;
        for p in parents {
            at = &mut at[*p];
        }
        let obj = at.as_object_mut().unwrap();
        match v {
            Some(v) => obj.insert((*last).to_owned(), v),
            None => obj.remove(*last),
        };
        DecisionRecord::from_value(&x).unwrap_err()
    };
    let cases: Vec<(FormatError, &str)> = vec![
        (with(&["model_hash"], None), "a `mizan.decision/1` needs `model_hash`, and this one has none"),
        (with(&["human", "by"], None), "needs `human.by`"),
        (
            with(&["human", "by"], Some(json!(5))),
            "`human.by` of a `mizan.decision/1` is an integer; expected a string or null",
        ),
        (with(&["human", "who"], Some(json!(5))), "has no field `human.who` (its fields: `involved`, `by`)"),
        (with(&["extra"], Some(json!(1))), "has no field `extra`"),
        (
            with(&["human"], Some(json!([]))),
            "`human` of a `mizan.decision/1` is an array; expected an object",
        ),
        (
            with(&["system"], Some(json!("AB12"))),
            "`system` of a `mizan.decision/1` is `AB12`; a system's public ID is 8",
        ),
        (
            with(&["system_version"], Some(json!(0))),
            "`system_version` of a `mizan.decision/1` is `0`; versions start at 1",
        ),
        (
            with(&["system_version"], Some(json!(1.5))),
            "`system_version` of a `mizan.decision/1` is a number; expected an integer",
        ),
        (
            with(&["output"], Some(Value::Null)),
            "`output` of a `mizan.decision/1` is null; expected a string, a number or a boolean",
        ),
        (with(&["score"], Some(json!(1))), "a score is written as a float (`1.0`)"),
        (
            with(&["score"], Some(json!("0.5"))),
            "`score` of a `mizan.decision/1` is a string; expected a number or null",
        ),
        (
            with(&["features"], Some(json!([1]))),
            "`features` of a `mizan.decision/1` is an array; expected an object",
        ),
        (with(&["decided_at"], Some(json!("2026-11-30T14:15:00+05:00"))), "must be in UTC, ending in `Z`"),
        (with(&["decided_at"], Some(json!("30/11/2026"))), "is `30/11/2026`; not an RFC 3339 time"),
    ];
    for (err, want) in cases {
        assert!(err.to_string().contains(want), "`{err}` lacks `{want}`");
    }
    let e = DecisionRecord::from_value(&json!([])).unwrap_err();
    assert_eq!(e.to_string(), "`.` of a `mizan.decision/1` is an array; expected an object");
    let e = DecisionRecord::from_canonical("{").unwrap_err();
    assert!(matches!(e, FormatError::Json { format: decision::FORMAT, .. }), "{e}");
    // Valid, but not canonical: the commitment covers the canonical bytes only.
    let pretty = serde_json::to_string_pretty(&good).unwrap();
    assert_eq!(
        DecisionRecord::from_canonical(&pretty).unwrap_err(),
        FormatError::NotCanonical { format: decision::FORMAT, offset: 1 }
    );
    assert_eq!(
        DecisionRecord::from_value(&serde_json::from_str(&pretty).unwrap()).unwrap(),
        record(),
        "from_value takes any JSON form"
    );
}

/// An event as the server's `events_log::event_json` builds it.
fn old_event_json(id: i64, reason: &str) -> Value {
    json!({
        "id": id,
        "system": "AB12CD34",
        "version": 2i64,
        "kind": "transition",
        "from": "submitted",
        "to": "registered",
        "actor": "Reviewer Ayesha",
        "reason": reason,
        "at": "2026-11-30T09:15:00Z",
    })
}

fn event(id: i64, reason: &str) -> EventRecord {
    EventRecord {
        id,
        system: "AB12CD34".into(),
        version: 2,
        kind: "transition".into(),
        from: "submitted".into(),
        to: "registered".into(),
        actor: "Reviewer Ayesha".into(),
        reason: reason.into(),
        at: "2026-11-30T09:15:00Z".into(),
    }
}

#[test]
fn event_canonical_and_entry_are_the_events_logs() {
    for (id, reason) in [(1, "complete"), (9_007_199_254_740_993, "\"quoted\"\n and علی"), (-1, "")] {
        let e = event(id, reason);
        let old = canonical_json(&old_event_json(id, reason));
        assert_eq!(e.canonical(), old);
        let sha = hex::encode(Sha256::digest(old.as_bytes()));
        assert_eq!(e.sha256_hex(), sha);
        assert_eq!(e.entry(), format!("mizan-event/v1 {id} {sha}").into_bytes());
        let entry = EventEntry::parse(&e.entry()).unwrap();
        assert_eq!(entry, EventEntry { id, sha256: sha.clone() });
        assert!(entry.commits_to(&e));
        assert!(!entry.commits_to(&event(id, "changed")));
        assert_eq!(EventRecord::from_canonical(&old).unwrap(), e);
        assert_eq!(serde_json::from_value::<EventRecord>(serde_json::to_value(&e).unwrap()).unwrap(), e);
    }
}

#[test]
fn event_entries_parse_strictly() {
    let sha = "ab".repeat(32);
    for bad in [
        format!("mizan-event/v1 +5 {sha}"),
        format!("mizan-event/v1 007 {sha}"),
        format!("mizan-event/v1 5 {}", sha.to_uppercase()),
        format!("mizan-event/v1 5 {sha} "),
        format!("mizan-event/v1 5 {}", &sha[1..]),
        format!("mizan-event/v2 5 {sha}"),
        format!("mizan-event/v1  5 {sha}"),
        "mizan-event/v1".to_owned(),
        String::new(),
    ] {
        assert_eq!(EventEntry::parse(bad.as_bytes()), None, "{bad:?}");
    }
    assert_eq!(EventEntry::parse(&[0xff, 0xfe]), None);
    let ok = EventEntry::parse(format!("mizan-event/v1 0 {sha}").as_bytes()).unwrap();
    assert_eq!(ok.to_bytes(), format!("mizan-event/v1 0 {sha}").into_bytes());
}

#[test]
fn event_errors_name_the_field() {
    let mut v = old_event_json(1, "x");
    v.as_object_mut().unwrap().remove("actor");
    assert_eq!(
        EventRecord::from_value(&v).unwrap_err().to_string(),
        "a `mizan-event/v1` needs `actor`, and this one has none"
    );
    let mut v = old_event_json(1, "x");
    v["version"] = json!("2");
    assert_eq!(
        EventRecord::from_value(&v).unwrap_err().to_string(),
        "`version` of a `mizan-event/v1` is a string; expected an integer (64-bit)"
    );
    let spaced = serde_json::to_string(&old_event_json(1, "x")).unwrap().replace(':', ": ");
    assert!(matches!(EventRecord::from_canonical(&spaced), Err(FormatError::NotCanonical { .. })));
}

fn explanation_doc(recourse: RecourseInfo) -> ExplanationDoc {
    ExplanationDoc {
        format: explanation::FORMAT.into(),
        reference: "0000000300000000abcd".into(),
        system: "AB12CD34".into(),
        system_version: 3,
        model: ModelInfo {
            sha256: "ab".repeat(32),
            format: "xgboost-json".into(),
            library: "xgboost".into(),
            library_version: "2.1.0".into(),
            objective: "binary:logistic".into(),
            link: "logistic".into(),
            system_version: 3,
            uploaded_at: "2026-11-01T00:00:00Z".into(),
        },
        method: "tree_path_dependent".into(),
        output: 0,
        margin: -0.4,
        score: 0.401,
        recorded_output: json!("declined"),
        recorded_score: None,
        favourable: FavourableInfo { side: "high".into(), threshold: 0.0 },
        outcome: "unfavourable".into(),
        phi0: 0.1,
        phi0_base_margin: 0.0,
        additivity_residual: 1e-9,
        features: vec![
            FeatureInfo {
                name: "income".into(),
                value: Some(52000.0),
                encoded: Some(52000.0),
                phi: -0.5,
                default_routed: 0,
                immutable: false,
                bounds: Some([0.0, 1e6]),
                scale: 8000.0,
            },
            FeatureInfo {
                name: "age".into(),
                value: None,
                encoded: None,
                phi: 0.0,
                default_routed: 2,
                immutable: true,
                bounds: None,
                scale: 1.0,
            },
        ],
        recourse,
        contradiction: None,
    }
}

fn explanations() -> Vec<ExplanationDoc> {
    let options = RecourseInfo {
        status: "options".into(),
        searched: None,
        options: vec![OptionInfo {
            changes: vec![ChangeInfo {
                name: "income".into(),
                from: Some(52000.0),
                to: 60000.5,
                to_rounded: 60001.0,
            }],
            cost: 1.06,
            margin: 0.2,
            score: 0.55,
        }],
    };
    let none =
        RecourseInfo { status: "none_within_constraints".into(), searched: Some(412), options: vec![] };
    let mut contradicted = explanation_doc(none.clone());
    contradicted.contradiction = Some(explanation::Contradiction {
        recorded_output: json!("decline"),
        recorded: "unfavourable".into(),
        model: "favourable".into(),
        source: "model_card".into(),
    });
    vec![explanation_doc(options), explanation_doc(none), contradicted]
}

#[test]
fn explanation_round_trips() {
    for doc in explanations() {
        let text = serde_json::to_string(&doc).unwrap();
        assert_eq!(serde_json::from_str::<ExplanationDoc>(&text).unwrap(), doc);
        // Every field is written, `None` as null.
        let v: Value = serde_json::from_str(&text).unwrap();
        assert!(v["recorded_score"].is_null() && v["features"][1]["bounds"].is_null());
    }
}

fn receipts() -> Vec<Receipt> {
    let r = record();
    let leaf = r.commit(&K).unwrap().to_bytes();
    let proven = Receipt {
        reference: "0000000300000000abcd".into(),
        status: ReceiptStatus::Proven,
        system: r.system.clone(),
        system_version: r.system_version,
        decided_at: r.decided_at.clone(),
        leaf_index: 3,
        leaf_hash: merkle::leaf_hash(&leaf).to_hex(),
        leaf: Some(hex::encode(leaf)),
        log: "decisions.mizan.example/2026".into(),
        vkey: "decisions.mizan.example/2026+01234567+AQ==".into(),
        proof: Some(
            "c2sp.org/tlog-proof@v1\nindex 3\n\ndecisions.mizan.example/2026\n6\nAA==\n\n— x AA==\n".into(),
        ),
        opening: Some(Opening { k: hex::encode(K), record: r.canonical() }),
        erased_at: None,
    };
    let pending = Receipt { status: ReceiptStatus::Pending, proof: None, ..proven.clone() };
    let erased = Receipt {
        status: ReceiptStatus::Erased,
        leaf: None,
        opening: None,
        erased_at: Some("2026-12-01T00:00:00Z".into()),
        ..proven.clone()
    };
    vec![proven, pending, erased]
}

#[test]
fn receipt_round_trips_and_gives_the_check_its_evidence() {
    for r in receipts() {
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<Receipt>(&text).unwrap(), r);
        // What the check reads from the JSON is what the type gives it.
        assert_eq!(mizan_ledger::receipt::Evidence::from_text(&text).unwrap(), r.evidence());
    }
    let v = serde_json::to_value(&receipts()[2]).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 13, "every field is written: {keys:?}");
    assert!(v["leaf"].is_null() && v["opening"].is_null() && v["status"] == "erased");
}

#[test]
fn an_opening_gives_its_leaf() {
    let r = record();
    let opening = Opening { k: hex::encode(K), record: r.canonical() };
    assert_eq!(opening.key().unwrap(), K);
    assert_eq!(opening.leaf().unwrap(), r.commit(&K).unwrap().to_bytes());
    let bad = Opening { k: "abc".into(), ..opening.clone() };
    assert_eq!(
        bad.key().unwrap_err().to_string(),
        "`opening.k` of a `mizan.receipt/1` is `abc`; a key is 64 hex digits (32 bytes)"
    );
    let spaced = Opening { record: serde_json::to_string_pretty(&r).unwrap(), ..opening };
    assert!(matches!(spaced.leaf(), Err(FormatError::NotCanonical { .. })));
}

/// The validator of a published schema, formats checked too. No resolver reaches out: the
/// crate is built without its HTTP and file retrievers.
fn validator(name: &str) -> jsonschema::Validator {
    let text = schema(name).unwrap_or_else(|| panic!("no schema `{name}`"));
    let s: Value = serde_json::from_str(text).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&s)
        .unwrap_or_else(|e| panic!("schema `{name}` does not compile: {e}"))
}

fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

#[test]
fn every_schema_is_valid_and_names_its_format() {
    let formats = [
        decision::FORMAT,
        event::FORMAT,
        explanation::FORMAT,
        receipt::FORMAT,
        mizan_formats::oversight::FORMAT,
        mizan_formats::model_card::FORMAT,
    ];
    assert_eq!(SCHEMAS.len(), formats.len());
    for format in formats {
        let name = name_of(format).unwrap();
        let text = schema(name).unwrap();
        assert_eq!(schema(&format!("{name}.json")), Some(text));
        let s: Value = serde_json::from_str(text).unwrap();
        jsonschema::meta::validate(&s).unwrap_or_else(|e| panic!("`{name}` is not a valid schema: {e}"));
        assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
        assert_eq!(s["$id"], format!("{ID_BASE}{name}.json"));
        assert_eq!(s["title"], format);
        validator(name);
    }
    assert_eq!(schema("mizan.decision-2"), None);
    assert_eq!(name_of("mizan.decision/2"), None);
}

#[test]
fn schemas_accept_what_the_types_write() {
    let v = validator("mizan.decision-1");
    for s in sent() {
        let r = serde_json::to_value(new_way("AB12CD34", &s)).unwrap();
        assert_eq!(errors(&v, &r), Vec::<String>::new());
        let canonical: Value = serde_json::from_str(&new_way("AB12CD34", &s).canonical()).unwrap();
        assert!(v.is_valid(&canonical));
    }
    let v = validator("mizan-event-1");
    assert_eq!(errors(&v, &serde_json::to_value(event(1, "x")).unwrap()), Vec::<String>::new());
    let v = validator("mizan.explanation-1");
    for doc in explanations() {
        assert_eq!(errors(&v, &serde_json::to_value(doc).unwrap()), Vec::<String>::new());
    }
    let v = validator("mizan.model-card-1");
    let card = json!({
        "format": "mizan.model-card/1",
        "favourable_side": "high",
        "features": [{"name": "age", "label": {"en": "Age", "ur": "عمر"}, "step": 1, "protected": true,
            "values": [{"value": 0, "label": {"en": "none", "ur": "کوئی نہیں"}}], "min": 18, "max": 80}],
        "outputs": [{"value": "decline", "label": {"en": "Declined", "ur": "مسترد"}, "favourable": false}]
    });
    let typed = mizan_formats::ModelCard::from_value(&card).unwrap();
    assert_eq!(errors(&v, &serde_json::to_value(&typed).unwrap()), Vec::<String>::new());
    assert!(!v.is_valid(&broken(&card, &["features", "0", "label", "ur"], Some(json!("")))));
    assert!(!v.is_valid(&broken(&card, &["features", "0", "values", "0", "value"], Some(json!("one")))));
    let v = validator("mizan.receipt-1");
    for r in receipts() {
        assert_eq!(errors(&v, &serde_json::to_value(r).unwrap()), Vec::<String>::new());
    }
}

/// `instance` with the field at `path` set to `value` (`None`: removed).
fn broken(instance: &Value, path: &[&str], value: Option<Value>) -> Value {
    let mut x = instance.clone();
    let (last, parents) = path.split_last().unwrap();
    let mut at = &mut x;
    for p in parents {
        at = if let Ok(i) = p.parse::<usize>() { &mut at[i] } else { &mut at[*p] };
    }
    let obj = at.as_object_mut().unwrap();
    match value {
        Some(v) => obj.insert((*last).to_owned(), v),
        None => obj.remove(*last),
    };
    x
}

#[test]
fn schemas_reject_broken_instances() {
    let decision = serde_json::to_value(record()).unwrap();
    let event = serde_json::to_value(event(1, "x")).unwrap();
    let doc = serde_json::to_value(&explanations()[0]).unwrap();
    let proven = serde_json::to_value(&receipts()[0]).unwrap();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("mizan.decision-1", broken(&decision, &["model_hash"], None), "missing model_hash"),
        ("mizan.decision-1", broken(&decision, &["score"], None), "missing score (null is written)"),
        ("mizan.decision-1", broken(&decision, &["extra"], Some(json!(1))), "an extra field"),
        ("mizan.decision-1", broken(&decision, &["human", "by"], None), "missing human.by"),
        ("mizan.decision-1", broken(&decision, &["human", "name"], Some(json!("x"))), "extra human.name"),
        ("mizan.decision-1", broken(&decision, &["system"], Some(json!("AB12"))), "a short system ID"),
        ("mizan.decision-1", broken(&decision, &["output"], Some(json!(null))), "a null output"),
        ("mizan.decision-1", broken(&decision, &["output"], Some(json!({"a": 1}))), "an object output"),
        ("mizan.decision-1", broken(&decision, &["system_version"], Some(json!(0))), "version 0"),
        (
            "mizan.decision-1",
            broken(&decision, &["decided_at"], Some(json!("2026-11-30T14:15:00+05:00"))),
            "a time not in UTC",
        ),
        ("mizan-event-1", broken(&event, &["at"], None), "missing at"),
        ("mizan-event-1", broken(&event, &["id"], Some(json!("1"))), "a string id"),
        ("mizan-event-1", broken(&event, &["extra"], Some(json!(1))), "an extra field"),
        ("mizan.explanation-1", broken(&doc, &["recourse"], None), "missing recourse"),
        (
            "mizan.explanation-1",
            broken(&doc, &["format"], Some(json!("mizan.explanation/2"))),
            "another format",
        ),
        ("mizan.explanation-1", broken(&doc, &["features", "0", "phi"], None), "a feature without phi"),
        ("mizan.explanation-1", broken(&doc, &["features", "0", "bounds"], Some(json!([1]))), "one bound"),
        (
            "mizan.explanation-1",
            broken(&doc, &["recourse", "status"], Some(json!("maybe"))),
            "unknown status",
        ),
        ("mizan.explanation-1", broken(&doc, &["model", "link"], Some(json!("probit"))), "unknown link"),
        ("mizan.receipt-1", broken(&proven, &["leaf_hash"], None), "missing leaf_hash"),
        ("mizan.receipt-1", broken(&proven, &["proof"], None), "missing proof (null is written)"),
        ("mizan.receipt-1", broken(&proven, &["status"], Some(json!("lost"))), "unknown status"),
        ("mizan.receipt-1", broken(&proven, &["leaf"], Some(json!("00ff"))), "a short leaf"),
        ("mizan.receipt-1", broken(&proven, &["opening", "k"], None), "an opening without k"),
        ("mizan.receipt-1", broken(&proven, &["acknowledgement"], Some(json!("x"))), "an extra field"),
        ("mizan.receipt-1", broken(&proven, &["proof"], Some(json!("index 3\n"))), "not a tlog-proof"),
    ];
    for (name, instance, what) in cases {
        assert!(!validator(name).is_valid(&instance), "`{name}` accepted {what}");
    }
    // An oversight policy: the schema refuses what the type refuses.
    let v = validator("mizan.oversight-policy-1");
    let policy = json!({
        "adverse_outputs": ["declined", false],
        "sample_percent": 2.5,
        "margin": {"threshold": 0.5, "width": 0.05},
        "features": [{"name": "district", "values": ["Kech", 7]}, {"name": "disability"}]
    });
    let p = mizan_formats::OversightPolicy::from_value(&policy).unwrap();
    assert_eq!(errors(&v, &serde_json::from_str(&p.to_json()).unwrap()), Vec::<String>::new());
    assert!(v.is_valid(&json!({})));
    for bad in [
        broken(&policy, &["sample_percent"], Some(json!(101))),
        broken(&policy, &["margin", "width"], Some(json!(-1))),
        broken(&policy, &["features", "0", "name"], Some(json!(""))),
        broken(&policy, &["features", "0", "values"], Some(json!([]))),
        broken(&policy, &["adverse_outputs"], Some(json!([null]))),
        broken(&policy, &["adverse"], Some(json!(["x"]))),
        broken(&policy, &["margin", "threshold"], None),
    ] {
        assert!(!v.is_valid(&bad), "the schema accepted {bad}");
        assert!(mizan_formats::OversightPolicy::from_value(&bad).is_err(), "the type accepted {bad}");
    }
    // A decision's features are free-form.
    let free = broken(&decision, &["features", "anything"], Some(json!({"nested": [1, "two", null]})));
    assert!(validator("mizan.decision-1").is_valid(&free));
}
