//! A small, strict UBJSON reader (the subset XGBoost writes) producing `serde_json::Value`.
//!
//! XGBoost's `.ubj` models are the JSON document in Universal Binary JSON, with typed
//! (`$`/`#`) arrays for node arrays. Floats are kept as f64 widened from f32 exactly.

use serde_json::{Map, Number, Value};

use crate::ExplainError;
use crate::error::shown_byte;

const MAX_DEPTH: usize = 64;

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

fn err(pos: usize, detail: impl Into<String>) -> ExplainError {
    ExplainError::Format { format: "xgboost ubjson", at: format!("byte {pos}"), detail: detail.into() }
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], ExplainError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| err(self.pos, "file is truncated"))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, ExplainError> {
        Ok(self.take(1)?[0])
    }

    fn int_of(&mut self, marker: u8) -> Result<i64, ExplainError> {
        let at = self.pos;
        Ok(match marker {
            b'i' => i64::from(self.byte()? as i8),
            b'U' => i64::from(self.byte()?),
            b'I' => i64::from(i16::from_be_bytes(self.take(2)?.try_into().map_err(|_| err(at, "short"))?)),
            b'l' => i64::from(i32::from_be_bytes(self.take(4)?.try_into().map_err(|_| err(at, "short"))?)),
            b'L' => i64::from_be_bytes(self.take(8)?.try_into().map_err(|_| err(at, "short"))?),
            m => return Err(err(at, format!("expected an integer marker, found `{}`", shown_byte(m)))),
        })
    }

    fn length(&mut self) -> Result<usize, ExplainError> {
        let at = self.pos;
        let m = self.byte()?;
        let n = self.int_of(m)?;
        let n = usize::try_from(n).map_err(|_| err(at, format!("negative length `{n}`")))?;
        if n > self.bytes.len() {
            return Err(err(at, format!("length `{n}` exceeds the file size")));
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, ExplainError> {
        let n = self.length()?;
        let at = self.pos;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| err(at, "string is not utf-8"))
    }

    fn value_of(&mut self, marker: u8, depth: usize) -> Result<Value, ExplainError> {
        let at = self.pos;
        if depth > MAX_DEPTH {
            return Err(err(at, "nesting is too deep"));
        }
        Ok(match marker {
            b'Z' => Value::Null,
            b'T' => Value::Bool(true),
            b'F' => Value::Bool(false),
            b'i' | b'U' | b'I' | b'l' | b'L' => Value::from(self.int_of(marker)?),
            b'd' => {
                let f = f32::from_be_bytes(self.take(4)?.try_into().map_err(|_| err(at, "short"))?);
                Number::from_f64(f64::from(f)).map_or(Value::Null, Value::Number)
            }
            b'D' => {
                let f = f64::from_be_bytes(self.take(8)?.try_into().map_err(|_| err(at, "short"))?);
                Number::from_f64(f).map_or(Value::Null, Value::Number)
            }
            b'C' => Value::String(char::from(self.byte()?).to_string()),
            b'S' | b'H' => Value::String(self.string()?),
            b'[' => self.array(depth)?,
            b'{' => self.object(depth)?,
            m => return Err(err(at.saturating_sub(1), format!("unknown marker `{}`", shown_byte(m)))),
        })
    }

    fn header(&mut self) -> Result<(Option<u8>, Option<usize>), ExplainError> {
        let mut ty = None;
        if self.bytes.get(self.pos) == Some(&b'$') {
            self.pos += 1;
            ty = Some(self.byte()?);
        }
        let mut count = None;
        if self.bytes.get(self.pos) == Some(&b'#') {
            self.pos += 1;
            count = Some(self.length()?);
        } else if ty.is_some() {
            return Err(err(self.pos, "typed container without a count"));
        }
        Ok((ty, count))
    }

    fn array(&mut self, depth: usize) -> Result<Value, ExplainError> {
        let (ty, count) = self.header()?;
        let mut out = Vec::new();
        if let Some(n) = count {
            for _ in 0..n {
                let m = match ty {
                    Some(t) => t,
                    None => self.byte()?,
                };
                out.push(self.value_of(m, depth + 1)?);
            }
        } else {
            loop {
                let m = self.byte()?;
                if m == b']' {
                    break;
                }
                out.push(self.value_of(m, depth + 1)?);
            }
        }
        Ok(Value::Array(out))
    }

    fn object(&mut self, depth: usize) -> Result<Value, ExplainError> {
        let (ty, count) = self.header()?;
        let mut out = Map::new();
        if let Some(n) = count {
            for _ in 0..n {
                let k = self.string()?;
                let m = match ty {
                    Some(t) => t,
                    None => self.byte()?,
                };
                out.insert(k, self.value_of(m, depth + 1)?);
            }
        } else {
            loop {
                if self.bytes.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    break;
                }
                let k = self.string()?;
                let m = self.byte()?;
                out.insert(k, self.value_of(m, depth + 1)?);
            }
        }
        Ok(Value::Object(out))
    }
}

/// Parses a UBJSON document.
pub(crate) fn parse(bytes: &[u8]) -> Result<Value, ExplainError> {
    let mut r = Reader { bytes, pos: 0 };
    let m = r.byte()?;
    let v = r.value_of(m, 0)?;
    if r.pos != bytes.len() {
        return Err(err(r.pos, "trailing bytes after the document"));
    }
    Ok(v)
}
