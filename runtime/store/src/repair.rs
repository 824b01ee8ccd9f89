//! Making a damaged *copy* of a store openable, for [`salvage`](super::salvage): fjall opens
//! a database whole or not at all, so one damaged table, version file or `current` file
//! would leave nothing to read. Each damaged piece is set aside and a fresh equivalent put
//! in its place, taken from a new, empty store made for the purpose (the *template*):
//!
//! * fjall's `version` file, when it differs from the template's;
//! * a keyspace directory (an LSM tree: `current`, its version file, tables, blob files)
//!   that cannot be opened or read to the end on its own — replaced by the template's empty
//!   keyspace of the same number. Opening the copy then replays fjall's journal into it, so
//!   every record written since the journal was last retired comes back; what only the
//!   tables held is then read from the set-aside tables one by one ([`read_tables`]).
//!
//! * a write batch of the journal that does not check: fjall refuses the whole journal
//!   then. The batch is found by asking fjall to open journals cut at ever closer points
//!   ([`cut_damaged_journal`]) and cut out; the batches before and after it are kept.
//!
//! Keyspaces are numbered by fjall in the order a store first opens them, the same for
//! every store this crate made; a store whose keyspace numbers differ from the template's
//! is not repaired. The damaged store itself is never touched: all of this happens in the
//! copy.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fjall::{AbstractTree, KvSeparationOptions};
use lsm_tree::{Guard as _, SeqNo, SequenceNumberCounter, ValueType};

use super::check::Problem;
use super::error::{Result, StoreError};
use super::{Durability, Store, layout};

/// A keyspace set aside, to be read table by table.
pub(crate) struct SetAside {
    /// The keyspace's index in [`super::Keyspaces::all`].
    pub index: usize,
    /// Where its directory now is.
    pub dir: PathBuf,
}

/// What [`set_aside_damage`] did.
#[derive(Default)]
pub(crate) struct Repairs {
    pub keyspaces: Vec<SetAside>,
    /// Each piece replaced, and why.
    pub replaced: Vec<Problem>,
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io {
        action,
        path,
        source,
    }
}

/// Sets aside, in the store copy at `copy`, every piece fjall could not open or read, using
/// `work` (a new directory) for the template and the pieces set aside.
pub(crate) fn set_aside_damage(copy: &Path, work: &Path) -> Result<Repairs> {
    let template = work.join("template");
    // (number, separated values) of each keyspace, in the order of `Keyspaces::all`.
    let numbered: Vec<(u64, bool)> = {
        let store = Store::open_with(&template, Durability::Buffered)?;
        store
            .inner
            .ks
            .all()
            .iter()
            .map(|k| (k.id(), k.is_kv_separated()))
            .collect()
    };
    let db = copy.join(layout::DB_DIR);
    let fresh = template.join(layout::DB_DIR);
    let aside = work.join("aside");
    std::fs::create_dir_all(&aside).map_err(io("create", &aside))?;
    let mut repairs = Repairs::default();

    let version = std::fs::read(fresh.join("version")).map_err(io("read", &fresh))?;
    let found = std::fs::read(db.join("version"));
    if found.as_ref().ok() != Some(&version) {
        let what = match found {
            Ok(_) => "damaged",
            Err(_) => "missing",
        };
        let _ = std::fs::rename(db.join("version"), aside.join("version"));
        std::fs::write(db.join("version"), &version).map_err(io("write", &db))?;
        repairs.replaced.push(Problem {
            keyspace: "database",
            key: "db/version".into(),
            what: format!("{what}; a fresh one was put in its place"),
        });
    }

    // fjall's own catalogue of keyspaces (number 0) first, then the store's.
    let catalogue = std::iter::once((None, 0, false));
    let ours = numbered
        .iter()
        .enumerate()
        .map(|(i, &(n, kv))| (Some(i), n, kv));
    for (index, number, separated) in catalogue.chain(ours) {
        let relative = format!("keyspaces/{number}");
        let Err(why) = readable(&db.join(&relative), separated) else {
            continue;
        };
        let moved = aside.join(number.to_string());
        if db.join(&relative).exists() {
            std::fs::rename(db.join(&relative), &moved).map_err(io("set aside", &moved))?;
        }
        copy_tree(&fresh.join(&relative), &db.join(&relative))?;
        repairs.replaced.push(Problem {
            keyspace: index.map_or("database", |i| KEYSPACE_NAMES[i]),
            key: format!("db/{relative}"),
            what: format!("{why}; set aside, and an empty one put in its place"),
        });
        if let Some(index) = index
            && moved.exists()
        {
            repairs.keyspaces.push(SetAside { index, dir: moved });
        }
    }
    let expected: Vec<String> = std::iter::once(0)
        .chain(numbered.iter().map(|&(n, _)| n))
        .map(|n| n.to_string())
        .collect();
    let mut present: Vec<String> = std::fs::read_dir(db.join("keyspaces"))
        .map_err(io("list", &db))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    present.sort();
    let mut wanted = expected.clone();
    wanted.sort();
    if present != wanted {
        return Err(StoreError::Io {
            action: "tell apart the keyspaces of",
            path: db,
            source: std::io::Error::other(format!(
                "it holds keyspaces {present:?}, not the {wanted:?} of a store this duet makes"
            )),
        });
    }
    Ok(repairs)
}

/// The names of the keyspaces in the order of [`super::Keyspaces::all`].
pub(crate) const KEYSPACE_NAMES: [&str; 7] = [
    layout::META,
    layout::RUNS,
    layout::BRANCHES,
    layout::NAMES,
    layout::TURNS,
    layout::SNAPSHOTS,
    layout::BLOBS,
];

/// Whether the LSM tree in `dir` opens on its own and reads to the end.
fn readable(dir: &Path, separated: bool) -> std::result::Result<(), String> {
    if !dir.join("current").is_file() {
        // (Opening it would make a new, empty tree.)
        return Err("its current file is missing".into());
    }
    let tree = lsm_tree::Config::new(
        dir,
        SequenceNumberCounter::default(),
        SequenceNumberCounter::default(),
    )
    .with_kv_separation(separated.then(KvSeparationOptions::default))
    .open()
    .map_err(|e| format!("it does not open ({e:?})"))?;
    for guard in tree.iter(SeqNo::MAX, None) {
        guard
            .into_inner()
            .map_err(|e| format!("it cannot be read to the end ({e:?})"))?;
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(io("create", to))?;
    for entry in std::fs::read_dir(from).map_err(io("list", from))? {
        let entry = entry.map_err(io("list", from))?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(io("copy", &entry.path()))?;
        }
    }
    Ok(())
}

/// The newest version of each key found in the tables of a set-aside keyspace, read one
/// table at a time.
#[derive(Default)]
pub(crate) struct TableRecords {
    /// key → (sequence number, kind, value) of its newest version.
    pub newest: BTreeMap<Vec<u8>, (SeqNo, ValueType, Vec<u8>)>,
    /// Table files that could not be read (or not to the end), and why.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Reads every table file of the keyspace directory `dir`, whatever its version file says.
pub(crate) fn read_tables(dir: &Path) -> TableRecords {
    let mut records = TableRecords::default();
    let tables = dir.join("tables");
    let Ok(entries) = std::fs::read_dir(&tables) else {
        return records;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    let cache = Arc::new(lsm_tree::Cache::with_capacity_bytes(1 << 20));
    for (tree_id, path) in paths.into_iter().enumerate() {
        let table = match lsm_tree::Table::recover(
            path.clone(),
            lsm_tree::Checksum::from_raw(0),
            0,
            tree_id as u64,
            cache.clone(),
            None,
            false,
            false,
        ) {
            Ok(table) => table,
            Err(e) => {
                records
                    .unreadable
                    .push((path, format!("it does not open ({e:?})")));
                continue;
            }
        };
        for item in table.iter() {
            match item {
                Ok(item) => {
                    let key = item.key;
                    let newer = records
                        .newest
                        .get(key.user_key.as_ref())
                        .is_none_or(|(seqno, _, _)| *seqno < key.seqno);
                    if newer {
                        records.newest.insert(
                            key.user_key.to_vec(),
                            (key.seqno, key.value_type, item.value.to_vec()),
                        );
                    }
                }
                Err(e) => {
                    records.unreadable.push((
                        path.clone(),
                        format!("it cannot be read to the end ({e:?})"),
                    ));
                    break;
                }
            }
        }
    }
    records
}

/// fjall's marker file of a database, as the template has it.
pub(crate) fn version_marker(work: &Path) -> Result<Vec<u8>> {
    let path = work.join("template").join(layout::DB_DIR).join("version");
    std::fs::read(&path).map_err(io("read", &path))
}

/// Most damaged batches cut out of one journal before salvage gives up on it.
const MAX_CUTS: usize = 16;

/// When fjall refuses the journal of the store copy at `copy` (a write batch whose checksum
/// does not match), cuts each such batch out, splitting the journal into consecutive
/// journal files around it: fjall replays them oldest first, dropping the unfinished batch
/// at the end of each. Returns the batches cut out. Only a store with one journal file (fjall
/// starts another past 64 MB) is cut.
pub(crate) fn cut_damaged_journal(copy: &Path, work: &Path) -> Result<Vec<Problem>> {
    let db = copy.join(layout::DB_DIR);
    let journals = super::retire::journals(&db).map_err(io("list", &db))?;
    let [(number, path)] = journals.as_slice() else {
        return Ok(Vec::new());
    };
    let bytes = std::fs::read(path).map_err(io("read", path))?;
    let probe = Probe {
        dir: work.join("probe"),
        version: version_marker(work)?,
    };
    if probe.opens(&bytes)? {
        return Ok(Vec::new());
    }
    let mut pieces: Vec<&[u8]> = Vec::new();
    let mut cut = Vec::new();
    let (mut rest, mut offset) = (&bytes[..], 0);
    loop {
        // `rest` is refused and its empty prefix is not: find the shortest refused prefix,
        // which ends where the damaged batch ends.
        let (mut good, mut bad) = (0, rest.len());
        while bad - good > 1 {
            let mid = good + (bad - good) / 2;
            if probe.opens(&rest[..mid])? {
                good = mid;
            } else {
                bad = mid;
            }
        }
        pieces.push(&rest[..good]);
        cut.push(Problem {
            keyspace: "journal",
            key: format!(
                "db/{number}.jnl, the write batch ending at byte {}",
                offset + bad
            ),
            what: "it does not check; the records it wrote are lost".into(),
        });
        rest = &rest[bad..];
        offset += bad;
        if probe.opens(rest)? {
            pieces.push(rest);
            break;
        }
        if cut.len() == MAX_CUTS {
            // Leave the journal as it was: fjall's refusal then says what is wrong.
            return Ok(Vec::new());
        }
    }
    let _ = std::fs::remove_dir_all(&probe.dir);
    for (i, piece) in pieces.iter().enumerate() {
        let piece_path = db.join(format!("{}.jnl", number + 1 + i as u64));
        std::fs::write(&piece_path, piece).map_err(io("write", &piece_path))?;
    }
    std::fs::remove_file(path).map_err(io("remove", path))?;
    Ok(cut)
}

/// A scratch database in which fjall is asked whether it accepts a journal.
struct Probe {
    dir: PathBuf,
    version: Vec<u8>,
}

impl Probe {
    /// Whether fjall opens a database whose journal is `journal` (and which has no
    /// keyspaces: their records are read, checked and skipped).
    fn opens(&self, journal: &[u8]) -> Result<bool> {
        let _ = std::fs::remove_dir_all(&self.dir);
        std::fs::create_dir_all(&self.dir).map_err(io("create", &self.dir))?;
        std::fs::create_dir_all(self.dir.join("keyspaces")).map_err(io("create", &self.dir))?;
        std::fs::write(self.dir.join("lock"), b"").map_err(io("write", &self.dir))?;
        std::fs::write(self.dir.join("version"), &self.version).map_err(io("write", &self.dir))?;
        std::fs::write(self.dir.join("0.jnl"), journal).map_err(io("write", &self.dir))?;
        Ok(fjall::Database::builder(&self.dir).open().is_ok())
    }
}
