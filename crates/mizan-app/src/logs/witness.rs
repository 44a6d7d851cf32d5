//! Witnessing: independent witnesses cosign the decisions log's checkpoints.
//!
//! Given a C2SP tlog-policy whose `witness` lines carry submission URLs, a background task
//! sends each new checkpoint to every witness (C2SP tlog-witness `add-checkpoint`, with a
//! consistency proof from the size that witness last cosigned; a 409 tells us that size) and
//! keeps the newest checkpoint whose cosignatures meet the policy's quorum. That cosigned note
//! is what `/log/<year>/checkpoint` publishes and what full receipts prove against, so a
//! receipt is only `proven` once witnesses have seen its checkpoint; acknowledgements never
//! wait for them. The cosigned note is saved atomically beside the log (`checkpoint.cosigned`),
//! so a quorum reached before a restart still counts.

use std::sync::Arc;
use std::time::Duration;

use mizan_ledger::policy::Policy;
use mizan_witness::WitnessClient;

use super::{Log, Logs};

/// Witnesses the log asks for cosignatures, the policy their cosignatures must meet, and the
/// newest checkpoint that met it.
pub(super) struct Witnessing {
    policy: Policy,
    text: String,
    cosigned: std::sync::RwLock<Option<(u64, Arc<str>)>>,
}

/// The file under the log directory holding the newest checkpoint with a witness quorum.
const COSIGNED: &str = "checkpoint.cosigned";

impl Logs {
    /// Starts asking the witnesses of `policy_text` (C2SP tlog-policy; the decisions log's key is added
    /// if the policy does not name it) to cosign each new checkpoint, in the background. Full
    /// receipts then wait for a checkpoint that meets the policy's quorum; ingestion does not.
    ///
    /// # Errors
    /// The policy's parse error (line-numbered), or a policy with a witness that has no URL.
    pub fn start_witnessing(self: &Arc<Self>, policy_text: &str) -> Result<(), String> {
        let log = self.decisions();
        let mut policy = Policy::parse(policy_text.as_bytes()).map_err(|e| e.to_string())?;
        if !policy.logs().iter().any(|l| l.key.name() == log.origin) {
            policy.add_log(log.verifier()).map_err(|e| e.to_string())?;
        }
        if let Some(w) = policy.witnesses().iter().find(|w| w.url.is_none()) {
            return Err(format!("witness `{}` has no submission URL in the policy", w.name()));
        }
        // A quorum reached before a restart still counts.
        let cosigned = std::fs::read(log.dir.join(COSIGNED)).ok().and_then(|bytes| {
            let checked = mizan_ledger::policy::check(&bytes, &policy).ok()?;
            Some((checked.checkpoint.checkpoint.size, Arc::from(String::from_utf8(bytes).ok()?.as_str())))
        });
        let w =
            Witnessing { policy, text: policy_text.to_owned(), cosigned: std::sync::RwLock::new(cosigned) };
        log.witnessing.set(w).map_err(|_| "witnessing already started".to_owned())?;
        let me = Arc::clone(self);
        tokio::spawn(async move { witness_loop(me).await });
        Ok(())
    }
}

impl Log {
    /// The witness policy in force, as configured.
    #[must_use]
    pub fn witness_policy(&self) -> Option<&str> {
        self.witnessing.get().map(|w| w.text.as_str())
    }

    /// The newest checkpoint meeting the witness policy: its size and the cosigned note.
    /// `None` without witnesses configured, or before the first quorum.
    #[must_use]
    pub fn cosigned(&self) -> Option<(u64, Arc<str>)> {
        self.witnessing.get()?.cosigned.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Whether receipts must wait for a witness quorum.
    #[must_use]
    pub fn witnessed(&self) -> bool {
        self.witnessing.get().is_some()
    }
}

async fn witness_loop(logs: Arc<Logs>) {
    let log = logs.decisions();
    let Some(w) = log.witnessing.get() else { return };
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
    let clients: Vec<WitnessClient> = w
        .policy
        .witnesses()
        .iter()
        .map(|pw| WitnessClient::new(http.clone(), pw.url.as_deref().unwrap_or_default()))
        .collect();
    // What each witness has cosigned so far (it tells us on a 409).
    let mut sizes = vec![0u64; clients.len()];
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let reader = log.reader();
        let size = reader.size();
        let done = log.cosigned().map_or(0, |(s, _)| s);
        let Some(checkpoint) = reader.checkpoint() else { continue };
        if size == 0 || size <= done {
            continue;
        }
        let mut note = checkpoint.to_string();
        for (i, client) in clients.iter().enumerate() {
            for _attempt in 0..2 {
                let old = sizes[i].min(size);
                let proof = if old == 0 { Ok(vec![]) } else { reader.prove_consistency(old, size) };
                let Ok(proof) = proof else { break };
                match client.add_checkpoint(old, &proof, checkpoint.as_bytes()).await {
                    Ok(lines) => {
                        sizes[i] = size;
                        note.push_str(&lines);
                        break;
                    }
                    Err(mizan_witness::ClientError::Conflict { size: theirs, .. }) => sizes[i] = theirs,
                    Err(e) => {
                        tracing::warn!(error = %e, "witness did not cosign");
                        break;
                    }
                }
            }
        }
        match mizan_ledger::policy::check(note.as_bytes(), &w.policy) {
            Ok(_) => {
                let saved = mizan_files::write_atomic(&log.dir.join(COSIGNED), note.as_bytes());
                if let Err(e) = saved {
                    tracing::warn!(error = %e, "cannot save the cosigned checkpoint");
                }
                *w.cosigned.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
                    Some((size, Arc::from(note.as_str())));
            }
            Err(e) => tracing::warn!(error = %e, size, "witness quorum not met yet"),
        }
    }
}
