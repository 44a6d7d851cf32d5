//! A small RDF graph and its two writers, Turtle and JSON-LD, for the DCAT-AP exports.
//!
//! DCAT-AP is served in both serialisations, and the two must say the same thing: so the
//! exporter builds the triples once, here, and each writer prints them. Predicates and classes
//! are compact names from [`PREFIXES`] (fixed strings in this crate, safe as they are); subjects
//! and objects that come from data are IRIs escaped by [`super::iri`] when they are made, and
//! literals are escaped by the writer (Turtle's `ECHAR`/`UCHAR` rules; JSON by `serde_json`).
//! No dependency: the subset of Turtle needed to print a graph is short, and a hand-written
//! writer is easier to check than a library's options.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use serde_json::{Map, Value, json};

/// Prefixes used by the exports, in the order they are declared.
pub(crate) const PREFIXES: [(&str, &str); 13] = [
    ("adms", "http://www.w3.org/ns/adms#"),
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dcatap", "http://data.europa.eu/r5r/"),
    ("dct", "http://purl.org/dc/terms/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("hydra", "http://www.w3.org/ns/hydra/core#"),
    ("locn", "http://www.w3.org/ns/locn#"),
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("spdx", "http://spdx.org/rdf/terms#"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
];

/// A subject or object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Term {
    /// An absolute IRI, already escaped.
    Iri(String),
    /// A compact name with a prefix from [`PREFIXES`] (`spdx:checksumAlgorithm_sha256`).
    Name(&'static str),
    /// A blank node, by number.
    Blank(u32),
    /// A literal.
    Lit(String, Tag),
}

/// A literal's language or datatype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Tag {
    /// A plain string.
    Plain,
    /// A language-tagged string (`en`, `ur`).
    Lang(&'static str),
    /// A typed literal, by compact name (`xsd:date`).
    Type(&'static str),
}

/// An IRI term from an unescaped string.
pub(crate) fn iri(s: &str) -> Term {
    Term::Iri(super::iri(s))
}

/// A language-tagged literal.
pub(crate) fn lang(s: &str, tag: &'static str) -> Term {
    Term::Lit(s.to_owned(), Tag::Lang(tag))
}

/// A plain literal.
pub(crate) fn plain(s: &str) -> Term {
    Term::Lit(s.to_owned(), Tag::Plain)
}

/// A typed literal.
pub(crate) fn typed(s: &str, datatype: &'static str) -> Term {
    Term::Lit(s.to_owned(), Tag::Type(datatype))
}

/// A subject's predicates, each with its objects, in order of first appearance.
type Predicates<'a> = Vec<(&'static str, Vec<&'a Term>)>;

/// Triples in the order they were added; writers group them by subject and predicate.
#[derive(Debug, Default)]
pub(crate) struct Graph {
    triples: Vec<(Term, &'static str, Term)>,
    seen: HashSet<(Term, &'static str, Term)>,
    blanks: u32,
}

impl Graph {
    /// A new blank node.
    pub(crate) fn blank(&mut self) -> Term {
        self.blanks += 1;
        Term::Blank(self.blanks)
    }

    /// Adds a triple; `p` is a compact name, `rdf:type` for a class.
    pub(crate) fn add(&mut self, s: &Term, p: &'static str, o: Term) {
        let t = (s.clone(), p, o);
        if self.seen.insert(t.clone()) {
            self.triples.push(t);
        }
    }

    /// Adds `s rdf:type class`.
    pub(crate) fn class(&mut self, s: &Term, class: &'static str) {
        self.add(s, "rdf:type", Term::Name(class));
    }

    /// Subjects in order of first appearance, each with its predicates in order of first
    /// appearance and their objects.
    fn grouped(&self) -> Vec<(&Term, Predicates<'_>)> {
        let mut order: Vec<&Term> = Vec::new();
        let mut by: BTreeMap<&Term, Predicates<'_>> = BTreeMap::new();
        for (s, p, o) in &self.triples {
            let preds = by.entry(s).or_insert_with(|| {
                order.push(s);
                Vec::new()
            });
            match preds.iter_mut().find(|(q, _)| *q == *p) {
                Some((_, objs)) => objs.push(o),
                None => preds.push((p, vec![o])),
            }
        }
        order.into_iter().map(|s| (s, by.remove(s).unwrap_or_default())).collect()
    }

    /// The graph as Turtle.
    pub(crate) fn turtle(&self) -> String {
        let mut out = String::new();
        for (p, ns) in PREFIXES {
            let _ = writeln!(out, "@prefix {p}: <{ns}> .");
        }
        for (s, preds) in self.grouped() {
            out.push('\n');
            out.push_str(&turtle_term(s));
            for (i, (p, objs)) in preds.iter().enumerate() {
                out.push_str(if i == 0 { "\n    " } else { " ;\n    " });
                out.push_str(if *p == "rdf:type" { "a" } else { p });
                for (j, o) in objs.iter().enumerate() {
                    out.push_str(if j == 0 { " " } else { ",\n        " });
                    out.push_str(&turtle_term(o));
                }
            }
            out.push_str(" .\n");
        }
        out
    }

    /// The JSON-LD `@context` of the exports: the prefixes, inline (no remote context).
    pub(crate) fn context() -> Value {
        let mut m = Map::new();
        for (p, ns) in PREFIXES {
            m.insert(p.to_owned(), Value::String(ns.to_owned()));
        }
        Value::Object(m)
    }

    /// The graph as JSON-LD: an inline `@context` and a flat `@graph` of node objects.
    pub(crate) fn jsonld(&self) -> Value {
        let mut nodes = Vec::new();
        for (s, preds) in self.grouped() {
            let mut node = Map::new();
            node.insert("@id".to_owned(), Value::String(json_id(s)));
            for (p, objs) in preds {
                if p == "rdf:type" {
                    let types: Vec<Value> = objs.iter().map(|o| Value::String(json_id(o))).collect();
                    node.insert("@type".to_owned(), Value::Array(types));
                } else {
                    node.insert(p.to_owned(), Value::Array(objs.into_iter().map(json_value).collect()));
                }
            }
            nodes.push(Value::Object(node));
        }
        json!({ "@context": Self::context(), "@graph": nodes })
    }
}

fn json_id(t: &Term) -> String {
    match t {
        Term::Iri(s) => s.clone(),
        Term::Name(n) => (*n).to_owned(),
        Term::Blank(n) => format!("_:b{n}"),
        // A literal is never a subject or a class; kept total rather than panicking.
        Term::Lit(s, _) => s.clone(),
    }
}

fn json_value(t: &Term) -> Value {
    match t {
        Term::Lit(s, Tag::Plain) => json!({ "@value": s }),
        Term::Lit(s, Tag::Lang(l)) => json!({ "@value": s, "@language": l }),
        Term::Lit(s, Tag::Type(d)) => json!({ "@value": s, "@type": d }),
        other => json!({ "@id": json_id(other) }),
    }
}

fn turtle_term(t: &Term) -> String {
    match t {
        // Escaped by `super::iri` when made; escaped again here in case a caller built one
        // by hand (escaping is idempotent: it never emits a character it escapes).
        Term::Iri(s) => format!("<{}>", super::iri(s)),
        Term::Name(n) => (*n).to_owned(),
        Term::Blank(n) => format!("_:b{n}"),
        Term::Lit(s, tag) => {
            let mut out = turtle_string(s);
            match tag {
                Tag::Plain => {}
                Tag::Lang(l) => {
                    out.push('@');
                    out.push_str(l);
                }
                Tag::Type(d) => {
                    out.push_str("^^");
                    out.push_str(d);
                }
            }
            out
        }
    }
}

/// A Turtle `STRING_LITERAL_QUOTE`: `"` and `\` and line breaks escaped (`ECHAR`), other
/// control characters as `\uXXXX` (`UCHAR`).
pub(crate) fn turtle_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
