//! Group commit: many submitters, one writer, one sync per batch before anyone is
//! acknowledged.
//!
//! Two threads. The *sequencer* collects submissions until a batch has
//! [`SequencerConfig::max_batch`] entries or its first submission has waited
//! [`SequencerConfig::max_wait`], gives the batch the next contiguous indices, appends it to the
//! store's staging journal with one sync ([`LogStore::stage`]), and only then acknowledges every
//! submitter in it with an [`Ack`]. The *integrator* owns the [`Log`]: it takes every batch
//! waiting for it, integrates them together (durable tiles → sign → compare-and-swap the latest
//! signed checkpoint → publish) and moves the shared [`LogReader`] forward.
//!
//! A crash after an acknowledgement loses nothing: [`Log::open`] integrates the journal's
//! batches beyond the latest signed checkpoint. A storage failure stops both threads: every
//! later submission gets the error, and the log must be reopened to recover (the journal may or
//! may not hold the failed batch, so a submitter that got an error may find its entry logged;
//! callers deduplicate with their own keys). The log never signs two different roots for one
//! size, because only the integrator signs, always extending its own last checkpoint, and the
//! compare-and-swap refuses to move a record it did not write.
//!
//! The API is blocking and runtime-agnostic: an async server calls [`Sequencer::submit`] from
//! `spawn_blocking`, or [`Sequencer::enqueue`] and waits on the returned [`Pending`] there.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::LedgerError;
use crate::log::{LeafIndex, Log, LogReader, encode_staged};
use crate::merkle::{self, Hash};
use crate::store::LogStore;

/// Group-commit settings.
#[derive(Clone, Copy, Debug)]
pub struct SequencerConfig {
    /// Most entries in one batch (a submission larger than this is its own batch).
    pub max_batch: usize,
    /// Longest the first submission of a batch waits for others to join it.
    pub max_wait: Duration,
    /// Submissions that may queue for the sequencer before `submit` blocks (backpressure).
    pub queue: usize,
    /// Batches acknowledged but not yet integrated before the sequencer waits for the
    /// integrator (backpressure; bounds memory and recovery work).
    pub max_unintegrated_batches: usize,
    /// The staging journal is emptied once it holds this many bytes and every batch in it is
    /// integrated.
    pub journal_bytes: usize,
    /// Shortest time between two integrations (tiles written, checkpoint signed and
    /// published). Acknowledgements never wait for it: they need only the journal. Zero
    /// integrates whatever is waiting at once; a busy log wants more, because every integration
    /// rewrites the partial tiles at the log's right edge, which under small, frequent batches
    /// costs more than the entries themselves.
    pub integrate_interval: Duration,
}

impl Default for SequencerConfig {
    fn default() -> Self {
        Self {
            max_batch: 4096,
            max_wait: Duration::from_millis(5),
            queue: 65_536,
            max_unintegrated_batches: 64,
            journal_bytes: 16 << 20,
            integrate_interval: Duration::ZERO,
        }
    }
}

/// What a submitter learns once its entry is durable: where it is and how to check it later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ack {
    /// The entry's index in the log.
    pub index: LeafIndex,
    /// `SHA-256(0x00 || entry)`, the leaf hash an inclusion proof will prove.
    pub leaf_hash: Hash,
    /// The end of the entry's batch: every checkpoint of at least this size includes the
    /// entry, and the log signs one as soon as the batch is integrated.
    pub covered_at: u64,
}

type Reply = mpsc::Sender<Result<Vec<Ack>, LedgerError>>;

struct Submission {
    entries: Vec<Vec<u8>>,
    reply: Reply,
}

/// A submission waiting for its batch to be durable.
#[derive(Debug)]
pub struct Pending(mpsc::Receiver<Result<Vec<Ack>, LedgerError>>);

impl Pending {
    /// Blocks until the batch is durable (or failed).
    ///
    /// # Errors
    /// The batch's error; no entry of a failed batch is acknowledged.
    pub fn wait(self) -> Result<Vec<Ack>, LedgerError> {
        self.0.recv().map_err(|_| stopped())?
    }
}

fn stopped() -> LedgerError {
    LedgerError::Storage("the sequencer has stopped; reopen the log to recover".into())
}

/// State both threads and every handle share.
struct Shared {
    /// The first storage error, after which nothing more is accepted.
    failed: Mutex<Option<LedgerError>>,
    /// Size covered by the latest published checkpoint, with a condvar to wait on it.
    integrated: Mutex<u64>,
    integrated_cv: Condvar,
    /// Entries staged (acknowledged) so far.
    staged: AtomicU64,
}

impl Shared {
    fn fail(&self, e: &LedgerError) {
        let mut f = self.failed.lock().unwrap_or_else(PoisonError::into_inner);
        if f.is_none() {
            *f = Some(e.clone());
        }
        drop(f);
        self.integrated_cv.notify_all();
    }

    fn failure(&self) -> Option<LedgerError> {
        self.failed.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// A running sequencer; clone the handle to submit from many threads.
#[derive(Clone)]
pub struct Sequencer {
    tx: SyncSender<Submission>,
    shared: Arc<Shared>,
    reader: LogReader,
    threads: Arc<Mutex<Vec<JoinHandle<Option<Log>>>>>,
}

impl std::fmt::Debug for Sequencer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sequencer").field("reader", &self.reader).finish_non_exhaustive()
    }
}

impl Sequencer {
    /// Starts the sequencer and integrator threads over `log` (already opened, so its
    /// journal is integrated).
    ///
    /// # Errors
    /// [`LedgerError::Storage`] when the journal cannot be emptied or a thread cannot start.
    pub fn start(log: Log, config: SequencerConfig) -> Result<Self, LedgerError> {
        let store = log.store_handle();
        // Everything in the journal was integrated by Log::open.
        store.clear_staged()?;
        let size = log.size();
        let reader = log.reader();
        let shared = Arc::new(Shared {
            failed: Mutex::new(None),
            integrated: Mutex::new(size),
            integrated_cv: Condvar::new(),
            staged: AtomicU64::new(size),
        });
        let (tx, rx) = mpsc::sync_channel::<Submission>(config.queue.max(1));
        let (btx, brx) = mpsc::sync_channel::<Vec<Vec<u8>>>(config.max_unintegrated_batches.max(1));
        let seq_shared = shared.clone();
        let sequencer = thread::Builder::new()
            .name("ledger-sequencer".into())
            .spawn(move || {
                sequence(&rx, &btx, store.as_ref(), &seq_shared, config, size);
                None
            })
            .map_err(|e| LedgerError::Storage(format!("cannot start the sequencer thread: {e}")))?;
        let int_shared = shared.clone();
        let integrator = thread::Builder::new()
            .name("ledger-integrator".into())
            .spawn(move || integrate(log, &brx, &int_shared, config.integrate_interval))
            .map_err(|e| LedgerError::Storage(format!("cannot start the integrator thread: {e}")))?;
        Ok(Self { tx, shared, reader, threads: Arc::new(Mutex::new(vec![sequencer, integrator])) })
    }

    /// Queues `entries` (each at most 65535 bytes) for the next batch without waiting.
    ///
    /// # Errors
    /// [`LedgerError::Malformed`] for an oversized entry (nothing is queued); the stored
    /// failure once the sequencer has stopped.
    pub fn enqueue(&self, entries: Vec<Vec<u8>>) -> Result<Pending, LedgerError> {
        if let Some((i, e)) = entries.iter().enumerate().find(|(_, e)| e.len() > 65535) {
            return Err(LedgerError::Malformed(format!(
                "entry {i} of the submission is {} bytes; entries are at most 65535 bytes",
                e.len()
            )));
        }
        if let Some(e) = self.shared.failure() {
            return Err(e);
        }
        let (reply, rx) = mpsc::channel();
        self.tx
            .send(Submission { entries, reply })
            .map_err(|_| self.shared.failure().unwrap_or_else(stopped))?;
        Ok(Pending(rx))
    }

    /// Submits `entries` and blocks until their batch is durable; the acknowledgements are in
    /// submission order with contiguous indices.
    ///
    /// # Errors
    /// As [`Sequencer::enqueue`] and [`Pending::wait`].
    pub fn submit(&self, entries: Vec<Vec<u8>>) -> Result<Vec<Ack>, LedgerError> {
        self.enqueue(entries)?.wait()
    }

    /// Blocks until a checkpoint of at least `size` is published, or `timeout` passes;
    /// returns the published size.
    ///
    /// # Errors
    /// The stored failure once the sequencer has stopped.
    pub fn wait_published(&self, size: u64, timeout: Duration) -> Result<u64, LedgerError> {
        let deadline = Instant::now() + timeout;
        let mut integrated = self.shared.integrated.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if *integrated >= size {
                return Ok(*integrated);
            }
            if let Some(e) = self.shared.failure() {
                return Err(e);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(*integrated);
            }
            integrated = self
                .shared
                .integrated_cv
                .wait_timeout(integrated, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// A reader of the published log (checkpoint, proofs, receipts).
    #[must_use]
    pub fn reader(&self) -> LogReader {
        self.reader.clone()
    }

    /// Entries acknowledged so far (the next index to be assigned).
    #[must_use]
    pub fn staged_size(&self) -> u64 {
        self.shared.staged.load(Ordering::SeqCst)
    }

    /// The error that stopped the sequencer, if one did.
    #[must_use]
    pub fn failure(&self) -> Option<LedgerError> {
        self.shared.failure()
    }

    /// Stops accepting submissions, integrates everything acknowledged, and returns the log.
    /// Other clones of this handle must have been dropped, or this waits for them.
    ///
    /// # Errors
    /// The stored failure if the sequencer had stopped on a storage error.
    pub fn shutdown(self) -> Result<Log, LedgerError> {
        let Self { tx, shared, reader: _, threads } = self;
        drop(tx);
        let handles: Vec<_> = std::mem::take(&mut *threads.lock().unwrap_or_else(PoisonError::into_inner));
        let mut log = None;
        for h in handles {
            if let Ok(Some(l)) = h.join() {
                log = Some(l);
            }
        }
        if let Some(e) = shared.failure() {
            return Err(e);
        }
        log.ok_or_else(stopped)
    }
}

/// The sequencer thread: batch, stage with one sync, acknowledge, hand to the integrator.
fn sequence(
    rx: &Receiver<Submission>,
    integrator: &SyncSender<Vec<Vec<u8>>>,
    store: &dyn LogStore,
    shared: &Shared,
    config: SequencerConfig,
    mut next: u64,
) {
    let mut journal_bytes = 0usize;
    while let Ok(first) = rx.recv() {
        let deadline = Instant::now() + config.max_wait;
        let mut count = first.entries.len();
        let mut batch = vec![first];
        while count < config.max_batch {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(sub) => {
                    count += sub.entries.len();
                    batch.push(sub);
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        if let Some(e) = shared.failure() {
            for sub in batch {
                let _ = sub.reply.send(Err(e.clone()));
            }
            continue;
        }
        // Empty the journal when it is large: ask the integrator to integrate everything now
        // (an empty batch says so) and wait for it. Only this thread appends to the journal, so
        // nothing can slip in between the wait and the clear.
        if journal_bytes >= config.journal_bytes && shared.failure().is_none() {
            let caught_up = {
                let integrated = shared.integrated.lock().unwrap_or_else(PoisonError::into_inner);
                *integrated == next
            };
            if !caught_up && integrator.send(Vec::new()).is_err() {
                shared.fail(&stopped());
            }
            let mut integrated = shared.integrated.lock().unwrap_or_else(PoisonError::into_inner);
            while *integrated != next && shared.failure().is_none() {
                integrated = shared
                    .integrated_cv
                    .wait_timeout(integrated, Duration::from_millis(100))
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            drop(integrated);
            if shared.failure().is_none() {
                match store.clear_staged() {
                    Ok(()) => journal_bytes = 0,
                    Err(e) => shared.fail(&e),
                }
            }
        }
        let entries: Vec<&Vec<u8>> = batch.iter().flat_map(|s| s.entries.iter()).collect();
        let staged = if let Some(e) = shared.failure() {
            Err(e)
        } else {
            encode_staged(next, &entries).and_then(|record| {
                store.stage(&record)?;
                Ok(record.len())
            })
        };
        match staged {
            Ok(bytes) => {
                journal_bytes += bytes;
                let start = next;
                next += count as u64;
                shared.staged.store(next, Ordering::SeqCst);
                let mut at = start;
                for sub in &batch {
                    let acks = sub
                        .entries
                        .iter()
                        .map(|e| {
                            at += 1;
                            Ack {
                                index: LeafIndex(at - 1),
                                leaf_hash: merkle::leaf_hash(e),
                                covered_at: next,
                            }
                        })
                        .collect();
                    let _ = sub.reply.send(Ok(acks));
                }
                let all: Vec<Vec<u8>> = batch.into_iter().flat_map(|s| s.entries).collect();
                if integrator.send(all).is_err() {
                    // The integrator stopped on an error; it recorded it.
                    shared.fail(&stopped());
                }
            }
            Err(e) => {
                shared.fail(&e);
                for sub in batch {
                    let _ = sub.reply.send(Err(e.clone()));
                }
            }
        }
    }
}

/// Most entries one integration takes, however short the time since the last one.
const MAX_INTEGRATION: usize = 1 << 20;

/// The integrator thread: integrate whatever is waiting as one append, then publish, at most
/// once per [`SequencerConfig::integrate_interval`] unless the sequencer asks for it now (an
/// empty batch).
fn integrate(mut log: Log, rx: &Receiver<Vec<Vec<u8>>>, shared: &Shared, interval: Duration) -> Option<Log> {
    // No integration yet: the first is due at once. (Not `now - interval`: `Instant` may not
    // reach back that far on a machine started less than an interval ago.)
    let mut last: Option<Instant> = None;
    while let Ok(first) = rx.recv() {
        let mut now_please = first.is_empty();
        let mut entries = first;
        let due = last.map_or_else(Instant::now, |l| l + interval);
        while !now_please && entries.len() < MAX_INTEGRATION {
            match rx.recv_timeout(due.saturating_duration_since(Instant::now())) {
                Ok(more) => {
                    now_please = more.is_empty();
                    entries.extend(more);
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        while let Ok(more) = rx.try_recv() {
            entries.extend(more);
        }
        last = Some(Instant::now());
        if entries.is_empty() {
            shared.integrated_cv.notify_all();
            continue;
        }
        if shared.failure().is_some() {
            continue; // keep draining so the sequencer never blocks on a dead integrator
        }
        match log.append_batch(&entries) {
            Ok(_) => {
                let mut integrated = shared.integrated.lock().unwrap_or_else(PoisonError::into_inner);
                *integrated = log.size();
                drop(integrated);
                shared.integrated_cv.notify_all();
            }
            Err(e) => shared.fail(&e),
        }
    }
    Some(log)
}
