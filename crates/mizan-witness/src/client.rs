//! Talking to witnesses and logs over HTTP: [`WitnessClient::add_checkpoint`] (and the
//! one-shot [`add_checkpoint`]) asks a tlog-witness to cosign, and [`HttpLog`] reads a
//! tlog-tiles log's checkpoint, tiles and bundles for [`mizan_ledger::monitor`].
//!
//! Plain `http://` only for now (the workspace's reqwest is built without TLS).

use std::time::Duration;

use mizan_ledger::note::Note;
use mizan_ledger::store::LogStore;
use mizan_ledger::{Hash, LedgerError};

use crate::request::AddCheckpoint;

/// Why a witness did not return a cosignature.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The witness has cosigned another size (HTTP 409): send a proof from `size`.
    #[error("witness `{url}` has cosigned size `{size}`; send a consistency proof from that size")]
    Conflict {
        /// The witness URL.
        url: String,
        /// The size the witness holds.
        size: u64,
    },
    /// The witness refused the checkpoint.
    #[error("witness `{url}` answered {status}: {message}")]
    Refused {
        /// The witness URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The witness's message, shortened.
        message: String,
    },
    /// The witness answered 200 with something that is not signature lines.
    #[error("witness `{url}` answered with a malformed body: {why}")]
    Malformed {
        /// The witness URL.
        url: String,
        /// What is wrong.
        why: String,
    },
    /// The witness could not be reached.
    #[error("cannot reach witness `{url}`: {source}")]
    Transport {
        /// The witness URL.
        url: String,
        /// The transport error.
        source: reqwest::Error,
    },
}

/// A witness at a submission prefix, over one keep-alive HTTP client.
#[derive(Clone, Debug)]
pub struct WitnessClient {
    http: reqwest::Client,
    url: String,
}

fn shorten(text: &str) -> String {
    let t = text.trim();
    match t.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.to_owned(),
    }
}

impl WitnessClient {
    /// A client for the witness whose submission prefix is `url` (e.g. `http://w.example`).
    #[must_use]
    pub fn new(http: reqwest::Client, url: &str) -> Self {
        Self { http, url: url.trim_end_matches('/').to_owned() }
    }

    /// Submits `checkpoint` (a signed note) with a consistency proof from `old_size`, and
    /// returns the witness's signature lines, each ending in a newline, ready to append to the
    /// note. The caller verifies them with the witness's key (for example with
    /// [`mizan_ledger::policy::check`]); lines by unknown keys must be ignored.
    ///
    /// # Errors
    /// [`ClientError::Conflict`] with the witness's size on 409, so the caller can retry with
    /// a proof from that size; [`ClientError::Refused`] for other statuses;
    /// [`ClientError::Malformed`] and [`ClientError::Transport`].
    pub async fn add_checkpoint(
        &self,
        old_size: u64,
        proof: &[Hash],
        checkpoint: &[u8],
    ) -> Result<String, ClientError> {
        let url = &self.url;
        let body =
            AddCheckpoint { old_size, proof: proof.to_vec(), checkpoint: checkpoint.to_vec() }.encode();
        let transport = |source| ClientError::Transport { url: url.clone(), source };
        let res =
            self.http.post(format!("{url}/add-checkpoint")).body(body).send().await.map_err(transport)?;
        let status = res.status().as_u16();
        let text = res.text().await.map_err(transport)?;
        match status {
            200 => {
                if text.is_empty() || !text.ends_with('\n') {
                    return Err(ClientError::Malformed {
                        url: url.clone(),
                        why: "no newline-terminated lines".into(),
                    });
                }
                // Parse the lines as a note's signatures to check their form.
                Note::parse(format!("x\n\n{text}").as_bytes())
                    .map_err(|e| ClientError::Malformed { url: url.clone(), why: e.to_string() })?;
                Ok(text)
            }
            409 => {
                let size = text.strip_suffix('\n').and_then(|s| s.parse().ok()).ok_or_else(|| {
                    ClientError::Malformed {
                        url: url.clone(),
                        why: format!("409 body `{}` is not a size", shorten(&text)),
                    }
                })?;
                Err(ClientError::Conflict { url: url.clone(), size })
            }
            _ => Err(ClientError::Refused { url: url.clone(), status, message: shorten(&text) }),
        }
    }
}

/// One-shot [`WitnessClient::add_checkpoint`] with a fresh HTTP client.
///
/// # Errors
/// As [`WitnessClient::add_checkpoint`].
pub async fn add_checkpoint(
    url: &str,
    old_size: u64,
    proof: &[Hash],
    checkpoint: &[u8],
) -> Result<String, ClientError> {
    WitnessClient::new(reqwest::Client::new(), url).add_checkpoint(old_size, proof, checkpoint).await
}

/// A tlog-tiles log read over HTTP (`<prefix>/checkpoint`, `<prefix>/tile/...`), as a
/// read-only [`LogStore`] for the monitor and verifiers. Reads block on an internal runtime:
/// call them from a thread that is not running async code.
#[derive(Debug)]
pub struct HttpLog {
    prefix: String,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl HttpLog {
    /// A reader for the log at `prefix` (e.g. `http://127.0.0.1:8080/log/2026`).
    ///
    /// # Errors
    /// [`LedgerError::Storage`] when the HTTP client or runtime cannot start.
    pub fn new(prefix: &str, timeout: Duration) -> Result<Self, LedgerError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| LedgerError::Storage(format!("cannot build an HTTP client: {e}")))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| LedgerError::Storage(format!("cannot start a runtime: {e}")))?;
        Ok(Self { prefix: prefix.trim_end_matches('/').to_owned(), http, runtime })
    }

    /// The URL of `path` under the prefix.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.prefix)
    }

    async fn get(&self, path: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        let url = self.url(path);
        let fail = |e: reqwest::Error| LedgerError::Storage(format!("GET `{url}`: {e}"));
        let res = self.http.get(&url).send().await.map_err(fail)?;
        match res.status().as_u16() {
            200 => Ok(Some(res.bytes().await.map_err(fail)?.to_vec())),
            404 | 410 => Ok(None),
            s => Err(LedgerError::Storage(format!("GET `{url}` answered {s}"))),
        }
    }

    fn read_only(&self) -> LedgerError {
        LedgerError::Storage(format!("`{}` is read over HTTP; it cannot be written", self.prefix))
    }
}

impl LogStore for HttpLog {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, LedgerError> {
        self.runtime.block_on(self.get(path))
    }
    fn write_once(&self, _: &str, _: &[u8]) -> Result<(), LedgerError> {
        Err(self.read_only())
    }
    fn publish_checkpoint(&self, _: &[u8]) -> Result<(), LedgerError> {
        Err(self.read_only())
    }
    fn latest(&self) -> Result<Option<Vec<u8>>, LedgerError> {
        Err(self.read_only())
    }
    fn compare_and_swap_latest(&self, _: Option<&[u8]>, _: &[u8]) -> Result<bool, LedgerError> {
        Err(self.read_only())
    }
    fn stage(&self, _: &[u8]) -> Result<(), LedgerError> {
        Err(self.read_only())
    }
    fn staged(&self) -> Result<Vec<Vec<u8>>, LedgerError> {
        Err(self.read_only())
    }
    fn clear_staged(&self) -> Result<(), LedgerError> {
        Err(self.read_only())
    }
}
