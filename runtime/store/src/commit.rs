//! Group commit: many writers, one `fdatasync` for all of them.
//!
//! Every change is one fjall [`WriteBatch`](fjall::OwnedWriteBatch), committed under the
//! store's write lock, which hands it a *ticket*: its position in fjall's journal (the journal
//! is a single append-only file, so a later ticket on disk implies every earlier one is).
//! After releasing the write lock, the writer waits for its ticket to become durable:
//!
//! * if no sync is running, it becomes the *leader*: it *gathers* — waits until the writers
//!   already on their way (those that have begun an operation but not yet written its
//!   batch) have written, and until as many batches are pending as the previous sync
//!   covered, but never longer than half the previous sync took (and at most
//!   [`GATHER_LIMIT`]) — then notes the newest ticket written, calls `persist(SyncData)` (one
//!   `fdatasync` of the journal), marks everything up to the noted ticket durable and wakes
//!   the others;
//! * if a sync is running, it waits. When the sync ends, either its ticket is covered, or it
//!   (or another waiter) leads the next sync, which covers every batch written meanwhile.
//!
//! While one `fdatasync` is in flight, writers that arrive queue up (fjall holds its journal
//! lock during the sync, so they cannot even write) and the next `fdatasync` covers all of
//! them. The gathering matters when the machine is busy: the writers a sync has just
//! released need CPU time to come back with their next turn, and a leader that did not wait
//! for them would sync alone. Expecting the previous batch size adapts by itself: a lone
//! writer expects one batch, has it, and syncs at once; `n` busy writers get about `n`
//! writes per sync. There is no extra thread. [`CommitStats`] counts writes and syncs.
//!
//! A failed sync poisons the store (like fjall itself does): what reached the disk can no
//! longer be vouched for, so every later write fails until the store is reopened, which
//! recovers exactly what was durable.

use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use fjall::{Database, PersistMode};

use super::error::{Result, StoreError};

/// The longest a sync leader gathers writers. (The store reads the clock for this scheduling
/// only; it never puts the clock into a record.)
pub const GATHER_LIMIT: Duration = Duration::from_millis(1);

/// How durable a write is when it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// On disk (`fdatasync` of the journal): survives a crash of the process, of the
    /// operating system and a power loss. The default.
    #[default]
    Sync,
    /// Handed to the operating system only: survives a crash of the process, not of the
    /// machine. For tests and throw-away runs.
    Buffered,
}

/// Counters of the group commit, for benchmarks and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CommitStats {
    /// Write batches committed (one per durable operation: an appended turn, a new run …).
    pub writes: u64,
    /// `fdatasync` calls made to make them durable.
    pub syncs: u64,
    /// Time spent in those calls.
    pub sync_time: Duration,
}

#[derive(Debug, Default)]
struct State {
    /// The newest ticket handed out (batches are written in ticket order).
    written: u64,
    /// Every ticket up to this one is durable.
    durable: u64,
    /// A leader is gathering or syncing now.
    syncing: bool,
    /// Writers that have begun an operation and not yet written (or abandoned) its batch.
    arriving: usize,
    /// Batches the previous sync covered.
    last_batch: u64,
    /// How long the previous sync took.
    last_sync: Duration,
    /// Why the store stopped accepting writes.
    poisoned: Option<String>,
    syncs: u64,
    sync_time: Duration,
}

/// The group-commit coordinator of one store.
#[derive(Debug)]
pub(crate) struct GroupCommit {
    state: Mutex<State>,
    synced: Condvar,
    /// Signalled when a writer on its way has written or given up.
    arrived: Condvar,
    durability: Durability,
    path: PathBuf,
}

impl GroupCommit {
    pub(crate) fn new(durability: Durability, path: PathBuf) -> GroupCommit {
        GroupCommit {
            state: Mutex::new(State::default()),
            synced: Condvar::new(),
            arrived: Condvar::new(),
            durability,
            path,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock leaves only counters behind; keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Fails if an earlier sync failed.
    pub(crate) fn check(&self) -> Result<()> {
        match &self.lock().poisoned {
            Some(cause) => Err(StoreError::Poisoned {
                path: self.path.clone(),
                cause: cause.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Notes a writer on its way to writing a batch; dropping the result says it has written
    /// (or given up). Take it before the store's write lock.
    pub(crate) fn arrive(&self) -> Arrival<'_> {
        self.lock().arriving += 1;
        Arrival { commit: self }
    }

    /// Commits `batch` and returns its ticket. Call with the store's write lock held, so
    /// tickets follow the journal's order.
    pub(crate) fn write(&self, batch: fjall::OwnedWriteBatch) -> Result<u64> {
        self.check()?;
        if batch.is_empty() {
            // Nothing to write; waiting on the newest ticket still orders this after every
            // earlier write.
            return Ok(self.lock().written);
        }
        batch.commit().map_err(|source| {
            self.poison(format!("{source:?}"));
            StoreError::Database {
                action: "writing a batch to its journal",
                path: self.path.clone(),
                source,
            }
        })?;
        let mut state = self.lock();
        state.written += 1;
        Ok(state.written)
    }

    /// Returns once `ticket` is durable (per [`Durability`]), syncing if nobody else is.
    pub(crate) fn wait(&self, db: &Database, ticket: u64) -> Result<()> {
        if self.durability == Durability::Buffered {
            return self.check();
        }
        let mut state = self.lock();
        loop {
            if let Some(cause) = &state.poisoned {
                return Err(StoreError::Poisoned {
                    path: self.path.clone(),
                    cause: cause.clone(),
                });
            }
            if state.durable >= ticket {
                return Ok(());
            }
            if state.syncing {
                state = self.synced.wait(state).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            state.syncing = true;
            let deadline = Instant::now() + (state.last_sync / 2).min(GATHER_LIMIT);
            while state.arriving > 0 || state.written - state.durable < state.last_batch {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                state = self
                    .arrived
                    .wait_timeout(state, left)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            let target = state.written;
            let batch = target - state.durable;
            drop(state);
            let began = Instant::now();
            let result = db.persist(PersistMode::SyncData);
            let took = began.elapsed();
            state = self.lock();
            state.syncing = false;
            state.syncs += 1;
            state.last_batch = batch;
            state.last_sync = took;
            state.sync_time += took;
            match result {
                Ok(()) => state.durable = state.durable.max(target),
                Err(e) => {
                    if state.poisoned.is_none() {
                        state.poisoned = Some(format!("fdatasync of the journal failed: {e:?}"));
                    }
                }
            }
            self.synced.notify_all();
        }
    }

    fn poison(&self, cause: String) {
        let mut state = self.lock();
        if state.poisoned.is_none() {
            state.poisoned = Some(cause);
        }
        self.synced.notify_all();
    }

    pub(crate) fn stats(&self) -> CommitStats {
        let state = self.lock();
        CommitStats {
            writes: state.written,
            syncs: state.syncs,
            sync_time: state.sync_time,
        }
    }
}

/// A writer on its way; see [`GroupCommit::arrive`].
pub(crate) struct Arrival<'a> {
    commit: &'a GroupCommit,
}

impl Drop for Arrival<'_> {
    fn drop(&mut self) {
        let mut state = self.commit.lock();
        state.arriving -= 1;
        // A gathering leader counts written batches as well as writers on their way.
        if state.syncing {
            self.commit.arrived.notify_all();
        }
    }
}
