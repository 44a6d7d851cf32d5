//! The witness's signing key on disk: generated on first use, readable only by its owner.
//!
//! The file holds one line in the golang.org/x/mod/sumdb/note private-key form with the
//! `cosignature/v1` key type: `PRIVATE+KEY+<name>+<hex key id>+<base64(0x04 || seed)>`. The
//! name travels with the key, so the witness's vkey never changes between runs.

use std::path::{Path, PathBuf};

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use ed25519_dalek::SigningKey;
use mizan_ledger::note::{ALG_COSIGNATURE_V1, CosignatureSigner};
use rand::{CryptoRng, RngCore};

/// Why the key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read or written.
    #[error("witness key `{path}`: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a witness key (the message never echoes key material).
    #[error("witness key `{path}`: {why}")]
    Malformed {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The file's key has another name than the one asked for.
    #[error(
        "witness key `{path}` is named `{have}`, not `{want}`; drop `--name` or give another key file (a witness's name is part of its vkey)"
    )]
    NameMismatch {
        /// The key file.
        path: PathBuf,
        /// The name in the file.
        have: String,
        /// The name asked for.
        want: String,
    },
}

/// Encodes a witness private key line (with a trailing newline).
#[must_use]
pub fn encode(name: &str, seed: &[u8; 32]) -> Option<String> {
    let signer = CosignatureSigner::new(name, SigningKey::from_bytes(seed)).ok()?;
    let mut raw = vec![ALG_COSIGNATURE_V1];
    raw.extend_from_slice(seed);
    let id = u32::from_be_bytes(signer.verifier().key_id());
    Some(format!("PRIVATE+KEY+{name}+{id:08x}+{}\n", B64.encode(raw)))
}

/// Parses a witness private key line.
///
/// # Errors
/// A message naming the part that is wrong.
pub fn decode(text: &str) -> Result<CosignatureSigner, String> {
    let rest = text.trim().strip_prefix("PRIVATE+KEY+").ok_or("must start with `PRIVATE+KEY+`")?;
    // The name has no `+`; the base64 key may.
    let mut parts = rest.splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("expected `PRIVATE+KEY+name+keyid+base64key`".into());
    };
    let raw = B64.decode(key).map_err(|_| "key part is not base64")?;
    let (&alg, seed) = raw.split_first().ok_or("key part is empty")?;
    if alg != ALG_COSIGNATURE_V1 {
        return Err(format!("key type is `{alg}`; a witness key has type 4 (cosignature/v1)"));
    }
    let seed: [u8; 32] = seed.try_into().map_err(|_| "seed is not 32 bytes")?;
    let signer = CosignatureSigner::new(name, SigningKey::from_bytes(&seed)).map_err(|e| e.to_string())?;
    if format!("{:08x}", u32::from_be_bytes(signer.verifier().key_id())) != id {
        return Err(format!("key id `{id}` does not match the key"));
    }
    Ok(signer)
}

/// Loads the key at `path`, or creates it (mode 0600, fsync'd) named `name` with a seed from
/// `rng`. When the file exists and `name` is given, the names must agree.
///
/// # Errors
/// [`KeyError`] naming the file.
pub fn load_or_create<R: RngCore + CryptoRng>(
    path: &Path,
    name: Option<&str>,
    default_name: &str,
    rng: &mut R,
) -> Result<CosignatureSigner, KeyError> {
    let io = |source| KeyError::Io { path: path.to_owned(), source };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let signer = decode(&text).map_err(|why| KeyError::Malformed { path: path.to_owned(), why })?;
            let have = signer.verifier().name().to_owned();
            if let Some(want) = name
                && want != have
            {
                return Err(KeyError::NameMismatch { path: path.to_owned(), have, want: want.to_owned() });
            }
            Ok(signer)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let name = name.unwrap_or(default_name);
            let mut seed = [0u8; 32];
            rng.fill_bytes(&mut seed);
            let line = encode(name, &seed).ok_or_else(|| KeyError::Malformed {
                path: path.to_owned(),
                why: format!("witness name `{name}` must be non-empty without spaces or `+`"),
            })?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            mizan_files::write_new_private(path, line.as_bytes()).map_err(io)?;
            decode(&line).map_err(|why| KeyError::Malformed { path: path.to_owned(), why })
        }
        Err(e) => Err(io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn created_once_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/witness.key");
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let a = load_or_create(&path, None, "witness.example/w1", &mut rng).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let b = load_or_create(&path, Some("witness.example/w1"), "ignored", &mut rng).unwrap();
        assert_eq!(a.verifier(), b.verifier());
        assert_eq!(a.verifier().alg(), ALG_COSIGNATURE_V1);
        let err = load_or_create(&path, Some("other"), "x", &mut rng).unwrap_err();
        assert!(err.to_string().contains("is named `witness.example/w1`, not `other`"), "{err}");
        std::fs::write(&path, "PRIVATE+KEY+w+00000000+AQ==\n").unwrap();
        let err = load_or_create(&path, None, "x", &mut rng).unwrap_err().to_string();
        assert!(err.contains("key type is `1`") || err.contains("base64"), "{err}");
        assert!(!err.contains("AQ=="), "key material echoed: {err}");
    }

    #[test]
    fn encode_decode_round_trip_for_any_seed() {
        // Base64 keys often contain `+`; the name never does.
        for i in 0..=255u8 {
            let seed = [i; 32];
            let line = encode("witness.example/w1", &seed).unwrap();
            let signer = decode(&line).unwrap();
            assert_eq!(
                signer.verifier(),
                CosignatureSigner::new("witness.example/w1", SigningKey::from_bytes(&seed))
                    .unwrap()
                    .verifier()
            );
        }
    }

    #[test]
    fn names_with_plus_are_refused_on_creation() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let err = load_or_create(&dir.path().join("k"), Some("a+b"), "x", &mut rng).unwrap_err();
        assert!(err.to_string().contains("must be non-empty without spaces or `+`"), "{err}");
    }
}
