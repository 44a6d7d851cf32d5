//! The public verification page: a citizen pastes a receipt (its reference, the JSON from
//! `/api/v1/receipts/{ref}`, or a bare tlog-proof with the leaf) and sees, in their language,
//! what was checked and what it means. Every check runs on the server
//! (`Platform::verify_receipt`), with the same engine code an offline verifier (`mizan log
//! verify`) uses, `mizan_ledger::receipt::check`; nothing is taken on trust from the pasted
//! text, least of all a key. Only whether the log has forked since the receipt's checkpoint is
//! checked here alone, since it needs the log.
//!
//! Also `GET /api/v1/logs`: every log with its origin, URL prefix and key, so a client needs
//! nothing else to start verifying.

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::Response;
use mizan_ledger::receipt::{Outcome, StepKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;
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
    fn push(&mut self, what: &'static str, result: Result<String, String>) {
        let (outcome, detail) = match result {
            Ok(d) => ("ok", d),
            Err(d) => ("failed", d),
        };
        self.checks.push(Check { what, outcome, detail });
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

/// The translation key under which the page shows a step of the receipt check.
fn key_of(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Receipt => "verify-check-read",
        StepKind::Signature => "verify-check-signature",
        StepKind::Witnesses => "verify-check-witnesses",
        StepKind::Inclusion => "verify-check-inclusion",
        StepKind::Commitment => "verify-check-opening",
    }
}

/// Runs every check the pasted material allows (`Platform::verify_receipt`: the receipt
/// check `mizan log verify` makes, and whether the log has forked since) and lays them out
/// for the page.
pub async fn verify(state: &AppState, input: &str, leaf: &str) -> Verdict {
    let mut v = Verdict::default();
    let input = input.trim();
    if input.is_empty() {
        v.push("verify-check-read", Err("nothing was pasted".into()));
        return v;
    }
    if input.len() > MAX_INPUT {
        let e = format!("the text is longer than {MAX_INPUT} bytes; paste the receipt only");
        v.push("verify-check-read", Err(e));
        return v;
    }
    let evidence = match state.app.evidence(input, leaf).await {
        Ok(e) => e,
        Err(mizan_app::Error::Internal(detail)) => {
            tracing::error!(reference = input, error = %detail, "verify page: cannot build the receipt");
            let e = format!(
                "the receipt `{input}` cannot be read here just now; paste its JSON, or try again later"
            );
            v.push("verify-check-read", Err(e));
            return v;
        }
        Err(mizan_app::Error::NotFound(_)) => {
            v.push("verify-check-read", Err(format!("no receipt has the reference `{input}`")));
            return v;
        }
        Err(other) => {
            v.push("verify-check-read", Err(other.to_string()));
            return v;
        }
    };
    let found = state.app.verify_receipt(&evidence).await;
    for step in &found.check.steps {
        let what = key_of(step.kind);
        match (&step.outcome, step.kind) {
            // An unreadable witness policy is the server's fault: shown where the witnesses go.
            (_, StepKind::Witnesses) if found.policy_error.is_some() => {
                let e = found.policy_error.as_deref().unwrap_or_default();
                v.push(what, Err(format!("this log's witness policy cannot be read: {e}")));
            }
            (Outcome::Skipped(_), StepKind::Witnesses) if !found.witnessed => {
                v.skip(what, "no witnesses are configured for this log yet");
            }
            (Outcome::Passed(d), _) => v.push(what, Ok(d.clone())),
            (Outcome::Failed(e), _) => v.push(what, Err(e.to_string())),
            (Outcome::Skipped(why), _) => v.skip(what, why),
        }
        // The log has not forked since: the receipt's checkpoint is a prefix of today's.
        if step.kind == StepKind::Inclusion
            && let Some(consistent) = &found.consistent
        {
            v.push("verify-check-consistent", consistent.clone());
        }
    }
    v.decision = found.record.map(|r| {
        let outcome = match r.output {
            Value::String(s) => s,
            other => other.to_string(),
        };
        (r.system, r.system_version, r.decided_at, outcome)
    });
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
        url: format!("{}/log/{}", state.app.config().base_url, l.shard()),
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
                url: format!("{}/log/{shard}", state.app.config().base_url),
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
