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
use super::{Durability, Store};

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
    /// Set when the damaged store could not be opened as it was and fjall recovered a copy
    /// of it: why it could not be opened.
    pub recovered_from: Option<String>,
}

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
                            key: "(unreadable)".into(),
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
/// not exist yet), leaving `from` unchanged; `scratch` is where a copy of the damaged files
/// is opened when `from` cannot be opened as it is.
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
    // Always a copy: fjall's recovery cuts what it cannot read, and the damaged store must
    // stay as it was for whoever looks at it next.
    copy_files(from, scratch)?;
    let source = match Store::open(scratch) {
        Ok(source) => source,
        Err(e) => {
            // Let fjall recover what it can of the copy: without the inventory and the mark
            // the store's own checks would refuse it, as they should refuse the original.
            report.recovered_from = Some(e.to_string());
            let _ = std::fs::remove_file(scratch.join(super::preflight::LAYOUT_FILE));
            let _ = std::fs::remove_file(scratch.join(super::acked::ACKED_FILE));
            // With its journal gone, fjall will not open a database at all; an empty one
            // lets it read what its tables hold.
            let db = scratch.join(layout::DB_DIR);
            let has_journal = std::fs::read_dir(&db).is_ok_and(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .any(|e| e.file_name().to_string_lossy().ends_with(".jnl"))
            });
            if !has_journal {
                let _ = std::fs::write(db.join("0.jnl"), b"");
            }
            Store::open(scratch)?
        }
    };
    let target = Store::open_with(to, Durability::Sync)?;
    let target_spaces = target.keyspaces();
    let mut pending = 0;
    let mut batch = target.inner.db.batch();
    source.each_record(|index, key, value, problem| {
        if let Some(problem) = problem {
            report.lost.push(problem);
            return Ok(());
        }
        // The new store keeps its own write number.
        if index == 0 && key == super::acked::SEQ_KEY {
            return Ok(());
        }
        batch.insert(target_spaces[index].1, key.to_vec(), value.to_vec());
        report.copied += 1;
        pending += 1;
        if pending == 1000 {
            let full = std::mem::replace(&mut batch, target.inner.db.batch());
            target.commit(target.write_lock(), full)?;
            pending = 0;
        }
        Ok(())
    })?;
    target.commit(target.write_lock(), batch)?;
    Ok(report)
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
