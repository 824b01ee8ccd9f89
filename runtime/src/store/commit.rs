//! Group commit: many writers, one `fdatasync` for all of them.
//!
//! Every change is one fjall [`WriteBatch`](fjall::OwnedWriteBatch), committed under the
//! store's write lock, which hands it a *ticket*: its position in fjall's journal (the journal
//! is a single append-only file, so a later ticket on disk implies every earlier one is).
//! After releasing the write lock, the writer waits for its ticket to become durable:
//!
//! * if no sync is running, it becomes the *leader*: it notes the newest ticket written so far,
//!   calls `persist(SyncData)` (one `fdatasync` of the journal), marks everything up to the
//!   noted ticket durable and wakes the others;
//! * if a sync is running, it waits. When the sync ends, either its ticket is covered, or it
//!   (or another waiter) leads the next sync, which covers every batch written meanwhile.
//!
//! So while one `fdatasync` is in flight, all writers that arrive queue their batches in the
//! journal's OS buffers, and the next `fdatasync` makes all of them durable at once. There is
//! no timer and no extra thread: a lone writer pays exactly one sync per write, and `n`
//! concurrent writers pay about one sync per `n` writes. [`CommitStats`] counts both.
//!
//! A failed sync poisons the store (like fjall itself does): what reached the disk can no
//! longer be vouched for, so every later write fails until the store is reopened, which
//! recovers exactly what was durable.

use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard};

use fjall::{Database, PersistMode};

use super::error::{Result, StoreError};

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
}

#[derive(Debug, Default)]
struct State {
    /// The newest ticket handed out (batches are written in ticket order).
    written: u64,
    /// Every ticket up to this one is durable.
    durable: u64,
    /// A leader is syncing now.
    syncing: bool,
    /// Why the store stopped accepting writes.
    poisoned: Option<String>,
    syncs: u64,
}

/// The group-commit coordinator of one store.
#[derive(Debug)]
pub(crate) struct GroupCommit {
    state: Mutex<State>,
    synced: Condvar,
    durability: Durability,
    path: PathBuf,
}

impl GroupCommit {
    pub(crate) fn new(durability: Durability, path: PathBuf) -> GroupCommit {
        GroupCommit {
            state: Mutex::new(State::default()),
            synced: Condvar::new(),
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
            let target = state.written;
            drop(state);
            let result = db.persist(PersistMode::SyncData);
            state = self.lock();
            state.syncing = false;
            state.syncs += 1;
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
        }
    }
}
