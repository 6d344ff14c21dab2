//! The single writer task of a process: drains queued appends in batches, one transaction
//! each, and adds signed checkpoints when they are due.
//!
//! Invariants:
//! - every caller gets its own stored entry, or — if the transaction fails — every caller
//!   of the batch gets the error and nothing of the batch is committed (fail closed);
//! - a checkpoint is sealed inside the transaction of the batch it follows, so it always
//!   commits to the entry right before it, even with other replicas appending;
//! - `pending` counts entries this writer appended since its last checkpoint; a time-based
//!   checkpoint is written only when there is something new to cover.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::store::{Backend, CheckpointPolicy, MAX_BATCH, Reply};
use super::{LedgerError, NewEntry};

/// Runs until every [`Ledger`](super::Ledger) handle is dropped and the queue is drained;
/// then covers what is pending with a last checkpoint.
pub(super) async fn run(
    backend: Backend,
    mut queue: mpsc::Receiver<(NewEntry, Reply)>,
    policy: Option<CheckpointPolicy>,
) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    let mut pending: u64 = 0;
    let mut last_checkpoint = Instant::now();
    loop {
        let received = match &policy {
            Some(p) if pending > 0 => {
                let deadline = last_checkpoint + p.every;
                let recv = queue.recv_many(&mut jobs, MAX_BATCH);
                match tokio::time::timeout_at(deadline, recv).await {
                    Ok(n) => n,
                    Err(_) => {
                        checkpoint_alone(&backend, p, &mut pending).await;
                        last_checkpoint = Instant::now();
                        continue;
                    }
                }
            }
            _ => queue.recv_many(&mut jobs, MAX_BATCH).await,
        };
        if received == 0 {
            break;
        }
        let (batch, replies): (Vec<NewEntry>, Vec<Reply>) = jobs.drain(..).unzip();
        let size = batch.len();
        let due = policy.as_ref().is_some_and(|p| {
            pending + size as u64 >= p.every_entries || last_checkpoint.elapsed() >= p.every
        });
        let signer = policy.as_ref().map(|p| &p.signer).filter(|_| due);
        let now = jiff::Timestamp::now();
        let mut extra = |seq, hash: &str| signer.and_then(|s| s.entry(seq, hash, now));
        match backend.append_batch(batch, &mut extra).await {
            Ok(stored) => {
                if stored.len() > size {
                    pending = 0;
                    last_checkpoint = Instant::now();
                } else {
                    pending += size as u64;
                }
                for (reply, entry) in replies.into_iter().zip(stored) {
                    // A caller that stopped waiting still had its entry written; nothing to do.
                    let _ = reply.send(Ok(entry));
                }
            }
            Err(error) => {
                tracing::error!(%error, size, "ledger append failed; the batch was rolled back");
                let error = Arc::new(error);
                for reply in replies {
                    let _ = reply.send(Err(LedgerError::Append(Arc::clone(&error))));
                }
            }
        }
    }
    if let Some(p) = &policy
        && pending > 0
    {
        checkpoint_alone(&backend, p, &mut pending).await;
    }
}

/// Writes a checkpoint with no batch (the time-based one, and the last one).
async fn checkpoint_alone(backend: &Backend, policy: &CheckpointPolicy, pending: &mut u64) {
    let now = jiff::Timestamp::now();
    let mut extra = |seq, hash: &str| policy.signer.entry(seq, hash, now);
    match backend.append_batch(Vec::new(), &mut extra).await {
        Ok(_) => *pending = 0,
        // Retried after the next interval; the entries stay covered by the chain meanwhile.
        Err(error) => tracing::error!(%error, "cannot write a ledger checkpoint"),
    }
}
