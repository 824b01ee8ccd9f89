//! Checking a whole store, and salvaging what can still be read from a damaged one.
//!
//! [`Store::check`] reads every record of every keyspace and checks it (envelope, version,
//! checksum, contents; a blob's hash against its bytes), listing every problem instead of
//! stopping at the first. [`salvage`] copies every record that checks into a new store,
//! keeping run, segment and turn numbers, and lists what it could not save. It works on a
//! copy of the damaged store's files, so the damaged store itself is never changed, not even
//! by fjall's recovery.

use std::path::{Path, PathBuf};

use fjall::Keyspace;

use super::blobs::BlobHash;
use super::error::{Result, StoreError};
use super::layout;
use super::records::{
    self, BLOB_MAGIC, BLOB_VERSION, BRANCH_MAGIC, BRANCH_VERSION, BlobRecord, BranchRecord,
    META_MAGIC, NAME_MAGIC, NAME_VERSION, NameRecord, RUN_MAGIC, RUN_VERSION, RunRecord,
    SNAPSHOT_MAGIC, SNAPSHOT_VERSION, STORE_FORMAT, SnapshotRecord, StoreMeta, TURN_MAGIC,
    TURN_VERSION, TurnRecord,
};
use super::{Durability, Store, repair};

/// One record that does not check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The keyspace it is in (`runs`, `turns`, …).
    pub keyspace: &'static str,
    /// Its key, for people (`run r3 segment 0 turn 7`).
    pub key: String,
    /// What is wrong with it.
    pub what: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.keyspace, self.key, self.what)
    }
}

/// What a check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Records read.
    pub records: u64,
    /// Records that do not check.
    pub problems: Vec<Problem>,
}

/// What a salvage did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SalvageReport {
    /// Records copied into the new store.
    pub copied: u64,
    /// Records left behind, and why.
    pub lost: Vec<Problem>,
    /// Set when the damaged store could not be opened (or read through) as it was and a
    /// repaired copy of it was read: why it could not be.
    pub recovered_from: Option<String>,
    /// The pieces of the database that could not be used and were set aside in the copy
    /// (an empty equivalent took their place), and why.
    pub set_aside: Vec<Problem>,
}

/// The key of a problem that stopped the reading of a keyspace.
const UNREADABLE: &str = "(unreadable)";

/// The keyspaces, each with its name and a check of one record.
type RecordCheck = fn(&[u8], &[u8]) -> std::result::Result<(), String>;

fn checked<T: serde::de::DeserializeOwned>(
    magic: [u8; 4],
    version: u16,
    bytes: &[u8],
) -> std::result::Result<T, String> {
    records::open::<T>(magic, version, bytes).map_err(|e| e.to_string())
}

fn meta_record(key: &[u8], bytes: &[u8]) -> std::result::Result<(), String> {
    if key == layout::META_KEY {
        checked::<StoreMeta>(META_MAGIC, STORE_FORMAT, bytes).map(|_| ())
    } else if key == super::acked::SEQ_KEY {
        match bytes.len() {
            8 => Ok(()),
            n => Err(format!("a write number of {n} bytes, not 8")),
        }
    } else {
        Err("an unknown record".into())
    }
}

fn blob_record(key: &[u8], bytes: &[u8]) -> std::result::Result<(), String> {
    let blob: BlobRecord = checked(BLOB_MAGIC, BLOB_VERSION, bytes)?;
    if BlobHash::of(&blob.bytes).0[..] != *key {
        return Err("its contents do not have the hash it is stored under".into());
    }
    Ok(())
}

impl Store {
    fn keyspaces(&self) -> [(&'static str, &Keyspace, RecordCheck); 7] {
        let ks = &self.inner.ks;
        [
            (layout::META, &ks.meta, meta_record),
            (layout::RUNS, &ks.runs, |_, b| {
                checked::<RunRecord>(RUN_MAGIC, RUN_VERSION, b).map(|_| ())
            }),
            (layout::BRANCHES, &ks.branches, |_, b| {
                checked::<BranchRecord>(BRANCH_MAGIC, BRANCH_VERSION, b).map(|_| ())
            }),
            (layout::NAMES, &ks.names, |_, b| {
                checked::<NameRecord>(NAME_MAGIC, NAME_VERSION, b).map(|_| ())
            }),
            (layout::TURNS, &ks.turns, |_, b| {
                checked::<TurnRecord>(TURN_MAGIC, TURN_VERSION, b).map(|_| ())
            }),
            (layout::SNAPSHOTS, &ks.snapshots, |_, b| {
                checked::<SnapshotRecord>(SNAPSHOT_MAGIC, SNAPSHOT_VERSION, b).map(|_| ())
            }),
            (layout::BLOBS, &ks.blobs, blob_record),
        ]
    }

    /// Visits every record, checked: `visit(keyspace index, key, value, problem)`.
    fn each_record(
        &self,
        mut visit: impl FnMut(usize, &[u8], &[u8], Option<Problem>) -> Result<()>,
    ) -> Result<()> {
        for (index, (name, keyspace, check)) in self.keyspaces().into_iter().enumerate() {
            for guard in keyspace.iter() {
                let (key, value) = match guard.into_inner() {
                    Ok(pair) => pair,
                    Err(e) => {
                        let problem = Problem {
                            keyspace: name,
                            key: UNREADABLE.into(),
                            what: format!("the database cannot read on: {e:?}"),
                        };
                        visit(index, &[], &[], Some(problem))?;
                        break;
                    }
                };
                let problem = check(&key, &value).err().map(|what| Problem {
                    keyspace: name,
                    key: describe_key(name, &key),
                    what,
                });
                visit(index, &key, &value, problem)?;
            }
        }
        Ok(())
    }

    /// Reads and checks every record, listing every problem.
    pub fn check(&self) -> Result<CheckReport> {
        let mut report = CheckReport::default();
        self.each_record(|_, _, _, problem| {
            report.records += 1;
            report.problems.extend(problem);
            Ok(())
        })?;
        Ok(report)
    }
}

/// A record's key for people.
fn describe_key(keyspace: &str, key: &[u8]) -> String {
    let run = |k: &[u8]| {
        k.get(..8)
            .and_then(|b| b.try_into().ok())
            .map(|b: [u8; 8]| format!("run r{}", u64::from_be_bytes(b)))
    };
    // A key's segment number, whatever follows it (turn keys go on with the turn).
    let segment = |k: &[u8]| {
        k.get(8..12)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
    };
    let described = match keyspace {
        layout::RUNS => run(key),
        layout::BRANCHES => run(key)
            .zip(segment(key))
            .map(|(r, s)| format!("{r} segment {s}")),
        layout::NAMES => {
            run(key).map(|r| format!("{r} name {:?}", String::from_utf8_lossy(&key[8..])))
        }
        layout::TURNS | layout::SNAPSHOTS => run(key)
            .zip(segment(key))
            .zip(layout::turn_of_key(key))
            .map(|((r, s), t)| format!("{r} segment {s} turn {t}")),
        layout::BLOBS => key
            .try_into()
            .ok()
            .map(|hash: [u8; 32]| format!("blob {}", BlobHash(hash))),
        _ => None,
    };
    described.unwrap_or_else(|| {
        format!(
            "key {}",
            key.iter().map(|b| format!("{b:02x}")).collect::<String>()
        )
    })
}

/// Copies every readable record of the store in `from` into a new store in `to` (which must
/// not exist yet), leaving `from` unchanged. `scratch` (an empty or missing directory) holds
/// a copy of the damaged files, which is what is opened: fjall's recovery changes what it
/// opens. When the copy cannot be opened or read as it is, its damaged pieces are set aside
/// (see [`repair`](super::repair)): fjall's journal then restores what it holds into fresh
/// keyspaces, and the tables of a keyspace set aside are read one by one for the rest.
pub fn salvage(from: &Path, to: &Path, scratch: &Path) -> Result<SalvageReport> {
    if to.exists() {
        return Err(StoreError::Io {
            action: "salvage into",
            path: to.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "it already exists; name a new directory",
            ),
        });
    }
    let mut report = SalvageReport::default();
    let copy = scratch.join("store");
    // Always a copy: fjall's recovery cuts what it cannot read, and the damaged store must
    // stay as it was for whoever looks at it next.
    copy_files(from, &copy)?;
    let (source, repairs) = match open_whole(&copy) {
        Ok(source) => (source, repair::Repairs::default()),
        Err(e) => {
            report.recovered_from = Some(e.to_string());
            // Without the inventory and the mark the store's own checks would refuse the
            // copy, as they should refuse the original.
            let _ = std::fs::remove_file(copy.join(super::preflight::LAYOUT_FILE));
            let _ = std::fs::remove_file(copy.join(super::acked::ACKED_FILE));
            // With its journal gone, fjall will not open a database at all; an empty one
            // lets it read what its tables hold.
            let db = copy.join(layout::DB_DIR);
            if super::retire::journal_count(&db) == 0 {
                let _ = std::fs::write(db.join("0.jnl"), b"");
            }
            let work = scratch.join("work");
            let repairs = repair::set_aside_damage(&copy, &work)?;
            report
                .lost
                .extend(repair::cut_damaged_journal(&copy, &work)?);
            (Store::open_copy(&copy)?, repairs)
        }
    };
    report.set_aside = repairs.replaced.clone();
    let target = Store::open_with(to, Durability::Sync)?;
    let target_spaces = target.keyspaces();
    let mut writer = Copier {
        target: &target,
        batch: target.inner.db.batch(),
        pending: 0,
    };
    source.each_record(|index, key, value, problem| {
        if let Some(problem) = problem {
            report.lost.push(problem);
            return Ok(());
        }
        if index_is_seq(index, key) {
            return Ok(());
        }
        writer.put(target_spaces[index].1, key, value)?;
        report.copied += 1;
        Ok(())
    })?;
    // What only the tables of a keyspace set aside held: every key the journal did not
    // bring back, at its newest version.
    let source_spaces = source.keyspaces();
    for aside in &repairs.keyspaces {
        let (name, keyspace, check) = source_spaces[aside.index];
        let tables = repair::read_tables(&aside.dir);
        for (path, why) in tables.unreadable {
            report.lost.push(Problem {
                keyspace: name,
                key: format!("table file {}", path.display()),
                what: format!("{why}; the records it alone held are lost"),
            });
        }
        for (key, (_, kind, value)) in tables.newest {
            if index_is_seq(aside.index, &key)
                || source
                    .get(keyspace, &key, "reading a salvaged key")?
                    .is_some()
            {
                continue;
            }
            let problem = match kind {
                lsm_tree::ValueType::Value => check(&key, &value).err(),
                lsm_tree::ValueType::Indirection => Some(
                    "its value was kept in a blob file of the damaged keyspace, which cannot be \
                     read without the keyspace's version file"
                        .to_string(),
                ),
                // Deleted.
                _ => continue,
            };
            if let Some(what) = problem {
                report.lost.push(Problem {
                    keyspace: name,
                    key: describe_key(name, &key),
                    what,
                });
                continue;
            }
            writer.put(target_spaces[aside.index].1, &key, &value)?;
            report.copied += 1;
        }
    }
    writer.finish()?;
    Ok(report)
}

/// Whether `key` of keyspace `index` is the store's write number, which a new store keeps
/// for itself.
fn index_is_seq(index: usize, key: &[u8]) -> bool {
    index == 0 && key == super::acked::SEQ_KEY
}

/// Opens the store copy in `dir` and reads it through, failing when anything in it cannot
/// be read.
fn open_whole(dir: &Path) -> Result<Store> {
    let store = Store::open_copy(dir)?;
    let report = store.check()?;
    match report.problems.iter().find(|p| p.key == UNREADABLE) {
        Some(problem) => Err(StoreError::Io {
            action: "read to the end",
            path: store.inner.db_path.clone(),
            source: std::io::Error::other(problem.to_string()),
        }),
        None => Ok(store),
    }
}

/// Writes records into the salvaged store in batches of a thousand.
struct Copier<'a> {
    target: &'a Store,
    batch: fjall::OwnedWriteBatch,
    pending: usize,
}

impl Copier<'_> {
    fn put(&mut self, keyspace: &Keyspace, key: &[u8], value: &[u8]) -> Result<()> {
        self.batch.insert(keyspace, key.to_vec(), value.to_vec());
        self.pending += 1;
        if self.pending == 1000 {
            let full = std::mem::replace(&mut self.batch, self.target.inner.db.batch());
            self.target.commit(self.target.write_lock(), full)?;
            self.pending = 0;
        }
        Ok(())
    }

    fn finish(self) -> Result<()> {
        self.target.commit(self.target.write_lock(), self.batch)
    }
}

/// Copies the files of the store in `from` (not its lock) to `to`.
fn copy_files(from: &Path, to: &Path) -> Result<()> {
    let io = |action: &'static str, path: PathBuf| {
        move |source| StoreError::Io {
            action,
            path,
            source,
        }
    };
    let mut todo = vec![PathBuf::new()];
    while let Some(relative) = todo.pop() {
        let dir = from.join(&relative);
        std::fs::create_dir_all(to.join(&relative)).map_err(io("create", to.join(&relative)))?;
        for entry in std::fs::read_dir(&dir).map_err(io("list", dir.clone()))? {
            let entry = entry.map_err(io("list", dir.clone()))?;
            let name = relative.join(entry.file_name());
            // A scratch or target directory inside the store is not part of it.
            if entry.path() == to || to.starts_with(entry.path()) {
                continue;
            }
            if entry.path().is_dir() {
                todo.push(name);
            } else if !(relative.as_os_str().is_empty() && entry.file_name() == "lock") {
                // (The store's own lock names the process holding it; it is not copied.)
                std::fs::copy(entry.path(), to.join(&name)).map_err(io("copy", entry.path()))?;
            }
        }
    }
    Ok(())
}
