//! Group commit of new cases: filings that arrive while one group is being written form the
//! next group, opened in one transaction with one sync ([`mizan_store::Store::open_case_group`]).
//! A lone filing waits for nobody; under load the sync, which dominates a filing's time, is
//! shared. Each case is its own savepoint in the group, so one refused case fails alone.

use std::sync::OnceLock;

use mizan_store::{CaseProjection, NewCase, NewEntry, Store};
use tokio::sync::{mpsc, oneshot};

use crate::Error;

/// Most cases in one group.
const MAX_GROUP: usize = 256;
/// Filings that may wait for the writer before senders wait too.
const QUEUE: usize = 1024;

struct Job {
    case: (NewCase, Vec<NewEntry>, CaseProjection),
    reply: oneshot::Sender<Result<i64, Error>>,
}

/// The handle filings open cases through; the writer task starts on first use.
pub(crate) struct CaseWriter {
    store: Store,
    tx: OnceLock<mpsc::Sender<Job>>,
}

impl CaseWriter {
    pub(crate) fn new(store: Store) -> Self {
        Self { store, tx: OnceLock::new() }
    }

    /// Opens `new` with its first `entries` and projection, in the next group. Returns the case's
    /// row id.
    ///
    /// # Errors
    /// As [`Store::open_case`].
    pub(crate) async fn open(
        &self,
        new: NewCase,
        entries: Vec<NewEntry>,
        p: CaseProjection,
    ) -> Result<i64, Error> {
        let tx = self.tx.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(write_loop(self.store.clone(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        tx.send(Job { case: (new, entries, p), reply })
            .await
            .map_err(|_| Error::Internal("the case writer has stopped".into()))?;
        answer.await.map_err(|_| Error::Internal("the case writer dropped a filing".into()))?
    }
}

async fn write_loop(store: Store, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let (cases, replies): (Vec<_>, Vec<_>) = jobs.into_iter().map(|j| (j.case, j.reply)).unzip();
        match store.open_case_group(&cases).await {
            Ok(results) => {
                for (reply, r) in replies.into_iter().zip(results) {
                    let _ = reply.send(r.map_err(Error::from));
                }
            }
            Err(e) => {
                // The transaction itself failed: nothing of the group was opened.
                let message = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(Error::Internal(format!("opening the case failed: {message}"))));
                }
            }
        }
    }
}
