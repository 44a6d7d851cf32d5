//! JSON Lines: one flat JSON object per line, blocks of whole lines parsed in parallel.
//!
//! Columns are the union of the keys, in order of first appearance; an absent key is null.
//! Numbers and booleans are profiled through their JSON text, so types are inferred as for
//! CSV; arrays and objects are profiled as their compact JSON text. Only `null` is null:
//! the CSV null tokens are ordinary strings here.

use std::fmt::Write as _;
use std::io::Read;

use serde_json::Value;

use crate::csv::Blocks;
use crate::engine::{self, Ctx, Observers, Partial};
use crate::error::Position;
use crate::hash::Map;
use crate::text::{self, TextBlock};
use crate::{ProfileError, ValueObserver};

/// A JSON object's members in the order written (`serde_json::Map` sorts them).
struct Object(Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for Object {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Object;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Object, A::Error> {
                let mut out: Vec<(String, Value)> = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, Value>()? {
                    // A repeated key keeps its last value, as `serde_json::Map` would.
                    match out.iter_mut().find(|(n, _)| *n == k) {
                        Some(slot) => slot.1 = v,
                        None => out.push((k, v)),
                    }
                }
                Ok(Object(out))
            }
        }
        d.deserialize_map(Visit)
    }
}

fn parse(bytes: &[u8], first_line: u64, max_columns: usize) -> Result<TextBlock, ProfileError> {
    let mut block = TextBlock { buf: Vec::with_capacity(bytes.len()), ..TextBlock::default() };
    let mut names: Vec<Box<str>> = Vec::new();
    let mut index: Map<Box<str>, usize> = Map::default();
    let mut scratch = String::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = first_line + i as u64;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let Object(obj) = serde_json::from_slice(raw)
            .map_err(|e| ProfileError::Json { at: Position::Line(line), message: e.to_string() })?;
        let row = block.lines.len();
        block.lines.push(line);
        for (k, v) in &obj {
            let c = if let Some(&c) = index.get(k.as_str()) {
                c
            } else {
                let c = names.len();
                if c >= max_columns {
                    return Err(ProfileError::TooManyColumns { found: c + 1, limit: max_columns });
                }
                names.push(k.as_str().into());
                index.insert(k.as_str().into(), c);
                block.cols.push(vec![None; row]);
                c
            };
            let text: &str = match v {
                Value::Null => continue,
                Value::Bool(true) => "true",
                Value::Bool(false) => "false",
                Value::String(s) => s,
                // Written into one buffer rather than a new `String` per value.
                Value::Number(n) => {
                    scratch.clear();
                    let _ = write!(scratch, "{n}");
                    &scratch
                }
                Value::Array(_) | Value::Object(_) => {
                    scratch.clear();
                    let _ = write!(scratch, "{v}");
                    &scratch
                }
            };
            block.push(c, text.as_bytes())?;
        }
        for col in &mut block.cols {
            col.resize(row + 1, None);
        }
    }
    block.names = names.into();
    Ok(block)
}

/// Profiles a JSON Lines stream into a summary.
pub(crate) fn profile<R: Read + Send, O: ValueObserver>(
    reader: R,
    ctx: &Ctx<'_>,
    observers: &Observers<'_, O>,
) -> Result<Partial, ProfileError> {
    let limits = &ctx.options.limits;
    let mut blocks = Blocks::new(reader, limits.block_bytes, false);
    let mut first = true;
    engine::run(
        ctx,
        move || {
            let next = blocks.next_block()?;
            if first {
                first = false;
                if let Some((b, line)) = next {
                    let b = b.strip_prefix(b"\xef\xbb\xbf").map(<[u8]>::to_vec).unwrap_or(b);
                    return Ok(Some((b, line)));
                }
            }
            Ok(next)
        },
        |(bytes, line)| text::summarise(&parse(&bytes, line, limits.max_columns)?, ctx, observers),
    )
}
