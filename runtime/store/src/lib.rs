//! The durable store: runs, their branches, the journal of their turns, snapshots of their
//! state and content-addressed blobs, in one directory (`.duet/` unless the caller says
//! otherwise), on the embedded LSM database [fjall](https://docs.rs/fjall).
//!
//! * **The journal is the truth.** [`Store::append_turn`] returns only once the turn is on
//!   disk; concurrent appenders share `fdatasync`s through [group commit](commit). Reopening
//!   after a crash at any moment loses no acknowledged turn.
//! * **Branches are cheap and nothing is lost.** [`Store::fork`] writes one small record and
//!   copies no turn; [`Store::back`] moves a branch's head back and keeps the abandoned turns
//!   as a branch of their own (`main~1`, …). Reading a branch walks its ancestors up to each
//!   fork turn.
//! * **Every record is versioned and checksummed** in the project's envelope
//!   ([`duet_lang::envelope`]); a damaged or newer record is a [`StoreError::Damaged`] that
//!   names its run, branch and turn, and everything before it stays readable.
//! * **Opening costs the same however much was written.** fjall replays its whole journal
//!   on every open; a store that closes with more than [`RETIRE_AFTER`] bytes of it flushes
//!   them into tables and starts an empty journal ([`retire`]), keeping the tables fjall
//!   opens bounded too. After a crash the next open replays what the crashed process wrote,
//!   once.
//! * **One writer.** A second process opening the store gets [`StoreError::InUse`] ("store in
//!   use by pid N"); see [`lock`]. There is no read-only mode yet: a process that only wants
//!   to list runs while another writes can ask [`holder`] who is writing and talk to it.
//!
//! The store never reads the clock: every timestamp (`at`, `created_at`) is given by the
//! caller, in whatever unit it likes (the runtime uses milliseconds since the Unix epoch).
//! Turn payloads, state digests and snapshot contents are opaque bytes chosen by the runtime.
//!
//! The on-disk layout is described in [`layout`].

mod acked;
mod blobs;
mod branches;
mod check;
pub mod commit;
mod error;
mod journal;
pub mod layout;
pub mod lock;
mod preflight;
mod raw;
pub mod records;
mod repair;
mod retention;
pub mod retire;
mod runs;
mod snapshots;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use fjall::{Database, Keyspace, KeyspaceCreateOptions, KvSeparationOptions};
use serde::de::DeserializeOwned;

pub use blobs::BlobHash;
pub use branches::{BackOutcome, Branch, ForkPoint, Origin};
pub use check::{CheckReport, Problem, SalvageReport, salvage};
pub use commit::{CommitStats, Durability};
pub use error::{Damage, Location, Result, StoreError};
pub use journal::{JournaledTurn, NewTurn, PartialRead};
pub use lock::holder;
pub use raw::RawKind;
pub use retention::Removed;
pub use retire::RETIRE_AFTER;
pub use runs::{MAIN, NewRun, RunId, Status, StoredRun};
pub use snapshots::Snapshot;

use commit::GroupCommit;
use lock::StoreLock;
use records::{META_MAGIC, STORE_FORMAT, StoreMeta};

/// An open store. Cheap to clone; clones share the database, and every method may be called
/// from many threads at once.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

/// The fjall keyspaces, one per kind of record (see [`layout`]).
pub(crate) struct Keyspaces {
    pub meta: Keyspace,
    pub runs: Keyspace,
    pub branches: Keyspace,
    pub names: Keyspace,
    pub turns: Keyspace,
    pub snapshots: Keyspace,
    pub blobs: Keyspace,
}

impl Keyspaces {
    /// Every keyspace, in the order of [`layout`].
    pub fn all(&self) -> [&Keyspace; 7] {
        [
            &self.meta,
            &self.runs,
            &self.branches,
            &self.names,
            &self.turns,
            &self.snapshots,
            &self.blobs,
        ]
    }
}

/// What the write lock protects: read-modify-write of records, and the cache of each
/// segment's last turn.
#[derive(Default)]
pub(crate) struct WriteState {
    /// (run, segment) → the segment's last turn, filled on first use.
    pub heads: HashMap<(u64, u32), u64>,
    /// The number of the last batch written (see [`acked`]).
    pub seq: u64,
}

/// The write lock, held while reading, changing and writing records. Field order matters:
/// the lock is released before the arrival is, so a sync leader woken by the arrival finds
/// the lock free.
pub(crate) struct Writer<'a> {
    pub state: MutexGuard<'a, WriteState>,
    _arrival: commit::Arrival<'a>,
}

impl std::ops::Deref for Writer<'_> {
    type Target = WriteState;

    fn deref(&self) -> &WriteState {
        &self.state
    }
}

impl std::ops::DerefMut for Writer<'_> {
    fn deref_mut(&mut self) -> &mut WriteState {
        &mut self.state
    }
}

pub(crate) struct Inner {
    pub dir: PathBuf,
    pub db_path: PathBuf,
    pub db: Database,
    pub ks: Keyspaces,
    pub write: Mutex<WriteState>,
    pub commit: GroupCommit,
    acked: acked::Acked,
    // Declared after the database's handles: it acts once they are closed.
    retirement: retire::Retirement,
    // Declared last so it is released after the database has been closed.
    _lock: StoreLock,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Nothing else uses the store now; a poisoned one keeps its journal as it is.
        if self.commit.check().is_ok() {
            self.retirement.prepare(&self.db, &self.ks.all());
        }
    }
}

/// The mode of a store's directory: it holds every prompt and reply of its runs, so its
/// owner's alone. fjall's files inside keep the process's umask; the directory keeps
/// everyone else out of them.
pub const STORE_MODE: u32 = 0o700;

/// Creates `dir` with mode [`STORE_MODE`] (its missing parents as usual), or takes every
/// permission outside that mode away from a directory already there.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    match std::fs::DirBuilder::new().mode(STORE_MODE).create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let now = std::fs::metadata(dir)?.permissions().mode() & 0o7777;
            if now & !STORE_MODE != 0 {
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(now & STORE_MODE))?;
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

impl Store {
    /// Opens (creating if needed) the store in `dir`, with durable writes.
    ///
    /// Fails with [`StoreError::InUse`] when another process has it open, and with
    /// [`StoreError::NewerStore`] when a newer duet wrote it. Reopening after a crash replays
    /// fjall's journal: every acknowledged write is there.
    pub fn open(dir: impl AsRef<Path>) -> Result<Store> {
        Store::open_with(dir, Durability::Sync)
    }

    /// Opens the store in `dir` like [`Store::open`], but while another process holds it,
    /// tries again for up to `patience` before giving up with [`StoreError::InUse`]: short
    /// commands (`duet status`) hold a store for milliseconds. Before each new try it calls
    /// `waiting` (the `duet` binary hands the command to a process that serves the store).
    pub fn open_patiently(
        dir: impl AsRef<Path>,
        patience: std::time::Duration,
        mut waiting: impl FnMut(),
    ) -> Result<Store> {
        let deadline = std::time::Instant::now() + patience;
        loop {
            match Store::open(dir.as_ref()) {
                Err(StoreError::InUse { .. }) if std::time::Instant::now() < deadline => {
                    waiting();
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                opened => return opened,
            }
        }
    }

    /// Opens the store in `dir` with the given [`Durability`] for writes.
    pub fn open_with(dir: impl AsRef<Path>, durability: Durability) -> Result<Store> {
        Store::open_inner(dir.as_ref(), durability, true)
    }

    /// Opens a copy of a damaged store for salvage: its journal is never retired, since
    /// what it holds may be needed again once damaged pieces are set aside.
    pub(crate) fn open_copy(dir: &Path) -> Result<Store> {
        Store::open_inner(dir, Durability::Buffered, false)
    }

    fn open_inner(dir: &Path, durability: Durability, retire: bool) -> Result<Store> {
        let dir = dir.to_path_buf();
        private_dir(&dir).map_err(|source| StoreError::Io {
            action: "create (or make private) the store directory",
            path: dir.clone(),
            source,
        })?;
        let lock = StoreLock::acquire(&dir)?;
        let db_path = dir.join(layout::DB_DIR);
        preflight::check(&dir, &db_path)?;
        let db = Database::builder(&db_path)
            .open()
            .map_err(|source| match source {
                fjall::Error::Locked => StoreError::InUse {
                    dir: dir.clone(),
                    pid: None,
                },
                source => StoreError::Database {
                    action: "opening (and recovering its journal)",
                    path: db_path.clone(),
                    source,
                },
            })?;
        let keyspace = |name: &str, separate_values: bool| {
            db.keyspace(name, || {
                let options = KeyspaceCreateOptions::default();
                if separate_values {
                    options.with_kv_separation(Some(KvSeparationOptions::default()))
                } else {
                    options
                }
            })
            .map_err(|source| StoreError::Database {
                action: "opening a keyspace",
                path: db_path.clone(),
                source,
            })
        };
        let ks = Keyspaces {
            meta: keyspace(layout::META, false)?,
            runs: keyspace(layout::RUNS, false)?,
            branches: keyspace(layout::BRANCHES, false)?,
            names: keyspace(layout::NAMES, false)?,
            turns: keyspace(layout::TURNS, false)?,
            snapshots: keyspace(layout::SNAPSHOTS, true)?,
            blobs: keyspace(layout::BLOBS, true)?,
        };
        let seq = match ks.meta.get(acked::SEQ_KEY) {
            Ok(Some(bytes)) => bytes
                .as_ref()
                .try_into()
                .map(u64::from_be_bytes)
                .unwrap_or(0),
            Ok(None) => 0,
            Err(source) => {
                return Err(StoreError::Database {
                    action: "reading its write sequence",
                    path: db_path.clone(),
                    source,
                });
            }
        };
        let acked = acked::Acked::open(&dir, seq)?;
        let store = Store {
            inner: Arc::new(Inner {
                commit: GroupCommit::new(durability, db_path.clone()),
                retirement: retire::Retirement::new(db_path.clone(), retire),
                dir,
                db_path,
                db,
                ks,
                write: Mutex::new(WriteState {
                    seq,
                    ..WriteState::default()
                }),
                acked,
                _lock: lock,
            }),
        };
        store.check_format()?;
        preflight::record(&store.inner.dir, &store.inner.db_path)?;
        Ok(store)
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// How many writes and `fdatasync`s the store has made since it was opened.
    pub fn commit_stats(&self) -> CommitStats {
        self.inner.commit.stats()
    }

    /// Bytes the database takes on disk (tables and journals), as fjall counts them.
    pub fn disk_space(&self) -> Result<u64> {
        self.inner
            .db
            .disk_space()
            .map_err(|source| self.db_error("measuring its size", source))
    }

    /// Moves everything held in memory into fjall's sorted tables and waits for it. Nothing
    /// becomes more durable (the journal already is); old journal files can then be dropped.
    /// For measurements and before copying the directory.
    pub fn flush(&self) -> Result<()> {
        match retire::flush_all(&self.inner.ks.all(), std::time::Duration::MAX) {
            Ok(_) => Ok(()),
            Err(source) => Err(self.db_error("flushing its memory tables", source)),
        }
    }

    /// Reads the store's format record, writing it into a new store.
    fn check_format(&self) -> Result<()> {
        match self.get(&self.inner.ks.meta, layout::META_KEY, "reading its format")? {
            Some(bytes) => {
                match duet_lang::envelope::open::<StoreMeta>(META_MAGIC, STORE_FORMAT, &bytes) {
                    Ok(_) => Ok(()),
                    Err(duet_lang::envelope::EnvelopeError::NewerVersion { supported, found }) => {
                        Err(StoreError::NewerStore {
                            dir: self.inner.dir.clone(),
                            found,
                            supported,
                        })
                    }
                    Err(e) => Err(self.damaged(Location::Meta, Damage::Envelope(e))),
                }
            }
            None => {
                // A new store, or one whose format record was lost: never hand out a run id
                // that is taken.
                let guard = self.write_lock();
                let next_run = match self.inner.ks.runs.last_key_value() {
                    Some(last) => {
                        let key = last
                            .key()
                            .map_err(|source| self.db_error("reading the last run", source))?;
                        let number: [u8; 8] = key.as_ref().try_into().unwrap_or([0; 8]);
                        u64::from_be_bytes(number) + 1
                    }
                    None => 1,
                };
                let mut batch = self.inner.db.batch();
                batch.insert(
                    &self.inner.ks.meta,
                    layout::META_KEY,
                    records::seal(META_MAGIC, STORE_FORMAT, &StoreMeta { next_run }),
                );
                self.commit(guard, batch)
            }
        }
    }

    /// Takes the write lock, first telling the group commit a writer is on its way.
    pub(crate) fn write_lock(&self) -> Writer<'_> {
        let arrival = self.inner.commit.arrive();
        let state = self.inner.write.lock().unwrap_or_else(|e| e.into_inner());
        Writer {
            state,
            _arrival: arrival,
        }
    }

    /// Commits `batch` under the held write lock, releases the lock, then waits until the
    /// batch is durable.
    pub(crate) fn commit(
        &self,
        mut guard: Writer<'_>,
        mut batch: fjall::OwnedWriteBatch,
    ) -> Result<()> {
        if batch.is_empty() {
            let ticket = self.inner.commit.write(batch)?;
            drop(guard);
            return self.inner.commit.wait(&self.inner.db, ticket);
        }
        // Every batch carries the next number of the store's write sequence; once durable,
        // the number is the new high-water mark of acknowledged writes (see `acked`).
        let seq = guard.seq + 1;
        batch.insert(&self.inner.ks.meta, acked::SEQ_KEY, seq.to_be_bytes());
        let ticket = self.inner.commit.write(batch)?;
        guard.seq = seq;
        drop(guard);
        self.inner.commit.wait(&self.inner.db, ticket)?;
        self.inner.acked.record(seq)
    }

    pub(crate) fn db_error(&self, action: &'static str, source: fjall::Error) -> StoreError {
        StoreError::Database {
            action,
            path: self.inner.db_path.clone(),
            source,
        }
    }

    pub(crate) fn damaged(&self, at: Location, damage: Damage) -> StoreError {
        StoreError::Damaged {
            at,
            damage,
            path: self.inner.db_path.clone(),
        }
    }

    /// A point read.
    pub(crate) fn get(
        &self,
        keyspace: &Keyspace,
        key: &[u8],
        action: &'static str,
    ) -> Result<Option<fjall::Slice>> {
        keyspace
            .get(key)
            .map_err(|source| self.db_error(action, source))
    }

    /// Opens an envelope read from `at`, turning any problem into a damage report.
    pub(crate) fn decode<T: DeserializeOwned>(
        &self,
        magic: [u8; 4],
        version: u16,
        bytes: &[u8],
        at: impl FnOnce() -> Location,
    ) -> Result<T> {
        records::open(magic, version, bytes).map_err(|e| self.damaged(at(), Damage::Envelope(e)))
    }
}
