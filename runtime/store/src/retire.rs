//! Keeping fjall's journal short, so that opening a store costs the same after ten runs as
//! after ten thousand.
//!
//! fjall replays its whole active journal when it opens a database, batch by batch, even
//! the batches its tables already hold (it reads them to skip them). It starts a new
//! journal only when a flush finds the active one past 64 MB, and offers no call to start
//! one: so a store that had written 17 MB took ~150 ms to open, flushed or not, however
//! little the command then read.
//!
//! So a store that closes with more than [`RETIRE_AFTER`] bytes of journal *retires* it:
//!
//! 1. while the database is still open, every keyspace's memory table is flushed into
//!    tables and the store waits until all are written — fjall writes and `fsync`s a table,
//!    its version record and their directories before it drops a flushed memory table, the
//!    same guarantee it relies on itself before deleting a journal;
//! 2. the database is closed (its lock file free again: no fjall thread is left);
//! 3. a new, empty journal numbered one past the newest is created and synced, with its
//!    directory; then the old journals are removed, and the directory synced again.
//!
//! Every batch the old journals held is then in tables, so fjall's replay of them would have
//! skipped it. A crash at any point leaves a database fjall opens with nothing lost: before
//! step 3, the old journals are as they were; during it, fjall finds the new empty journal
//! as its active one and replays the old ones as sealed journals (skipping what its tables
//! hold), then deletes them itself once it flushes. The store's own inventory
//! ([`super::preflight`]) asks for "at least one journal", which holds throughout.
//!
//! A store that cannot flush (a failed sync poisoned it, or fjall reports an error) keeps
//! its journal: retiring is for speed only and never trades away a write.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fjall::{Database, Keyspace};

/// A closing store retires its journal once the journal holds more than this many bytes:
/// fjall replays 256 KiB in ~3 ms (an `lseek` per journal entry), and flushing at close costs
/// a few `fsync`s per keyspace, paid once per 256 KiB written (every ~90 `duet run`s of a
/// small workflow).
pub const RETIRE_AFTER: u64 = 256 << 10;

/// How long a closing store waits for its flushes before it gives up retiring (the journal
/// then stays, as it would have without retiring).
const FLUSH_PATIENCE: Duration = Duration::from_secs(30);

/// The journal files (`N.jnl`) of the database in `db`, by number.
pub(crate) fn journals(db: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(db)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(number) = name
            .to_str()
            .and_then(|n| n.strip_suffix(".jnl"))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        found.push((number, entry.path()));
    }
    found.sort();
    Ok(found)
}

/// How many journal files `db` has.
pub(crate) fn journal_count(db: &Path) -> usize {
    journals(db).map_or(0, |j| j.len())
}

/// The bytes the journals of `db` hold. fjall creates a journal at 64 MiB with
/// `set_len`, so the blocks a file really occupies are counted, not its length.
pub(crate) fn journal_bytes(db: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    journals(db)
        .unwrap_or_default()
        .iter()
        .filter_map(|(_, path)| std::fs::metadata(path).ok())
        .map(|m| m.len().min(m.blocks() * 512))
        .sum()
}

/// Moves every keyspace's memory table into tables and returns once all are written (or
/// `false` when that takes longer than `patience`).
pub(crate) fn flush_all(keyspaces: &[&Keyspace], patience: Duration) -> fjall::Result<bool> {
    // All rotations first, so the flushes run together and the wait is one.
    for keyspace in keyspaces {
        keyspace.rotate_memtable()?;
    }
    let deadline = Instant::now().checked_add(patience);
    while keyspaces.iter().any(|k| k.sealed_memtable_count() > 0) {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    Ok(true)
}

/// fjall's threshold: it merges a keyspace's first level once it holds this many tables.
const L0_THRESHOLD: usize = 4;

/// How long a closing store waits for compactions after its flush.
const COMPACTION_PATIENCE: Duration = Duration::from_secs(5);

/// How long no compaction may run, with a first level still over the threshold, before the
/// closing store stops waiting.
const COMPACTION_IDLE: Duration = Duration::from_millis(50);

/// A keyspace with more tables than this is compacted into one as its store retires its
/// journal.
const MAX_TABLES: usize = 32;

/// Keeps the number of tables fjall opens with a store bounded. Every retirement flushes a
/// table into most keyspaces. A process that closes at once would stop the compactions the
/// flush sets off before they end, so this waits until they have brought each keyspace's
/// first level under fjall's threshold (or none runs, or [`COMPACTION_PATIENCE`] is over).
/// And fjall's leveled compaction merely moves a table whose keys all follow the level's
/// (new runs, new turns) down a level: such tables would pile up there, one more file to
/// open per retirement, until a level holds 64 MB. A keyspace past [`MAX_TABLES`] is
/// compacted whole instead — rewriting its tables (not its blob files) once every
/// `MAX_TABLES` retirements at most.
fn settle(db: &Database, keyspaces: &[&Keyspace]) {
    wait_for_compactions(db, keyspaces);
    for keyspace in keyspaces {
        if keyspace.table_count() > MAX_TABLES {
            // A failed compaction leaves the tables as they were.
            let _ = keyspace.major_compact();
        }
    }
}

/// Waits for the compactions of the first levels; see [`settle`].
fn wait_for_compactions(db: &Database, keyspaces: &[&Keyspace]) {
    let deadline = Instant::now() + COMPACTION_PATIENCE;
    let mut idle_since = None;
    while keyspaces.iter().any(|k| k.l0_table_count() >= L0_THRESHOLD) {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        if db.active_compactions() == 0 {
            if now.duration_since(*idle_since.get_or_insert(now)) >= COMPACTION_IDLE {
                return;
            }
        } else {
            idle_since = None;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A journal retirement, made when dropped (after the database it belongs to: declare it
/// after the database's handles).
pub(crate) struct Retirement {
    db: PathBuf,
    /// Whether this store may retire its journal at all (a copy opened for salvage may not).
    allowed: bool,
    due: bool,
}

impl Retirement {
    pub(crate) fn new(db: PathBuf, allowed: bool) -> Retirement {
        Retirement {
            db,
            allowed,
            due: false,
        }
    }

    /// Step 1: when the journal is long enough to be worth it, flushes everything and marks
    /// the retirement due, then gives fjall's compactions time to finish. Call while the
    /// database is open and nothing else writes.
    pub(crate) fn prepare(&mut self, db: &Database, keyspaces: &[&Keyspace]) {
        if !self.allowed || journal_bytes(&self.db) <= RETIRE_AFTER {
            return;
        }
        self.due = flush_all(keyspaces, FLUSH_PATIENCE).unwrap_or(false);
        if self.due {
            settle(db, keyspaces);
        }
    }
}

impl Drop for Retirement {
    fn drop(&mut self) {
        if self.due && fjall_closed(&self.db) {
            // On failure the old journals stay (all or some): fjall replays them, as before.
            let _ = retire(&self.db);
        }
    }
}

/// Whether fjall has let go of the database in `db` (its lock file is free).
fn fjall_closed(db: &Path) -> bool {
    let Ok(file) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(db.join("lock"))
    else {
        return false;
    };
    // Released again when `file` is closed.
    file.try_lock().is_ok()
}

/// Steps 2–3: replaces the journals of the closed database in `db` with one empty journal.
pub(crate) fn retire(db: &Path) -> std::io::Result<()> {
    let old = journals(db)?;
    let Some(&(newest, _)) = old.last() else {
        return Ok(());
    };
    let fresh = db.join(format!("{}.jnl", newest + 1));
    std::fs::File::create_new(&fresh)?.sync_all()?;
    sync_dir(db)?;
    for (_, path) in &old {
        std::fs::remove_file(path)?;
    }
    sync_dir(db)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}
