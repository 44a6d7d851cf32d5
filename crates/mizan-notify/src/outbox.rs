//! The outbox folder: where e-mails go when no SMTP server is configured, and where text
//! messages wait for an SMS gateway.
//!
//! Each message is one file, named so that `ls` lists them in the order they were written and
//! shows what they are about: `20260415T103012.123456Z-APL-2026-000123-1f3a9c0e.eml` (UTC time
//! to the microsecond, the reference, 32 random bits so two messages in the same microsecond
//! never share a name). An `.eml` file holds the exact RFC 5322 bytes SMTP would have carried;
//! a `.sms.txt` file holds a few `Key: value` lines (to, language, reference, date, subject), a
//! blank line and the text.
//!
//! Files hold personal data (an address, the state of someone's appeal), so the folder is
//! created owner-only (0700) and each file 0600. A file appears whole or not at all: it is
//! written under a dot-name with `mizan_files::write_new_private` (fsync'd), then renamed into
//! place and the folder fsync'd.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use time::OffsetDateTime;
use time::macros::format_description;

use crate::Error;

/// A folder of outgoing messages.
#[derive(Clone, Debug)]
pub struct Outbox {
    dir: PathBuf,
}

impl Outbox {
    /// An outbox in `dir`; the folder is created when the first message is written.
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The folder.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `bytes` as a new file for `reference`, written at `now`, ending in `extension`;
    /// its path. Blocking: call it off the async workers.
    pub(crate) fn write(
        &self,
        now: SystemTime,
        reference: &str,
        extension: &str,
        bytes: &[u8],
    ) -> Result<PathBuf, Error> {
        fn fail(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
            move |source| Error::Outbox { path: path.to_owned(), source }
        }
        create_private_dir(&self.dir).map_err(fail(&self.dir))?;
        let name = format!("{}-{reference}-{:08x}.{extension}", stamp(now), rand::random::<u32>());
        let path = self.dir.join(&name);
        let tmp = self.dir.join(format!(".{name}.tmp"));
        mizan_files::write_new_private(&tmp, bytes).map_err(fail(&tmp))?;
        if let Err(e) = fs::rename(&tmp, &path) {
            let _ = fs::remove_file(&tmp);
            return Err(fail(&path)(e));
        }
        mizan_files::sync_dir(&self.dir).map_err(fail(&self.dir))?;
        Ok(path)
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// `20260415T103012.123456Z`: sorts as text in time order.
fn stamp(now: SystemTime) -> String {
    let utc = OffsetDateTime::from(now);
    let format = format_description!("[year][month][day]T[hour][minute][second].[subsecond digits:6]Z");
    // Formatting a UTC date-time into a String with a fixed description cannot fail.
    utc.format(format).unwrap_or_else(|_| utc.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn file_names_sort_by_time_and_name_the_reference() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path().join("a/b/outbox"));
        let t = UNIX_EPOCH + Duration::from_micros(1_776_249_012_123_456);
        let later = outbox.write(t + Duration::from_micros(1), "APL-1", "eml", b"2").unwrap();
        let first = outbox.write(t, "APL-2", "sms.txt", b"1").unwrap();
        let name = |p: &Path| p.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(name(&first).starts_with("20260415T103012.123456Z-APL-2-"), "{}", name(&first));
        assert!(name(&first).ends_with(".sms.txt"));
        assert!(name(&later).starts_with("20260415T103012.123457Z-APL-1-"), "{}", name(&later));
        let mut names: Vec<_> = fs::read_dir(outbox.dir()).unwrap().map(|e| e.unwrap().path()).collect();
        names.sort();
        assert_eq!(
            names,
            vec![first.clone(), later],
            "sorted by name is sorted by time; no temporary file is left"
        );
        assert_eq!(fs::read(&first).unwrap(), b"1");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(outbox.dir()).unwrap().permissions().mode() & 0o777, 0o700);
            assert_eq!(fs::metadata(&first).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn a_folder_that_cannot_be_made_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-folder");
        fs::write(&file, b"x").unwrap();
        let e = Outbox::new(file.join("outbox")).write(SystemTime::now(), "APL-1", "eml", b"x").unwrap_err();
        assert!(matches!(e, Error::Outbox { .. }));
        assert!(e.to_string().contains("not-a-folder/outbox"), "{e}");
    }
}
