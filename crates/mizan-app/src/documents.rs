//! Documents a person files with a case (an appeal's salary slip, a letter), content-addressed
//! under `<data-dir>/documents/sha256/<aa>/<hex>`.
//!
//! Only PDF, PNG and JPEG are accepted, recognised by their first bytes (a declared type is
//! checked against them, never trusted alone), at most `Limits::appeal_document_bytes`. A
//! file's name is the SHA-256 of its bytes, so the same bytes filed twice are stored once; the
//! file is written durably (`mizan_files::write_atomic`) before the database row that names
//! it, and a filing that fails after the write removes the file unless a row names it. Files
//! are personal data: erasing a closed case's decision deletes the rows, then every file no
//! row names any more ([`crate::Platform::erase_decision`]).

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::Error;

/// The media types accepted, each with the bytes a file of it starts with.
const KINDS: [(&str, &[u8]); 3] =
    [("application/pdf", b"%PDF-"), ("image/png", b"\x89PNG\r\n\x1a\n"), ("image/jpeg", b"\xFF\xD8\xFF")];

/// Longest file name kept, in characters.
pub const MAX_NAME: usize = 120;

/// The media type `bytes` are, by their first bytes: PDF, PNG or JPEG; `None` for anything else.
#[must_use]
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    KINDS.iter().find(|(_, magic)| bytes.starts_with(magic)).map(|(t, _)| *t)
}

/// A document as a person filed it.
#[derive(Debug, Clone, Default)]
pub struct DocumentIn {
    /// The file's name on the person's device.
    pub name: String,
    /// The type the sender declared, if any (checked against the bytes).
    pub declared_type: Option<String>,
    /// The bytes.
    pub bytes: bytes::Bytes,
}

/// A document checked and ready to keep.
#[derive(Debug, Clone)]
pub struct CheckedDocument {
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// The type its bytes are.
    pub media_type: &'static str,
    /// Its name, cleaned.
    pub file_name: String,
    /// The bytes.
    pub bytes: bytes::Bytes,
}

/// A file name safe to store and show: the last path part, without control, quote or
/// direction characters, at most [`MAX_NAME`] characters; "document" when nothing is left.
fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let kept: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\'' | '`' | '<' | '>' | ';'))
        .filter(|c| !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'))
        .take(MAX_NAME)
        .collect();
    let kept = kept.trim().trim_start_matches('.').to_owned();
    if kept.is_empty() { "document".to_owned() } else { kept }
}

/// Checks a filed document: not empty, at most `max` bytes, a PDF, PNG or JPEG by its bytes
/// and, when a type was declared, that type.
///
/// # Errors
/// [`Error::TooLarge`] or [`Error::BadRequest`] on `field`, saying what is accepted.
pub fn check(field: &str, d: DocumentIn, max: usize) -> Result<CheckedDocument, Error> {
    if d.bytes.is_empty() {
        return Err(Error::bad(field, "the document is empty; choose a PDF, PNG or JPEG file"));
    }
    if d.bytes.len() > max {
        return Err(Error::TooLarge {
            field: field.to_owned(),
            detail: format!("the document has {} bytes; at most {max} are accepted", d.bytes.len()),
        });
    }
    let media_type = sniff(&d.bytes).ok_or_else(|| {
        Error::bad(
            field,
            "the document is not a PDF, PNG or JPEG file (by its contents); only those are accepted",
        )
    })?;
    if let Some(declared) = d.declared_type.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let declared = declared.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        let same = declared == media_type || (media_type == "image/jpeg" && declared == "image/jpg");
        if !same {
            return Err(Error::bad(
                field,
                format!("the document is declared as `{declared}` but its contents are `{media_type}`"),
            ));
        }
    }
    Ok(CheckedDocument {
        sha256: hex::encode(Sha256::digest(&d.bytes)),
        media_type,
        file_name: clean_name(&d.name),
        bytes: d.bytes,
    })
}

/// The directory of document files.
#[derive(Debug, Clone)]
pub struct DocumentFiles {
    dir: PathBuf,
}

fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::Internal(format!("document file `{}`: {e}", path.display()))
}

impl DocumentFiles {
    /// Document files under `<data_dir>/documents/sha256` (created on first write).
    #[must_use]
    pub fn in_data_dir(data_dir: &Path) -> DocumentFiles {
        DocumentFiles { dir: data_dir.join("documents").join("sha256") }
    }

    /// Where the file of `sha256` lives: `<aa>/<hex>` under the directory.
    ///
    /// # Errors
    /// [`Error::NotFound`] unless `sha256` is 64 lowercase hex digits.
    pub fn path(&self, sha256: &str) -> Result<PathBuf, Error> {
        if !is_hash(sha256) {
            return Err(Error::NotFound(format!("document `{sha256}`")));
        }
        Ok(self.dir.join(&sha256[..2]).join(sha256))
    }

    /// Keeps `bytes` durably under `sha256` (their hash); bytes already there are not written
    /// again. Returns whether this call wrote the file. Blocking.
    ///
    /// # Errors
    /// [`Error::Internal`] naming the file.
    pub fn put(&self, sha256: &str, bytes: &[u8]) -> Result<bool, Error> {
        let path = self.path(sha256)?;
        if std::fs::read(&path).is_ok_and(|old| old == bytes) {
            return Ok(false);
        }
        let parent = path.parent().unwrap_or(&self.dir).to_owned();
        std::fs::create_dir_all(&parent).map_err(io(&parent))?;
        mizan_files::write_atomic(&path, bytes).map_err(io(&path))?;
        Ok(true)
    }

    /// The bytes of `sha256`, checked against the hash. Blocking.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such file; [`Error::Internal`] when it cannot be
    /// read or no longer matches its hash.
    pub fn get(&self, sha256: &str) -> Result<Vec<u8>, Error> {
        let path = self.path(sha256)?;
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotFound(format!("document `{sha256}`")));
            }
            Err(e) => return Err(io(&path)(e)),
        };
        if hex::encode(Sha256::digest(&bytes)) != sha256 {
            return Err(Error::Internal(format!(
                "document file `{}` does not match its hash; restore it from backup",
                path.display()
            )));
        }
        Ok(bytes)
    }

    /// Deletes the file of `sha256`, if there is one. Blocking.
    ///
    /// # Errors
    /// [`Error::Internal`] naming the file when it exists and cannot be removed.
    pub fn remove(&self, sha256: &str) -> Result<(), Error> {
        let path = self.path(sha256)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(&path)(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(bytes: &'static [u8], declared: Option<&str>) -> DocumentIn {
        DocumentIn {
            name: "slip.pdf".into(),
            declared_type: declared.map(str::to_owned),
            bytes: bytes.into(),
        }
    }

    #[test]
    fn only_pdf_png_and_jpeg_by_their_bytes() {
        assert_eq!(sniff(b"%PDF-1.4\n"), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0"), Some("image/jpeg"));
        assert_eq!(sniff(b"<html>%PDF-"), None);
        assert_eq!(sniff(b"GIF89a"), None);
        let e = check("document", doc(b"MZ\x90\x00", Some("application/pdf")), 100).unwrap_err();
        assert!(e.to_string().contains("not a PDF, PNG or JPEG"), "{e}");
        let e = check("document", doc(b"%PDF-1.7", Some("image/png")), 100).unwrap_err();
        assert!(e.to_string().contains("declared as `image/png`"), "{e}");
        assert!(check("document", doc(b"\xFF\xD8\xFF\xE0", Some("image/jpg")), 100).is_ok());
        assert!(matches!(check("document", doc(b"%PDF-1.7 long", None), 8), Err(Error::TooLarge { .. })));
        assert!(check("document", doc(b"", None), 8).is_err());
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("C:\\Users\\me\\slip.pdf"), "slip.pdf");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\"b\u{202E}fdp.exe\n"), "abfdp.exe");
        assert_eq!(clean_name("..."), "document");
        assert_eq!(clean_name(&"x".repeat(500)).chars().count(), MAX_NAME);
    }

    #[test]
    fn files_are_named_by_hash_stored_once_and_removed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let files = DocumentFiles::in_data_dir(dir.path());
        let c = check("document", doc(b"%PDF-1.4 same", None), 100).expect("checked");
        assert!(files.put(&c.sha256, &c.bytes).expect("put"));
        assert!(!files.put(&c.sha256, &c.bytes).expect("again"), "same bytes are not written twice");
        let path = files.path(&c.sha256).expect("path");
        assert!(path.ends_with(format!("documents/sha256/{}/{}", &c.sha256[..2], c.sha256)));
        assert_eq!(files.get(&c.sha256).expect("get"), b"%PDF-1.4 same");
        std::fs::write(&path, b"tampered").expect("tamper");
        assert!(matches!(files.get(&c.sha256), Err(Error::Internal(_))));
        files.remove(&c.sha256).expect("remove");
        assert!(!path.exists());
        files.remove(&c.sha256).expect("removing twice is fine");
        assert!(matches!(files.get("../../mizan.db"), Err(Error::NotFound(_))));
    }
}
