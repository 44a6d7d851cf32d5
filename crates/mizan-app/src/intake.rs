//! The decision intake: group commit from request to receipt.
//!
//! Each request checks its decisions and computes their commitments in its own task, so that
//! work runs on every core. Then one writer task takes every request waiting, as a group, and
//! for the whole group:
//!
//! 1. looks up which idempotency keys were logged before (one query per system);
//! 2. appends every new leaf to the ledger in one submission, made durable with one sync;
//! 3. signs one acknowledgement over the group's leaves (an Ed25519 signature per receipt
//!    would cost more than everything else together, see [`mizan_ledger::ack`]);
//! 4. stores records and keys in one transaction per system, committed with one sync;
//! 5. answers each request.
//!
//! Steps 1–3 and 4–5 are two stages in two tasks, so one group's rows are stored while the next
//! group is looked up and appended. Requests arriving while a group is being written form the
//! next group, so groups grow with load and a lone request waits for nobody. The writer is the
//! only place decisions are written, and a key stays "in flight" from its group's lookup until
//! its row is committed, so a key sent twice at the same moment cannot get two leaves (the
//! second request is told to retry, and then gets the first one's receipt). A crash between 2 and
//! 4 leaves leaves that no record opens: nobody was given a receipt for them and nobody can be
//! linked to them.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use mizan_ledger::ack::{Acknowledgement, BatchTree};
use mizan_ledger::leaf::LEAF_LEN;
use mizan_ledger::log::LeafIndex;
use mizan_ledger::merkle::Hash;
use mizan_store::{DecisionTarget, NewDecision, OrgScope, Store, StoredDecision};
use tokio::sync::{mpsc, oneshot};

use crate::Error;
use crate::logs::Logs;

/// Most decisions in one group (a group is one ledger submission and one transaction).
const MAX_GROUP: usize = 16_384;
/// Requests that may wait for the writer before senders wait too (backpressure).
const QUEUE: usize = 4_096;
/// Groups appended and waiting for stage two (backpressure on stage one).
const STAGED_GROUPS: usize = 8;

/// Idempotency keys by system.
type Keys = HashMap<i64, HashSet<String>>;

/// A decision checked, committed to, and ready to be logged.
#[derive(Debug)]
pub struct Fresh {
    /// The provider's idempotency key.
    pub key: String,
    /// SHA-256 (hex) of the submitted item's canonical JSON (compared in memory only).
    pub body_sha256: String,
    /// What is stored of it: keyed with the decision's own key (see `decisions::same_body`).
    pub body_mac: String,
    /// The system version that decided.
    pub version: i64,
    /// Canonical JSON of the decision record.
    pub record_json: String,
    /// The per-decision HMAC key, hex (computed by the request, so the writer need not).
    pub k_hex: String,
    /// The leaf commitment.
    pub leaf: [u8; LEAF_LEN],
    /// Its RFC 6962 leaf hash, hex (the hash the log computes for it).
    pub leaf_hash_hex: String,
    /// Decision time (RFC 3339, UTC).
    pub decided_at: String,
    /// Why the system's oversight policy holds it for a person's review (`adverse,margin`), if
    /// it does.
    pub held: Option<String>,
}

/// One group's signed acknowledgement and the tree its receipts' proofs come from.
#[derive(Debug)]
pub struct GroupAck {
    /// The signed note.
    pub note: String,
    first: u64,
    tree: BatchTree,
}

impl GroupAck {
    /// The inclusion proof of leaf `index` in the acknowledged leaves.
    ///
    /// # Errors
    /// [`Error::Internal`] when `index` is not in this group (a bug).
    pub fn proof(&self, index: u64) -> Result<Vec<Hash>, Error> {
        let i = index
            .checked_sub(self.first)
            .and_then(|i| usize::try_from(i).ok())
            .ok_or_else(|| Error::Internal(format!("leaf {index} is not in its group")))?;
        self.tree.proof(i).map_err(|e| Error::Internal(e.to_string()))
    }
}

/// The outcome of one decision of a request.
#[derive(Debug)]
pub enum Logged {
    /// Logged by an earlier request with the same body: the same receipt, no new leaf.
    Known(StoredDecision),
    /// Logged now, under the group's acknowledgement.
    New(StoredDecision, Arc<GroupAck>),
}

struct Job {
    scope: OrgScope,
    target: DecisionTarget,
    system: String,
    items: Vec<Fresh>,
    reply: oneshot::Sender<Result<Vec<Logged>, Error>>,
}

/// The handle requests log through; the writer task starts on first use.
pub struct Intake {
    store: Store,
    logs: Arc<Logs>,
    tx: OnceLock<mpsc::Sender<Job>>,
}

impl std::fmt::Debug for Intake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Intake").finish_non_exhaustive()
    }
}

impl Intake {
    /// An intake writing to `store` and the decisions log of `logs`.
    #[must_use]
    pub fn new(store: Store, logs: Arc<Logs>) -> Self {
        Self { store, logs, tx: OnceLock::new() }
    }

    /// Logs `items` (unique keys, already checked) for `system`, all or nothing. Returns one
    /// outcome per item, in order.
    ///
    /// # Errors
    /// [`Error::Conflict`] when a key was logged before with a different body (nothing of
    /// the request is logged); ledger and store failures.
    pub async fn log(
        &self,
        scope: OrgScope,
        target: DecisionTarget,
        system: &str,
        items: Vec<Fresh>,
    ) -> Result<Vec<Logged>, Error> {
        let tx = self.tx.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(write_loop(self.store.clone(), Arc::clone(&self.logs), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        let job = Job { scope, target, system: system.to_owned(), items, reply };
        tx.send(job).await.map_err(|_| Error::Internal("the decision writer has stopped".into()))?;
        answer.await.map_err(|_| Error::Internal("the decision writer dropped a request".into()))?
    }
}

async fn write_loop(store: Store, logs: Arc<Logs>, mut rx: mpsc::Receiver<Job>) {
    // Stage two stores group n while stage one looks up and appends group n + 1. Keys of a
    // group stay in `in_flight` until stage two has committed (or failed) them.
    let in_flight: Arc<Mutex<Keys>> = Arc::default();
    let (staged_tx, mut staged_rx) = mpsc::channel::<Staged>(STAGED_GROUPS);
    let stage_two = {
        let (store, in_flight) = (store.clone(), Arc::clone(&in_flight));
        tokio::spawn(async move {
            while let Some(first) = staged_rx.recv().await {
                let mut groups = vec![first];
                while let Ok(more) = staged_rx.try_recv() {
                    groups.push(more);
                }
                store_groups(&store, groups, &in_flight).await;
            }
        })
    };
    while let Some(first) = rx.recv().await {
        let mut count = first.items.len();
        let mut jobs = vec![first];
        while count < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => {
                    count += job.items.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        if let Some(staged) = stage_group(&store, logs.decisions(), jobs, &in_flight).await
            && staged_tx.send(staged).await.is_err()
        {
            break;
        }
    }
    drop(staged_tx);
    let _ = stage_two.await;
}

/// Where a job's item ends up.
enum Plan {
    Known(Box<StoredDecision>),
    /// Index into the group's new decisions.
    New(usize),
}

/// A job with the outcome planned for each of its items.
struct Planned {
    job: Job,
    plans: Vec<Plan>,
}

/// A group whose leaves are durable and acknowledged, waiting for its rows to be stored.
struct Staged {
    planned: Vec<Planned>,
    /// (planned job, item) of each new decision, in leaf order.
    fresh: Vec<(usize, usize)>,
    acks: Vec<mizan_ledger::sequencer::Ack>,
    group_ack: Arc<GroupAck>,
    logged_at: String,
    /// The origin of the log the leaves went into.
    origin: String,
    started: std::time::Instant,
    looked_up: std::time::Duration,
    appended: std::time::Duration,
}

/// Stage one: look up keys, plan, append the group's leaves and sign their acknowledgement.
/// Answers jobs that fail here; returns the rest for stage two.
async fn stage_group(
    store: &Store,
    ledger: &crate::logs::Log,
    jobs: Vec<Job>,
    in_flight: &Mutex<Keys>,
) -> Option<Staged> {
    let started = std::time::Instant::now();
    // This group's keys that earlier groups have not committed yet. Checked before the lookup:
    // a key that leaves the in-flight set after this point was committed before the lookup
    // below reads.
    let pending: Keys = {
        let f = in_flight.lock().unwrap_or_else(PoisonError::into_inner);
        let mut pending = Keys::new();
        for j in &jobs {
            let sys = j.target.system_id();
            let Some(keys) = f.get(&sys) else { continue };
            for item in j.items.iter().filter(|item| keys.contains(&item.key)) {
                pending.entry(sys).or_default().insert(item.key.clone());
            }
        }
        pending
    };
    // 1. Keys logged before, one query per system.
    let mut keys: HashMap<i64, (OrgScope, &DecisionTarget, Vec<&str>)> = HashMap::new();
    for job in &jobs {
        let entry = keys.entry(job.target.system_id()).or_insert((job.scope, &job.target, Vec::new()));
        entry.2.extend(job.items.iter().map(|f| f.key.as_str()));
    }
    let mut known: HashMap<i64, Result<HashMap<String, StoredDecision>, String>> = HashMap::new();
    for (system_id, (scope, target, mut ks)) in keys {
        ks.sort_unstable();
        ks.dedup();
        let found = store.decisions_by_key(scope, target, &ks).await.map_err(|e| e.to_string());
        known.insert(system_id, found);
    }

    // 2. Plan each job; a job with a conflicting key is answered at once and logs nothing.
    let mut planned: Vec<Planned> = Vec::with_capacity(jobs.len());
    let mut fresh: Vec<(usize, usize)> = Vec::new(); // (planned job, item)
    let mut in_group: Keys = HashMap::new();
    for job in jobs {
        let sys = job.target.system_id();
        let before = match known.get(&sys) {
            Some(Ok(map)) => map,
            Some(Err(e)) => {
                let _ = job.reply.send(Err(Error::Internal(format!("looking up keys: {e}"))));
                continue;
            }
            None => {
                let _ = job.reply.send(Err(Error::Internal("keys of a system were not looked up".into())));
                continue;
            }
        };
        let mut plans = Vec::with_capacity(job.items.len());
        let mut conflict = None;
        for (i, item) in job.items.iter().enumerate() {
            if let Some(old) = before.get(&item.key) {
                match crate::decisions::same_body(
                    &old.body_sha256,
                    old.hmac_key.as_deref(),
                    &item.body_sha256,
                ) {
                    Some(true) => {}
                    Some(false) => {
                        conflict = Some(format!(
                            "decisions[{i}].idempotency_key `{}` was logged before with a different body \
                             (receipt {}); use a new key for a new decision",
                            item.key, old.reference
                        ));
                        break;
                    }
                    None => {
                        // Whether the body matched is what erasure made unknowable.
                        conflict = Some(format!(
                            "decisions[{i}].idempotency_key `{}` was used by a decision that has since been \
                             erased (receipt {}); use a new key for a new decision",
                            item.key, old.reference
                        ));
                        break;
                    }
                }
                plans.push(Plan::Known(Box::new(old.clone())));
            } else if in_group.get(&sys).is_some_and(|keys| keys.contains(&item.key))
                || pending.get(&sys).is_some_and(|keys| keys.contains(&item.key))
            {
                conflict = Some(format!(
                    "decisions[{i}].idempotency_key `{}` is being logged by another request right now; \
                     retry to get its receipt",
                    item.key
                ));
                break;
            } else {
                plans.push(Plan::New(usize::MAX));
            }
        }
        if let Some(msg) = conflict {
            let _ = job.reply.send(Err(Error::Conflict(msg)));
            continue;
        }
        let p = planned.len();
        for (i, plan) in plans.iter_mut().enumerate() {
            if let Plan::New(at) = plan {
                *at = fresh.len();
                fresh.push((p, i));
                in_group.entry(sys).or_default().insert(job.items[i].key.clone());
            }
        }
        planned.push(Planned { job, plans });
    }

    if fresh.is_empty() {
        for Planned { job, plans } in planned {
            let out = plans
                .into_iter()
                .filter_map(|p| if let Plan::Known(d) = p { Some(Logged::Known(*d)) } else { None });
            let _ = job.reply.send(Ok(out.collect()));
        }
        return None;
    }

    let looked_up = started.elapsed();
    // 3. One ledger submission for every new leaf.
    let leaves: Vec<Vec<u8>> = fresh.iter().map(|&(p, i)| planned[p].job.items[i].leaf.to_vec()).collect();
    let acks = match ledger.append(leaves).await {
        Ok(acks) => acks,
        Err(e) => {
            for Planned { job, .. } in planned {
                let _ = job.reply.send(Err(Error::Internal(format!("ledger: {e}"))));
            }
            return None;
        }
    };

    let appended = started.elapsed();
    // 4. One signature over the group.
    let logged_at = mizan_store::now();
    let LeafIndex(first) = acks[0].index;
    let signed = BatchTree::new(acks.iter().map(|a| a.leaf_hash).collect()).and_then(|tree| {
        let ack = Acknowledgement {
            origin: ledger.origin().to_owned(),
            first,
            count: acks.len() as u64,
            root: tree.root(),
            logged: logged_at.clone(),
        };
        let note = ledger.sign_acknowledgement(&ack)?;
        Ok(Arc::new(GroupAck { note, first, tree }))
    });
    let group_ack = match signed {
        Ok(a) => a,
        Err(e) => {
            for Planned { job, .. } in planned {
                let _ = job.reply.send(Err(Error::Internal(format!("acknowledgement: {e}"))));
            }
            return None;
        }
    };
    let mut f = in_flight.lock().unwrap_or_else(PoisonError::into_inner);
    for (sys, keys) in in_group {
        f.entry(sys).or_default().extend(keys);
    }
    drop(f);
    let origin = ledger.origin().to_owned();
    Some(Staged { planned, fresh, acks, group_ack, logged_at, origin, started, looked_up, appended })
}

/// Stage two: store the records and keys of every group waiting (several groups share one
/// transaction per system when stage two falls behind), and answer.
async fn store_groups(store: &Store, groups: Vec<Staged>, in_flight: &Mutex<Keys>) {
    let stage_two_at: Vec<std::time::Duration> = groups.iter().map(|g| g.started.elapsed()).collect();

    // 5. Records and keys of every group waiting, one transaction per system. Rows borrow the
    // requests' strings and these references (one per new decision, in leaf order); the answers
    // below take them over.
    let mut references: Vec<Vec<Option<String>>> = groups
        .iter()
        .map(|g| {
            g.acks
                .iter()
                .zip(&g.fresh)
                .map(|(ack, &(p, i))| {
                    debug_assert_eq!(ack.leaf_hash.to_hex(), g.planned[p].job.items[i].leaf_hash_hex);
                    Some(Store::new_decision_reference(ack.index.0))
                })
                .collect()
        })
        .collect();
    // System → its scope, target and rows.
    let mut by_system: HashMap<i64, (OrgScope, &DecisionTarget, Vec<NewDecision<'_>>)> = HashMap::new();
    for (g, references) in groups.iter().zip(&references) {
        for ((&(p, i), ack), reference) in g.fresh.iter().zip(&g.acks).zip(references) {
            let (Some(reference), job) = (reference, &g.planned[p].job) else { continue };
            let f = &job.items[i];
            by_system.entry(job.target.system_id()).or_insert((job.scope, &job.target, Vec::new())).2.push(
                NewDecision {
                    idempotency_key: &f.key,
                    body_sha256: &f.body_mac,
                    system_version: f.version,
                    record_json: &f.record_json,
                    hmac_key: &f.k_hex,
                    decided_at: &f.decided_at,
                    leaf_index: ack.index.0,
                    leaf_hash: &f.leaf_hash_hex,
                    reference,
                    logged_at: &g.logged_at,
                    log_origin: &g.origin,
                    held: f.held.as_deref(),
                },
            );
        }
    }
    // A failed system's requests get its error; the leaves stay in the log, opened by nothing.
    let mut failed: HashMap<i64, mizan_store::StoreError> = HashMap::new();
    for (sys, (scope, target, rows)) in &by_system {
        if let Err(e) = store.insert_decisions(*scope, target, rows).await {
            failed.insert(*sys, e);
        }
    }
    drop(by_system);
    {
        let mut f = in_flight.lock().unwrap_or_else(PoisonError::into_inner);
        for g in &groups {
            for &(p, i) in &g.fresh {
                let job = &g.planned[p].job;
                if let Some(keys) = f.get_mut(&job.target.system_id()) {
                    keys.remove(&job.items[i].key);
                }
            }
        }
        f.retain(|_, keys| !keys.is_empty());
    }

    // 6. Answers.
    let stored_together = groups.len();
    for ((g, references), stage_two_at) in groups.into_iter().zip(references.iter_mut()).zip(stage_two_at) {
        let Staged { planned, fresh, acks, group_ack, logged_at, origin, started, looked_up, appended } = g;
        tracing::debug!(
            requests = planned.len(),
            decisions = fresh.len(),
            stored_together,
            lookup_ms = looked_up.as_secs_f64() * 1e3,
            append_ms = (appended - looked_up).as_secs_f64() * 1e3,
            queued_ms = (stage_two_at - appended).as_secs_f64() * 1e3,
            store_ms = (started.elapsed() - stage_two_at).as_secs_f64() * 1e3,
            "decision group written"
        );
        for Planned { job, plans } in planned {
            if let Some(e) = failed.get(&job.target.system_id()) {
                let _ = job.reply.send(Err(match e {
                    mizan_store::StoreError::Conflict(m) => Error::Conflict(m.clone()),
                    other => Error::Internal(format!("storing decisions: {other}")),
                }));
                continue;
            }
            let Job { items, system, reply, .. } = job;
            let out = plans
                .into_iter()
                .zip(items)
                .map(|(plan, f)| match plan {
                    Plan::Known(d) => Ok(Logged::Known(*d)),
                    Plan::New(n) => {
                        let (Some(reference), Some(ack)) =
                            (references.get_mut(n).and_then(Option::take), acks.get(n))
                        else {
                            return Err(Error::Internal("a new decision was answered twice".into()));
                        };
                        Ok(Logged::New(
                            StoredDecision {
                                reference,
                                system: system.clone(),
                                system_version: f.version,
                                idempotency_key: f.key,
                                body_sha256: f.body_mac,
                                leaf_index: ack.index.0,
                                leaf_hash: f.leaf_hash_hex,
                                record_json: Some(f.record_json),
                                hmac_key: Some(f.k_hex),
                                decided_at: f.decided_at,
                                logged_at: logged_at.clone(),
                                erased_at: None,
                                log_origin: Some(origin.clone()),
                                held: f.held,
                            },
                            Arc::clone(&group_ack),
                        ))
                    }
                })
                .collect::<Result<Vec<_>, Error>>();
            let _ = reply.send(out);
        }
    }
}
