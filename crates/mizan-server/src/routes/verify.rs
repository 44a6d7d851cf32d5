//! The public verification page: a citizen pastes a receipt (its reference, the JSON from
//! `/api/v1/receipts/{ref}`, or a bare tlog-proof with the leaf) and sees, in their language,
//! what was checked and what it means. Every check runs here, on the server, with the same
//! engine code an offline verifier (`mizan log verify`) uses; nothing is taken on trust from
//! the pasted text, least of all a key.
//!
//! Also `GET /api/v1/logs`: every log with its origin, URL prefix and key, so a client needs
//! nothing else to start verifying.

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::Response;
use mizan_ledger::checkpoint::TlogProof;
use mizan_ledger::leaf::LeafCommitment;
use mizan_ledger::merkle::verify_consistency;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use crate::AppState;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::pages::{Ctx, render};

/// Largest pasted receipt (a tlog-proof of a log of 2^64 leaves is far smaller).
const MAX_INPUT: usize = 64 * 1024;

/// One check and its outcome.
#[derive(Debug, Clone)]
pub struct Check {
    /// Translation key of what was checked.
    pub what: &'static str,
    /// `ok`, `failed` or `skipped`.
    pub outcome: &'static str,
    /// Technical detail (numbers, the engine's reason), shown under the plain words.
    pub detail: String,
}

/// What the verification found.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    /// The checks in order.
    pub checks: Vec<Check>,
    /// The decision's summary when the record was opened: system, version, time, outcome.
    pub decision: Option<(String, i64, String, String)>,
}

impl Verdict {
    fn push(&mut self, what: &'static str, result: Result<String, String>) -> bool {
        let ok = result.is_ok();
        let (outcome, detail) = match result {
            Ok(d) => ("ok", d),
            Err(d) => ("failed", d),
        };
        self.checks.push(Check { what, outcome, detail });
        ok
    }

    fn skip(&mut self, what: &'static str, detail: &str) {
        self.checks.push(Check { what, outcome: "skipped", detail: detail.to_owned() });
    }

    /// Whether every check that ran passed (and at least the proof ran).
    #[must_use]
    pub fn all_ok(&self) -> bool {
        self.checks.iter().any(|c| c.what == "verify-check-inclusion" && c.outcome == "ok")
            && self.checks.iter().all(|c| c.outcome != "failed")
    }
}

/// What was pasted, once understood.
struct Pasted {
    proof: Option<String>,
    leaf: Option<String>,
    opening: Option<(String, String)>,
}

async fn understand(state: &AppState, input: &str, leaf: &str) -> Result<Pasted, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("nothing was pasted".into());
    }
    if input.len() > MAX_INPUT {
        return Err(format!("the text is longer than {MAX_INPUT} bytes; paste the receipt only"));
    }
    let leaf = Some(leaf.trim().to_owned()).filter(|l| !l.is_empty());
    // A reference: look the receipt up.
    if input.len() == 20 && input.bytes().all(|b| b.is_ascii_alphanumeric()) {
        let d = state
            .app
            .store()
            .decision(input)
            .await
            .map_err(|_| format!("no receipt has the reference `{input}`"))?;
        let (index, origin) = (d.leaf_index, d.log_origin.clone());
        let proof = state
            .app
            .read_logs(move |app| app.proof_for(index, origin.as_deref()))
            .await
            .and_then(|proof| proof)
            .map_err(|e| e.to_string())?;
        let opening = d.hmac_key.zip(d.record_json);
        let leaf = match &opening {
            Some((k, record)) => Some(leaf_of(&d.system, &d.decided_at, record, k)?),
            None => leaf,
        };
        return Ok(Pasted { proof, leaf, opening });
    }
    // The receipt JSON from the API.
    if input.starts_with('{') {
        let v: Value = serde_json::from_str(input).map_err(|e| format!("not valid JSON: {e}"))?;
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let opening = v
            .get("opening")
            .and_then(|o| Some((o.get("k")?.as_str()?.to_owned(), o.get("record")?.as_str()?.to_owned())));
        return Ok(Pasted { proof: s("proof"), leaf: s("leaf").or(leaf), opening });
    }
    // A bare tlog-proof.
    Ok(Pasted { proof: Some(format!("{input}\n")), leaf, opening: None })
}

fn leaf_of(system: &str, decided_at: &str, record: &str, k: &str) -> Result<String, String> {
    let key: [u8; 32] =
        hex::decode(k).ok().and_then(|b| b.try_into().ok()).ok_or("k is not 64 hex digits")?;
    let value: Value = serde_json::from_str(record).map_err(|e| format!("the record is not JSON: {e}"))?;
    let unix = OffsetDateTime::parse(decided_at, &Rfc3339)
        .map_err(|e| format!("decision time: {e}"))?
        .unix_timestamp();
    let leaf = LeafCommitment::commit(system, unix, &value, &key).map_err(|e| e.to_string())?;
    Ok(hex::encode(leaf.to_bytes()))
}

/// Runs every check that the pasted material allows.
pub async fn verify(state: &AppState, input: &str, leaf: &str) -> Verdict {
    let mut v = Verdict::default();
    let pasted = match understand(state, input, leaf).await {
        Ok(p) => p,
        Err(e) => {
            v.push("verify-check-read", Err(e));
            return v;
        }
    };
    v.push("verify-check-read", Ok(String::new()));
    let Some(proof_text) = pasted.proof else {
        v.skip(
            "verify-check-inclusion",
            "the decision is not yet in a published checkpoint; try again in a minute",
        );
        return v;
    };
    let proof = match TlogProof::parse(&proof_text) {
        Ok(p) => p,
        Err(e) => {
            v.push("verify-check-inclusion", Err(e.to_string()));
            return v;
        }
    };
    let Some(leaf_hex) = pasted.leaf else {
        v.push("verify-check-inclusion", Err("the leaf (49 bytes, hex) is needed to check the proof".into()));
        return v;
    };
    let Ok(leaf) = hex::decode(&leaf_hex) else {
        v.push("verify-check-inclusion", Err("the leaf is not hex".into()));
        return v;
    };
    // This period's log or an earlier one's, by the origin the checkpoint names; a log this
    // server does not keep is checked against this one's key, and fails saying so.
    let origin = proof.checkpoint.lines().next().unwrap_or_default().to_owned();
    let current = origin == state.app.logs().decisions().origin();
    let (reader, vkey) =
        state.app.logs().decisions().log_for(&origin).unwrap_or_else(|| {
            (state.app.logs().decisions().reader(), state.app.logs().decisions().verifier())
        });
    let signed = match proof.verify(&leaf, &vkey) {
        Ok(cp) => {
            v.push("verify-check-signature", Ok(format!("{} ({})", cp.checkpoint.origin, vkey.to_vkey())));
            v.push(
                "verify-check-inclusion",
                Ok(format!("leaf {} of {}, root {}", proof.index, cp.checkpoint.size, cp.checkpoint.root)),
            );
            cp
        }
        Err(e) => {
            v.push("verify-check-inclusion", Err(e.to_string()));
            return v;
        }
    };
    // The log has not forked since: the receipt's checkpoint is a prefix of today's.
    let (old, old_root) = (signed.checkpoint.size, signed.checkpoint.root);
    let consistent = state
        .app
        .read_logs(move |_| {
            let new = reader.size();
            let p = reader.prove_consistency(old, new).map_err(|e| e.to_string())?;
            verify_consistency(old, new, &old_root, &reader.root(), &p).map_err(|e| e.to_string())?;
            Ok(format!("size {old} → {new}"))
        })
        .await
        .unwrap_or_else(|_| Err("the log could not be read".to_owned()));
    v.push("verify-check-consistent", consistent);
    match state.app.logs().decisions().witness_policy().filter(|_| current) {
        Some(text) => {
            let checked = mizan_ledger::policy::Policy::parse(text.as_bytes())
                .map_err(|e| e.to_string())
                .and_then(|mut p| {
                    if !p.logs().iter().any(|l| l.key.name() == state.app.logs().decisions().origin()) {
                        p.add_log(state.app.logs().decisions().verifier()).map_err(|e| e.to_string())?;
                    }
                    mizan_ledger::policy::check(proof.checkpoint.as_bytes(), &p).map_err(|e| e.to_string())
                })
                .map(|c| {
                    let names: Vec<String> = c.cosigned.iter().map(|w| w.witness.clone()).collect();
                    format!("quorum `{}`: {}", c.quorum, names.join(", "))
                });
            v.push("verify-check-witnesses", checked);
        }
        None => v.skip("verify-check-witnesses", "no witnesses are configured for this log yet"),
    }
    match pasted.opening {
        Some((k, record)) => {
            let parsed: Option<Value> = serde_json::from_str(&record).ok();
            let system = parsed.as_ref().and_then(|r| r["system"].as_str()).unwrap_or_default().to_owned();
            let at = parsed.as_ref().and_then(|r| r["decided_at"].as_str()).unwrap_or_default().to_owned();
            let opened = leaf_of(&system, &at, &record, &k).and_then(|l| {
                if l == leaf_hex {
                    Ok("HMAC-SHA256(k, record)".to_owned())
                } else {
                    Err("the record does not match the leaf".into())
                }
            });
            if v.push("verify-check-opening", opened)
                && let Some(r) = parsed
            {
                let outcome = match &r["output"] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                v.decision = Some((system, r["system_version"].as_i64().unwrap_or(0), at, outcome));
            }
        }
        None => {
            v.skip("verify-check-opening", "no record and key were given, so what was decided stays private")
        }
    }
    v
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    ctx: Ctx,
    input: String,
    leaf: String,
    verdict: Option<Verdict>,
}

/// Query of the verification page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VerifyQuery {
    /// A receipt reference to check at once.
    pub reference: String,
}

/// `GET /verify`: the form (and the checks, given `?reference=`).
pub async fn page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<VerifyQuery>,
) -> Result<Response, AppError> {
    let verdict = if q.reference.is_empty() { None } else { Some(verify(&state, &q.reference, "").await) };
    Ok(render(&VerifyPage { ctx, input: q.reference, leaf: String::new(), verdict }))
}

/// `POST /verify`: checks what was pasted.
pub async fn check(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let input = form.get("receipt").to_owned();
    let leaf = form.get("leaf").to_owned();
    let verdict = verify(&state, &input, &leaf).await;
    Ok(render(&VerifyPage { ctx, input, leaf, verdict: Some(verdict) }))
}

/// A log a client can verify.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogOut {
    /// What it records.
    pub kind: String,
    /// The origin (also the key name).
    pub origin: String,
    /// URL prefix of `checkpoint` and `tile/...` (C2SP tlog-tiles).
    pub url: String,
    /// The verifier key, `origin+keyid+base64`.
    pub vkey: String,
    /// How the logs are sharded.
    pub shard_period: String,
    /// This shard.
    pub shard: String,
    /// The witness policy (C2SP tlog-policy), when witnesses are configured.
    pub witness_policy: Option<String>,
    /// Entries so far (size of the latest checkpoint).
    pub size: u64,
}

/// Every log this deployment runs.
#[utoipa::path(get, path = "/api/v1/logs", tag = "decisions", responses((status = 200, body = Vec<LogOut>)))]
pub async fn logs(State(state): State<AppState>) -> Json<Vec<LogOut>> {
    let out = |l: &mizan_app::logs::Log| LogOut {
        kind: l.kind().name().into(),
        origin: l.origin().to_owned(),
        url: format!("{}/log/{}", state.config.base_url, l.shard()),
        vkey: l.vkey(),
        shard_period: "year".into(),
        shard: l.shard().to_owned(),
        witness_policy: l.witness_policy().map(str::to_owned),
        size: l.reader().size(),
    };
    let mut logs: Vec<LogOut> = state.app.logs().all().map(out).collect();
    // Earlier periods' logs, read-only: their receipts and events still prove.
    for log in state.app.logs().all() {
        let kind = log.kind().name();
        logs.extend(log.archived_logs().into_iter().filter_map(|(origin, shard, vkey)| {
            let (reader, _) = log.log_for(&origin)?;
            Some(LogOut {
                kind: kind.into(),
                origin,
                url: format!("{}/log/{shard}", state.config.base_url),
                vkey,
                shard_period: "year".into(),
                shard,
                witness_policy: None,
                size: reader.size(),
            })
        }));
    }
    Json(logs)
}

/// An event's place in the events log, with its proof.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventProofOut {
    /// The event id.
    pub event: i64,
    /// `proven` or `pending`.
    pub status: String,
    /// The events log's origin.
    pub log: String,
    /// Its verifier key.
    pub vkey: String,
    /// Leaf index, once logged.
    pub leaf_index: Option<u64>,
    /// The log entry, hex: `mizan-event/v1 <id> <sha256 of the canonical event>`.
    pub entry: Option<String>,
    /// The C2SP tlog-proof, once in a published checkpoint.
    pub proof: Option<String>,
    /// The event's canonical JSON, when its system is on the public register.
    pub event_json: Option<String>,
}

/// Proof that a platform event (a register change, a review, an override) is in the events log.
#[utoipa::path(get, path = "/api/v1/events/{id}/proof", tag = "register", params(("id" = i64, Path)),
    responses((status = 200, body = EventProofOut), (status = 404, content_type = "application/problem+json")))]
pub async fn event_proof(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Result<Json<EventProofOut>, AppError> {
    let p = state.app.event_proof(id).await?;
    Ok(Json(EventProofOut {
        event: p.event,
        status: p.status.into(),
        log: p.log,
        vkey: p.vkey,
        leaf_index: p.leaf_index,
        entry: p.entry,
        proof: p.proof,
        event_json: p.event_json,
    }))
}
