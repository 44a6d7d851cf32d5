//! Durable file writes, written once for every crate that keeps state in files.
//!
//! A file Mizan replaces (a cosigned checkpoint, a monitor's state, a witness's state, a model
//! file, a log tile) must be either the old bytes or the new ones after a crash, never a torn
//! mix, and must survive a power cut once the call returns. [`write_atomic`] does the one
//! sequence that gives both on POSIX file systems: write a temporary file beside the target,
//! fsync it, rename it over the target, fsync the directory (the rename is durable only once
//! the directory is). [`write_new_private`] creates a file that must never be replaced (a
//! signing key): it fails if the file exists, is readable by its owner only, and is durable
//! on return.
#![warn(missing_docs)]

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Replaces `path` with `bytes` atomically and durably: temporary file in the same directory,
/// write, fsync, rename over `path`, fsync the directory. The temporary file is removed if any
/// step fails. Safe to call from several threads on the same path (each uses its own temporary
/// file; the last rename wins).
///
/// # Errors
/// The first I/O error, with the path it happened on in its message.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = parent(path);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
    let written = File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(with_path(path, e));
    }
    sync_dir(dir)
}

/// Creates `path` with `bytes`, readable and writable by its owner only (mode 0600 on Unix),
/// and makes it and its directory entry durable. Fails if the file exists: what it holds (a
/// signing key) must never be replaced.
///
/// # Errors
/// [`io::ErrorKind::AlreadyExists`] when the file exists; other I/O errors with the path.
pub fn write_new_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path).map_err(|e| with_path(path, e))?;
    f.write_all(bytes).and_then(|()| f.sync_all()).map_err(|e| with_path(path, e))?;
    sync_dir(parent(path))
}

/// Makes renames and new entries in `dir` durable.
///
/// # Errors
/// The directory cannot be opened or synced.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| with_path(dir, e))
}

/// The directory a path is in (`.` for a bare file name).
fn parent(path: &Path) -> &Path {
    path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

fn with_path(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("`{}`: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two, longer").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two, longer");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state")], "no temporary file is left");
    }

    #[test]
    fn a_failed_write_names_the_path_and_leaves_what_was_there() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing-dir").join("state");
        let e = write_atomic(&missing, b"x").unwrap_err();
        assert!(e.to_string().contains("missing-dir"), "{e}");
        // A non-empty directory in the way makes the rename fail after the temporary file was
        // written: the directory is untouched and the temporary file is gone.
        let blocked = dir.path().join("blocked");
        fs::create_dir(&blocked).unwrap();
        fs::write(blocked.join("inner"), b"kept").unwrap();
        let e = write_atomic(&blocked, b"new").unwrap_err();
        assert!(e.to_string().contains("blocked"), "{e}");
        assert_eq!(fs::read(blocked.join("inner")).unwrap(), b"kept");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("blocked")], "no temporary file is left");
    }

    #[test]
    fn a_private_file_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.key");
        write_new_private(&path, b"secret").unwrap();
        let e = write_new_private(&path, b"other").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&path).unwrap(), b"secret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
