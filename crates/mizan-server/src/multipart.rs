//! A strict reader of `multipart/form-data` bodies (RFC 7578), for the one page form that
//! uploads a file (a model) without JavaScript.
//!
//! Only what browsers send is accepted: a boundary from the content type, parts with a
//! `Content-Disposition: form-data; name="..."` header, at most [`MAX_PARTS`] of them. Anything
//! else is an error naming the byte offset, never a panic.

/// Most parts in one body.
pub const MAX_PARTS: usize = 32;

/// One part of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The field name.
    pub name: String,
    /// The file name, for a file field.
    pub filename: Option<String>,
    /// The content.
    pub data: Vec<u8>,
}

/// What is wrong with a body, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed multipart/form-data body at byte {at}: {detail}")]
pub struct MultipartError {
    /// Byte offset in the body (0 for a content-type problem).
    pub at: usize,
    /// What was expected.
    pub detail: &'static str,
}

fn err(at: usize, detail: &'static str) -> MultipartError {
    MultipartError { at, detail }
}

/// The boundary of a `multipart/form-data` content type.
///
/// # Errors
/// [`MultipartError`] when the type is another or has no valid boundary.
pub fn boundary(content_type: &str) -> Result<String, MultipartError> {
    let mut params = content_type.split(';');
    let mime = params.next().unwrap_or_default().trim();
    if !mime.eq_ignore_ascii_case("multipart/form-data") {
        return Err(err(0, "the content type is not `multipart/form-data`"));
    }
    let b = params
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .ok_or_else(|| err(0, "the content type has no boundary"))?;
    if b.is_empty() || b.len() > 70 || !b.bytes().all(|c| c.is_ascii_graphic() || c == b' ') {
        return Err(err(0, "the boundary must be 1 to 70 printable characters"));
    }
    Ok(b)
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > hay.len() || needle.is_empty() {
        return None;
    }
    hay[from..].windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

/// Reads `name="..."` and `filename="..."` from a `Content-Disposition` value.
fn disposition(value: &str) -> Option<(String, Option<String>)> {
    let mut items = value.split(';');
    if !items.next()?.trim().eq_ignore_ascii_case("form-data") {
        return None;
    }
    let mut name = None;
    let mut filename = None;
    for item in items {
        let Some((k, v)) = item.split_once('=') else { continue };
        let v = v.trim();
        let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v).to_owned();
        match k.trim().to_ascii_lowercase().as_str() {
            "name" => name = Some(v),
            "filename" => filename = Some(v),
            _ => {}
        }
    }
    Some((name?, filename))
}

/// Splits `body` into its parts.
///
/// # Errors
/// [`MultipartError`] naming the byte where the body stops making sense.
pub fn parse(content_type: &str, body: &[u8]) -> Result<Vec<Part>, MultipartError> {
    let b = boundary(content_type)?;
    let delimiter = format!("--{b}").into_bytes();
    let next_delimiter = format!("\r\n--{b}").into_bytes();
    // The first delimiter may start the body or follow a preamble line.
    let mut at = if body.starts_with(&delimiter) {
        0
    } else {
        find(body, &next_delimiter, 0).map(|p| p + 2).ok_or_else(|| err(0, "no boundary line found"))?
    };
    let mut parts = Vec::new();
    loop {
        at += delimiter.len();
        if body[at..].starts_with(b"--") {
            return Ok(parts);
        }
        // Transport padding, then the line break ending the boundary line.
        while body.get(at).is_some_and(|&b| b == b' ' || b == b'\t') {
            at += 1;
        }
        if !body[at..].starts_with(b"\r\n") {
            return Err(err(at, "expected a line break after the boundary"));
        }
        at += 2;
        if parts.len() == MAX_PARTS {
            return Err(err(at, "too many parts"));
        }
        let head_end = find(body, b"\r\n\r\n", at).ok_or_else(|| err(at, "part headers do not end"))?;
        let head =
            std::str::from_utf8(&body[at..head_end]).map_err(|_| err(at, "part headers are not utf-8"))?;
        let mut field = None;
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                return Err(err(at, "a part header line has no colon"));
            };
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                field = Some(
                    disposition(v)
                        .ok_or_else(|| err(at, "content-disposition is not form-data with a name"))?,
                );
            }
        }
        let (name, filename) = field.ok_or_else(|| err(at, "a part has no content-disposition"))?;
        let start = head_end + 4;
        let end = find(body, &next_delimiter, start)
            .ok_or_else(|| err(start, "a part does not end with the boundary"))?;
        parts.push(Part { name, filename, data: body[start..end].to_vec() });
        at = end + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &str = "multipart/form-data; boundary=----x1";

    fn body(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut b = b"preamble\r\n".to_vec();
        for (name, file, data) in parts {
            b.extend_from_slice(b"------x1\r\n");
            match file {
                Some(f) => b.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/json\r\n\r\n").as_bytes(),
                ),
                None => b.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
            }
            b.extend_from_slice(data);
            b.extend_from_slice(b"\r\n");
        }
        b.extend_from_slice(b"------x1--\r\n");
        b
    }

    #[test]
    fn reads_fields_and_files_with_line_breaks_inside() {
        let b = body(&[
            ("csrf", None, b"abc"),
            ("model", Some("m.json"), b"{\r\n\"a\": 1\r\n}"),
            ("empty", None, b""),
        ]);
        let parts = parse(CT, &b).expect("parses");
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], Part { name: "csrf".into(), filename: None, data: b"abc".to_vec() });
        assert_eq!(parts[1].filename.as_deref(), Some("m.json"));
        assert_eq!(parts[1].data, b"{\r\n\"a\": 1\r\n}");
        assert!(parts[2].data.is_empty());
    }

    #[test]
    fn bad_bodies_are_errors_with_an_offset_never_panics() {
        assert!(boundary("application/json").is_err());
        assert!(boundary("multipart/form-data").is_err());
        assert_eq!(boundary("multipart/form-data; boundary=\"a b\"").expect("quoted"), "a b");
        let good = body(&[("model", Some("m"), b"data")]);
        for cut in 0..good.len() {
            let _ = parse(CT, &good[..cut]);
        }
        assert!(parse(CT, b"no boundary here").is_err());
        let e = parse(CT, b"------x1\r\nX-Other: 1\r\n\r\ndata\r\n------x1--").expect_err("no disposition");
        assert!(e.to_string().contains("content-disposition"), "{e}");
        let many: Vec<(&str, Option<&str>, &[u8])> =
            (0..=MAX_PARTS).map(|_| ("f", None, &b"v"[..])).collect();
        assert!(parse(CT, &body(&many)).is_err());
    }
}
