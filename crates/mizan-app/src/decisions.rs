//! Logging automated decisions and the citizen's receipt.
//!
//! A provider sends a batch of decisions. Each is checked and gets a fresh random key `k`; its
//! leaf (system, minute, `HMAC(k, record)`) goes into the decisions log through the
//! [`crate::intake::Intake`], and only once the log has made the batch durable are the record
//! and `k` stored and the receipts returned. [`Platform::receipt`] gives the holder of a
//! reference an offline proof (C2SP tlog-proof) and the record's opening, and
//! [`Platform::log_file`] the log's own files. The record, its canonical bytes and the receipt
//! are the formats of `mizan_formats` (`mizan.decision/1`, `mizan.receipt/1`); nothing here
//! writes them by hand.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use mizan_formats::decision::format_decided_at;
use mizan_formats::receipt::{Opening, ReceiptStatus};
use mizan_formats::{DecisionRecord, Human, Supersedes};
use mizan_ledger::ack::Acknowledgement;
use mizan_ledger::leaf::canonical_json;
use mizan_ledger::log::LeafIndex;
use mizan_ledger::merkle::{self, Hash, hex32};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::intake::{Fresh, Logged};
use crate::{Error, Platform};

/// Most decisions in one request.
pub const MAX_BATCH: usize = 1000;

/// One automated decision as a provider reports it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    /// The provider's key for this decision; re-sending it returns the same receipt.
    pub idempotency_key: String,
    /// The system version that decided: a version that was registered (see
    /// [`mizan_store::DecisionTarget`]).
    #[serde(deserialize_with = "crate::wire::whole_number")]
    pub system_version: i64,
    /// Hash of the model that decided, e.g. `sha256:<hex>`.
    pub model_hash: String,
    /// The input features as the model saw them.
    pub features: serde_json::Map<String, Value>,
    /// The outcome (a label, a number or a yes/no).
    pub output: Value,
    /// The model's score, if any.
    pub score: Option<f64>,
    /// Whether a person took part, and who (a role or staff reference, not a name).
    pub human: HumanIn,
    /// When the decision was made (RFC 3339).
    pub decided_at: String,
    /// The provider's reference for the person decided about (kept here, never in the log).
    pub subject_ref: String,
    /// The receipt reference of an earlier decision of this system that this one replaces.
    #[serde(default)]
    pub supersedes: Option<String>,
}

/// Human involvement in a decision.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HumanIn {
    /// Whether a person took part.
    pub involved: bool,
    /// Who, as a role or staff reference.
    pub by: Option<String>,
}

/// A receipt: what the provider hands to the person decided about.
#[derive(Debug, Serialize)]
pub struct Receipt {
    /// The reference to quote and to look the receipt up by (keep it: it is the key to the record).
    pub reference: String,
    /// The provider's idempotency key.
    pub idempotency_key: String,
    /// Index of the decision's leaf in the log.
    pub leaf_index: u64,
    /// The leaf hash, hex.
    pub leaf_hash: String,
    /// The log's origin.
    pub log: String,
    /// A note signed by the log key, given before any checkpoint covers the leaf: the leaves it
    /// acknowledges (a range of indices) and the Merkle root of their hashes. One note covers
    /// every decision logged together; a decision sent again gets a note for its leaf alone.
    pub acknowledgement: String,
    /// The leaf's inclusion proof in the acknowledged leaves (base64 hashes, leaf to root).
    pub acknowledgement_proof: Vec<String>,
    /// Where to fetch the proof once the next checkpoint is published.
    pub proof_url: String,
    /// `in_effect`; `pending_review` while the system's oversight policy holds the decision
    /// for a person's review (it has no effect until then); `reviewed` once a person's final
    /// decision replaced it.
    pub status: &'static str,
    /// Why the oversight policy held it (`adverse`, `sample`, `margin`, `feature`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held_for: Vec<String>,
    /// The person's final decision that replaced a held one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_decision: Option<String>,
}

fn bad(field: String, detail: impl Into<String>) -> Error {
    Error::bad(field, detail)
}

/// Checks item `i` and computes its commitment, here in the request's own task so that this
/// work runs on every core.
fn prepare(
    system: &str,
    target: &mizan_store::DecisionTarget,
    policies: &Policies,
    earlier: &HashMap<String, Supersedes>,
    i: usize,
    raw: Value,
) -> Result<Fresh, Error> {
    let at = |f: &str| format!("decisions[{i}].{f}");
    // The item as sent, hashed before it is taken apart (moving its strings and features into
    // the record rather than copying them).
    if let Some(e) = mizan_register::forbidden_in_json(&raw) {
        return Err(bad(format!("decisions[{i}].{}", e.field), e.to_string()));
    }
    let body_sha256 = hex32(&Sha256::digest(canonical_json(&raw).as_bytes()).into());
    let d = DecisionIn::deserialize(raw).map_err(|e| {
        let msg = e.to_string();
        let field = msg.split('`').nth(1).map_or_else(|| format!("decisions[{i}]"), &at);
        bad(field, msg)
    })?;
    if d.idempotency_key.trim().is_empty() || d.idempotency_key.chars().count() > 128 {
        return Err(bad(at("idempotency_key"), "must be 1 to 128 characters"));
    }
    if !target.may_name(d.system_version) {
        let named = target.registered_versions().iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        return Err(bad(
            at("system_version"),
            format!(
                "version {} was never registered; decisions may name only registered versions of this system ({named})",
                d.system_version
            ),
        ));
    }
    if d.model_hash.trim().is_empty() || d.model_hash.len() > 200 {
        return Err(bad(at("model_hash"), "must be 1 to 200 characters, e.g. `sha256:<hex>`"));
    }
    if d.features.len() > 500 {
        return Err(bad(at("features"), "at most 500 features"));
    }
    if !matches!(d.output, Value::String(_) | Value::Number(_) | Value::Bool(_)) {
        return Err(bad(at("output"), "must be a string, a number or true/false"));
    }
    if d.score.is_some_and(|s| !s.is_finite()) {
        return Err(bad(at("score"), "must be a finite number"));
    }
    if d.subject_ref.chars().count() > 128 {
        return Err(bad(at("subject_ref"), "at most 128 characters"));
    }
    if d.human.by.as_ref().is_some_and(|b| b.chars().count() > 128) {
        return Err(bad(at("human.by"), "at most 128 characters"));
    }
    let when = OffsetDateTime::parse(&d.decided_at, &Rfc3339).map_err(|e| {
        bad(at("decided_at"), format!("not an RFC 3339 time ({e}), e.g. `2026-11-30T09:15:00Z`"))
    })?;
    if when > OffsetDateTime::now_utc() + time::Duration::minutes(5) {
        return Err(bad(at("decided_at"), "is in the future"));
    }
    // The format writes the canonical text straight from these fields (the features are
    // moved in, not copied) and commits to it with the system and minute from the record.
    let decided_at = format_decided_at(when).map_err(|e| bad(at("decided_at"), e.to_string()))?;
    let record = DecisionRecord {
        system: system.to_owned(),
        system_version: d.system_version,
        model_hash: d.model_hash,
        features: d.features,
        output: d.output,
        score: d.score,
        human: Human { involved: d.human.involved, by: d.human.by },
        decided_at,
        subject_ref: d.subject_ref,
        supersedes: match d.supersedes {
            None => None,
            Some(r) => Some(earlier.get(&r).cloned().ok_or_else(|| {
                bad(at("supersedes"), format!("no decision `{r}` of this system to supersede"))
            })?),
        },
    };
    let mut k = [0u8; 32];
    // ThreadRng is a CSPRNG (ChaCha12) seeded from the OS: one system call per reseed, not per key.
    rand::thread_rng().fill_bytes(&mut k);
    let (record_json, leaf) =
        record.commit_with_text(&k).map_err(|e| bad(format!("decisions[{i}]"), e.to_string()))?;
    let leaf = leaf.to_bytes();
    let leaf_hash = merkle::leaf_hash(&leaf);
    // A person's decision replacing an earlier one (an appeal's or a review's outcome) is what
    // oversight asks for; it is not held again.
    let by_a_person = record.human.involved && record.supersedes.is_some();
    let held = match policies.for_version(record.system_version) {
        Some(p) if !by_a_person => {
            let reasons = p.reasons(&record.features, &record.output, record.score, &leaf_hash.0);
            (!reasons.is_empty()).then(|| reasons.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(","))
        }
        _ => None,
    };
    Ok(Fresh {
        key: d.idempotency_key,
        body_mac: body_mac(&k, &body_sha256),
        body_sha256,
        version: d.system_version,
        record_json,
        k_hex: hex32(&k),
        leaf_hash_hex: leaf_hash.to_hex(),
        leaf,
        decided_at: record.decided_at,
        held,
    })
}

/// The oversight policies of a system, parsed once per request: (from version, policy),
/// ascending.
#[derive(Debug, Default)]
pub(crate) struct Policies(Vec<(i64, mizan_formats::OversightPolicy)>);

impl Policies {
    /// The target's policies; a stored policy that no longer parses holds every decision of its
    /// versions for review rather than none (it was checked when it was set).
    pub(crate) fn of(target: &mizan_store::DecisionTarget) -> Self {
        let mut out = Vec::new();
        for &v in target.registered_versions() {
            if let Some(text) = target.policy_for(v) {
                let p = mizan_formats::OversightPolicy::from_json(text).unwrap_or_else(|e| {
                    tracing::error!(error = %e, "a stored oversight policy does not parse; holding every decision");
                    mizan_formats::OversightPolicy { sample_percent: 100.0, ..Default::default() }
                });
                out.push((v, p));
            }
        }
        Self(out)
    }

    fn for_version(&self, version: i64) -> Option<&mizan_formats::OversightPolicy> {
        self.0.iter().rev().find(|(v, _)| *v <= version).map(|(_, p)| p).filter(|p| !p.is_empty())
    }
}

/// Prefix of a stored body hash keyed with the decision's own key.
const BODY_MAC: &str = "hmac-sha256:";

/// The stored form of a body's hash: HMAC-SHA256 under the decision's key `k` of the body's
/// SHA-256 (hex). Erasure destroys `k`, after which no guessed body can be confirmed against it.
fn body_mac(k: &[u8], body_sha256: &str) -> String {
    use hmac::Mac as _;
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(k) else { return String::new() };
    mac.update(body_sha256.as_bytes());
    format!("{BODY_MAC}{}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether a decision stored as `stored` (its body hash and key) had the body whose SHA-256 is
/// `body_sha256`: `None` when it cannot be told because the decision was erased.
#[must_use]
pub fn same_body(stored_hash: &str, stored_key: Option<&str>, body_sha256: &str) -> Option<bool> {
    if stored_hash.is_empty() {
        return None;
    }
    if stored_hash.starts_with(BODY_MAC) {
        let k = hex::decode(stored_key?).ok()?;
        return Some(body_mac(&k, body_sha256) == stored_hash);
    }
    // Decisions logged before body hashes were keyed.
    Some(stored_hash == body_sha256)
}

fn b64_hashes(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|h| B64.encode(h.0)).collect()
}

fn receipt(app: &Platform, logged: &Logged, final_decision: Option<String>) -> Result<Receipt, Error> {
    let ledger = app.logs().decisions();
    let (d, acknowledgement, proof) = match logged {
        Logged::New(d, ack) => (d, ack.note.clone(), b64_hashes(&ack.proof(d.leaf_index)?)),
        Logged::Known(d) => {
            // Logged by an earlier request: a note for this leaf alone.
            let leaf = Hash::from_hex(&d.leaf_hash)
                .map_err(|e| Error::Internal(format!("stored leaf hash: {e}")))?;
            let ack = Acknowledgement {
                origin: ledger.origin().to_owned(),
                first: d.leaf_index,
                count: 1,
                root: leaf,
                logged: d.logged_at.clone(),
            };
            let note = ledger.sign_acknowledgement(&ack).map_err(|e| Error::Internal(e.to_string()))?;
            (d, note, Vec::new())
        }
    };
    let held_for: Vec<String> =
        d.held.as_deref().map(|h| h.split(',').map(str::to_owned).collect()).unwrap_or_default();
    let status = match (&held_for.is_empty(), &final_decision) {
        (true, _) => "in_effect",
        (false, None) => "pending_review",
        (false, Some(_)) => "reviewed",
    };
    Ok(Receipt {
        status,
        held_for,
        final_decision,
        reference: d.reference.clone(),
        idempotency_key: d.idempotency_key.clone(),
        leaf_index: d.leaf_index,
        leaf_hash: d.leaf_hash.clone(),
        log: ledger.origin().to_owned(),
        acknowledgement,
        acknowledgement_proof: proof,
        proof_url: format!("{}/api/v1/receipts/{}", app.config().base_url, d.reference),
    })
}

/// A request body this large is parsed on a blocking thread (see [`off_the_workers`]).
pub const HEAVY_BODY: usize = 32 * 1024;
/// A batch this large is checked, committed to and answered on a blocking thread.
pub const HEAVY_ITEMS: usize = 32;

/// Runs `f` on tokio's blocking pool when `heavy` (holding one of the heavy-work permits), else
/// here. Checking a thousand decisions takes many milliseconds without an await; on an async
/// worker that would hold up every task queued behind it, among them the decision writer, whose
/// each step then waits its turn. The operating system shares cores between threads fairly;
/// tokio's workers do not preempt.
pub async fn off_the_workers<T: Send + 'static>(
    heavy: bool,
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    if heavy {
        let _permit = heavy_permits()
            .acquire()
            .await
            .map_err(|e| Error::Internal(format!("heavy-work permits: {e}")))?;
        tokio::task::spawn_blocking(f).await.map_err(|e| Error::Internal(format!("worker: {e}")))?
    } else {
        f()
    }
}

/// Permits for heavy request work: one fewer than the cores (at least one), so the decision
/// writer's database thread, which every decision passes through in turn, keeps a core instead
/// of sharing every core with as many parsers as there are requests in flight.
fn heavy_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        tokio::sync::Semaphore::new(cores.saturating_sub(1).max(1))
    })
}

/// A request body as a JSON array of decisions, not yet checked one by one.
///
/// # Errors
/// [`Error::BadRequest`] for a body that is not JSON, or not an array.
pub fn parse_items(body: &[u8]) -> Result<Vec<Value>, Error> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(items)) => Ok(items),
        Ok(_) => Err(bad("decisions".into(), "the body must be a JSON array of decisions")),
        Err(e) => Err(bad(
            "decisions".into(),
            format!("not valid JSON at line {} column {}: {e}", e.line(), e.column()),
        )),
    }
}

impl Platform {
    /// Logs a batch for `scope`'s system `id`: all or nothing, idempotent by key. Returns the
    /// receipts in the order given and whether any decision was new. The API and the demo data
    /// both come through here.
    ///
    /// # Errors
    /// [`Error::BadRequest`] naming `decisions[i].field`; [`Error::Conflict`] for a reused
    /// key with another body; store and ledger errors.
    pub async fn log_decisions(
        &self,
        scope: mizan_store::OrgScope,
        id: &str,
        items: Vec<Value>,
    ) -> Result<(Vec<Receipt>, bool), Error> {
        let state = self;
        if items.is_empty() {
            return Err(bad("decisions".into(), "the array is empty"));
        }
        if items.len() > MAX_BATCH {
            return Err(bad(
                "decisions".into(),
                format!("{} decisions; at most {MAX_BATCH} per request", items.len()),
            ));
        }
        // The newest version any item names, so a version registered a moment ago is found.
        let named = items.iter().filter_map(|v| v.get("system_version")?.as_i64()).max().unwrap_or(0);
        let target = state.store().decision_target(scope, id, named).await?;
        let replacing: Vec<(usize, String)> = items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| Some((i, v.get("supersedes")?.as_str()?.to_owned())))
            .collect();
        let earlier = self.earlier_decisions(id, &replacing).await?;
        let (system, versions) = (id.to_owned(), target.clone());
        let policies = Policies::of(&target);
        let (fresh, slot) = off_the_workers(items.len() > HEAVY_ITEMS, move || {
            let prepared = items
                .into_iter()
                .enumerate()
                .map(|(i, raw)| prepare(&system, &versions, &policies, &earlier, i, raw))
                .collect::<Result<Vec<_>, _>>()?;
            dedupe(prepared)
        })
        .await?;
        let system_id = target.system_id();
        let logged = state.intake().log(scope, target, id, fresh).await?;
        let any_new = logged.iter().any(|l| matches!(l, Logged::New(..)));
        // The review cases of the decisions the oversight policy held; should this fail, the
        // background pass opens them (`Platform::reconcile_reviews`), and the decisions stay
        // held either way: their rows say so.
        let holds: Vec<crate::held::NewHold> = logged
            .iter()
            .filter_map(|l| match l {
                Logged::New(d, _) => d.held.as_ref().map(|held| crate::held::NewHold {
                    reference: d.reference.clone(),
                    org_id: scope.org_id(),
                    system_id,
                    system_version: d.system_version,
                    held: held.clone(),
                }),
                Logged::Known(_) => None,
            })
            .collect();
        if let Err(e) = self.open_reviews(&holds).await {
            tracing::warn!(error = %e, "oversight: review cases not opened yet; the background pass will");
        }
        // A decision sent again that was held: whether a person has decided it since.
        let mut finals = HashMap::new();
        for l in &logged {
            if let Logged::Known(d) = l
                && d.held.is_some()
                && let Some(f) = state.store().superseded_by(&d.reference).await?
            {
                finals.insert(d.reference.clone(), f);
            }
        }
        // The link the earlier receipt shows; written for a re-sent decision too, so a crash
        // between logging and linking is mended by sending it again.
        for (i, old) in &replacing {
            if let Some(l) = slot.get(*i).and_then(|&n| logged.get(n)) {
                let (Logged::New(d, _) | Logged::Known(d)) = l;
                state.store().link_supersession(old, &d.reference).await?;
            }
        }
        let receipts = slot
            .iter()
            .map(|&n| {
                let outcome = logged
                    .get(n)
                    .ok_or_else(|| Error::Internal("a decision is missing after logging".into()))?;
                let (Logged::New(d, _) | Logged::Known(d)) = outcome;
                receipt(state, outcome, finals.get(&d.reference).cloned())
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((receipts, any_new))
    }
}

impl Platform {
    /// The leaves of the earlier decisions of system `id` that items replace, by reference.
    async fn earlier_decisions(
        &self,
        id: &str,
        replacing: &[(usize, String)],
    ) -> Result<HashMap<String, Supersedes>, Error> {
        let mut out = HashMap::new();
        for (i, r) in replacing {
            let found = match self.store().decision(r).await {
                Ok(d) if d.system == id => Some(d),
                Ok(_) | Err(mizan_store::StoreError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            };
            let d = found.ok_or_else(|| {
                bad(format!("decisions[{i}].supersedes"), format!("no decision `{r}` of system `{id}`"))
            })?;
            let log = d.log_origin.unwrap_or_else(|| self.logs().decisions().origin().to_owned());
            out.insert(r.clone(), Supersedes { log, leaf_index: d.leaf_index, leaf_hash: d.leaf_hash });
        }
        Ok(out)
    }
}

/// A key repeated inside a batch must carry the same body; it is logged once, and every copy
/// gets the first one's receipt. Returns the decisions with unique keys, and for each item the
/// position of its key among them.
fn dedupe(prepared: Vec<Fresh>) -> Result<(Vec<Fresh>, Vec<usize>), Error> {
    let mut first_at: HashMap<&str, (usize, usize)> = HashMap::new();
    let mut slot = Vec::with_capacity(prepared.len());
    let mut first = Vec::with_capacity(prepared.len());
    for (i, d) in prepared.iter().enumerate() {
        if let Some(&(j, n)) = first_at.get(d.key.as_str()) {
            if prepared[j].body_sha256 != d.body_sha256 {
                return Err(Error::Conflict(format!(
                    "decisions[{i}].idempotency_key `{}` repeats decisions[{j}] with a different body",
                    d.key
                )));
            }
            slot.push(n);
            first.push(false);
        } else {
            let n = first_at.len();
            first_at.insert(&d.key, (i, n));
            slot.push(n);
            first.push(true);
        }
    }
    drop(first_at);
    let fresh = prepared.into_iter().zip(first).filter(|(_, f)| *f).map(|(d, _)| d).collect();
    Ok((fresh, slot))
}

impl Platform {
    /// A decision receipt looked up by its holder (`mizan.receipt/1`): proof of inclusion in
    /// the log and the record's opening. The leaf is recomputed from the opening and must hash
    /// to the stored leaf hash.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown reference; [`Error::Internal`] for a stored record or
    /// key that no longer opens its leaf.
    pub async fn receipt(&self, reference: &str) -> Result<mizan_formats::Receipt, Error> {
        let d = self.store().decision(reference).await?;
        let (index, origin) = (d.leaf_index, d.log_origin.clone());
        let proof = self.read_logs(move |state| state.proof_for(index, origin.as_deref())).await??;
        let opening = d.hmac_key.zip(d.record_json).map(|(k, record)| Opening { k, record });
        let leaf = opening
            .as_ref()
            .map(|o| {
                o.leaf().map_err(|e| Error::Internal(format!("stored record of `{}`: {e}", d.reference)))
            })
            .transpose()?;
        // The stored record and key must still open the stored leaf: a receipt that handed out
        // an opening its leaf does not match would fail every honest verifier.
        if let Some(l) = &leaf
            && merkle::leaf_hash(l).to_hex() != d.leaf_hash
        {
            return Err(Error::Internal(format!(
                "stored record of `{}` no longer opens its leaf `{}`",
                d.reference, d.leaf_hash
            )));
        }
        let status = if d.erased_at.is_some() {
            ReceiptStatus::Erased
        } else if proof.is_some() {
            ReceiptStatus::Proven
        } else {
            ReceiptStatus::Pending
        };
        let logs = self.logs().decisions();
        Ok(mizan_formats::Receipt {
            reference: d.reference,
            status,
            system: d.system,
            system_version: d.system_version,
            decided_at: d.decided_at,
            leaf_index: d.leaf_index,
            leaf_hash: d.leaf_hash,
            leaf: leaf.map(hex::encode),
            vkey: d
                .log_origin
                .as_deref()
                .and_then(|o| logs.log_for(o))
                .map_or_else(|| logs.vkey(), |(_, key)| key.to_vkey()),
            log: d.log_origin.unwrap_or_else(|| logs.origin().to_owned()),
            proof,
            opening,
            erased_at: d.erased_at,
        })
    }

    /// Runs `read` of the logs' files on the blocking pool when those reads wait on the
    /// network ([`crate::logs::Log::reads_block`]), here otherwise (local files: a hop to the
    /// pool would cost more than the read).
    ///
    /// # Errors
    /// [`Error::Internal`] when the blocking task failed.
    pub async fn read_logs<T: Send + 'static>(
        &self,
        read: impl FnOnce(&Platform) -> T + Send + 'static,
    ) -> Result<T, Error> {
        if !self.logs().decisions().reads_block() {
            return Ok(read(self));
        }
        let state = self.clone();
        tokio::task::spawn_blocking(move || read(&state))
            .await
            .map_err(|e| Error::Internal(format!("reading the ledger failed: {e}")))
    }

    /// The tlog-proof of leaf `index`, once it is in a checkpoint receipts may use: the newest
    /// published checkpoint, or, with witnesses configured, the newest one that met the witness
    /// quorum (so the proof carries the cosignatures). `origin` is the log the decision names
    /// (`None`, for decisions stored before that was kept: this period's); an earlier period's log
    /// proves against its final checkpoint.
    ///
    /// # Errors
    /// [`Error::Internal`] when the log cannot build a proof it should have;
    /// [`Error::NotFound`] naming the log when the decision's log is not served here.
    pub fn proof_for(&self, index: u64, origin: Option<&str>) -> Result<Option<String>, Error> {
        let ledger = self.logs().decisions();
        let internal = |e: mizan_ledger::LedgerError| Error::Internal(format!("ledger proof: {e}"));
        // An earlier period's log: proven against its final checkpoint.
        if let Some(origin) = origin.filter(|o| *o != ledger.origin()) {
            let Some((reader, _)) = ledger.log_for(origin) else {
                return Err(Error::NotFound(format!(
                    "the log `{origin}` this decision is in is not served here (only this \
                 period's log and the earlier years' logs found beside it are)"
                )));
            };
            return if index < reader.size() {
                Ok(Some(reader.receipt(LeafIndex(index)).map_err(internal)?.encode()))
            } else {
                Ok(None)
            };
        }
        let reader = ledger.reader();
        if ledger.witnessed() {
            let Some((size, note)) = ledger.cosigned().filter(|(size, _)| index < *size) else {
                return Ok(None);
            };
            let proof = reader.prove_inclusion(LeafIndex(index), size).map_err(internal)?;
            let t = mizan_ledger::checkpoint::TlogProof {
                extra: None,
                index,
                proof,
                checkpoint: note.to_string(),
            };
            return Ok(Some(t.encode()));
        }
        if index < reader.size() {
            Ok(Some(reader.receipt(LeafIndex(index)).map_err(internal)?.encode()))
        } else {
            Ok(None)
        }
    }

    /// Erases a decision's record and key (a data-protection request); the leaf stays, and the
    /// log still verifies. The documents filed with closed appeals on it go too: their rows in
    /// the erasing transaction, then each file no other case names.
    ///
    /// # Errors
    /// [`Error::NotFound`] for a reference not of `scope`'s systems.
    pub async fn erase_decision(&self, scope: mizan_store::OrgScope, reference: &str) -> Result<(), Error> {
        let unused = self.store().erase_decision(scope, reference).await?;
        self.drop_documents(unused).await
    }

    /// A published file of a log (`checkpoint`, a tile, an entry bundle or `vkey`) by the log's
    /// shard name (`2026`, `events-2026`), read on the blocking pool when the logs are remote.
    /// `None` for a file the log does not have.
    ///
    /// # Errors
    /// [`Error::NotFound`] for a shard no log here has.
    pub async fn log_file(&self, shard: &str, rel: &str) -> Result<Option<Vec<u8>>, Error> {
        let (shard, rel) = (shard.to_owned(), rel.to_owned());
        self.read_logs(move |state| log_file_bytes(state, &shard, &rel)).await?
    }
}

/// A file of this year's decisions or events log, or an earlier year's; `None` for a file the
/// log does not have.
fn log_file_bytes(state: &Platform, shard: &str, rel: &str) -> Result<Option<Vec<u8>>, Error> {
    let kinds = || state.logs().all();
    if let Some(l) = kinds().find(|l| l.shard() == shard) {
        return Ok(if rel == "vkey" {
            Some(format!("{}\n", l.vkey()).into_bytes())
        } else {
            l.read_public(rel)
        });
    }
    let archived =
        kinds().find_map(|l| l.archived_logs().into_iter().find(|(_, s, _)| *s == shard).map(|a| (l, a)));
    match archived {
        Some((_, (_, _, vkey))) if rel == "vkey" => Ok(Some(format!("{vkey}\n").into_bytes())),
        Some((l, _)) => Ok(l.read_archived(shard, rel)),
        None => Err(Error::NotFound(format!("log `{shard}`"))),
    }
}

/// What checking a pasted receipt against the logs here found.
#[derive(Debug)]
pub struct Verification {
    /// The one receipt check (`mizan_ledger::receipt::check`), step by step, as
    /// `mizan log verify` makes it offline.
    pub check: mizan_ledger::receipt::ReceiptCheck,
    /// Whether this log's witness policy applied (this period's log, with witnesses).
    pub witnessed: bool,
    /// This log's witness policy, when it is configured but cannot be read (the server's fault).
    pub policy_error: Option<String>,
    /// Whether the log has only grown since the receipt's checkpoint, once inclusion passed:
    /// the sizes, or why not. This needs the log, so `mizan log verify` cannot check it offline.
    pub consistent: Option<Result<String, String>>,
    /// The decision record, once it has opened the leaf.
    pub record: Option<DecisionRecord>,
}

impl Platform {
    /// The evidence a pasted text gives: a 20-character reference is looked up and its receipt
    /// used exactly as `receipt` gives it (so a check covers what a holder gets); anything else
    /// is read as receipt JSON or a bare tlog-proof. `leaf` is a leaf typed beside it.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown reference; [`Error::BadRequest`] for text that is no
    /// receipt; [`Error::Internal`] for a stored receipt that cannot be built.
    pub async fn evidence(&self, input: &str, leaf: &str) -> Result<mizan_ledger::receipt::Evidence, Error> {
        let input = input.trim();
        let mut evidence = if input.len() == 20 && input.bytes().all(|b| b.is_ascii_alphanumeric()) {
            self.receipt(input)
                .await
                .map_err(|e| match e {
                    Error::NotFound(_) => Error::NotFound(format!("a receipt with the reference `{input}`")),
                    other => other,
                })?
                .evidence()
        } else {
            mizan_ledger::receipt::Evidence::from_text(input)
                .map_err(|e| Error::bad("receipt", e.to_string()))?
        };
        evidence.leaf_given = Some(leaf.trim().to_owned()).filter(|l| !l.is_empty());
        Ok(evidence)
    }

    /// Checks `evidence` against the decisions log its proof's checkpoint names (this period's
    /// or an earlier one's; a log not kept here is checked against this one's key, and fails
    /// saying so), under this period's witness policy when it applies, and then whether that
    /// log has only grown since.
    pub async fn verify_receipt(&self, evidence: &mizan_ledger::receipt::Evidence) -> Verification {
        use mizan_ledger::receipt::{Outcome, StepKind, Trust};
        let origin = evidence
            .proof
            .as_deref()
            .and_then(|p| mizan_ledger::checkpoint::TlogProof::parse(p).ok())
            .and_then(|p| p.checkpoint.lines().next().map(str::to_owned))
            .unwrap_or_default();
        let logs = self.logs().decisions();
        let current = origin == logs.origin();
        let (reader, vkey) = logs.log_for(&origin).unwrap_or_else(|| (logs.reader(), logs.verifier()));
        // This period's witness policy, with this log's key added when the policy lacks it.
        let policy = logs.witness_policy().filter(|_| current).map(|text| {
            let mut p = mizan_ledger::policy::Policy::parse(text.as_bytes()).map_err(|e| e.to_string())?;
            if !p.logs().iter().any(|l| l.key.name() == logs.origin()) {
                p.add_log(logs.verifier()).map_err(|e| e.to_string())?;
            }
            Ok::<_, String>(p)
        });
        let trust = match &policy {
            Some(Ok(p)) => Trust::Policy(p),
            _ => Trust::Log(&vkey),
        };
        let check = mizan_ledger::receipt::check(evidence, trust);
        let included =
            check.step(StepKind::Inclusion).is_some_and(|s| matches!(s.outcome, Outcome::Passed(_)));
        let consistent = match (&check.checkpoint, included) {
            (Some(cp), true) => {
                let (old, old_root) = (cp.checkpoint.size, cp.checkpoint.root);
                let read = self
                    .read_logs(move |_| {
                        let new = reader.size();
                        let p = reader.prove_consistency(old, new).map_err(|e| e.to_string())?;
                        merkle::verify_consistency(old, new, &old_root, &reader.root(), &p)
                            .map_err(|e| e.to_string())?;
                        Ok(format!("size {old} → {new}"))
                    })
                    .await;
                Some(read.unwrap_or_else(|_| Err("the log could not be read".to_owned())))
            }
            _ => None,
        };
        let record = check.record.as_ref().and_then(|r| DecisionRecord::from_value(r).ok());
        Verification {
            witnessed: matches!(policy, Some(Ok(_))),
            policy_error: policy.and_then(Result::err),
            check,
            consistent,
            record,
        }
    }
}
