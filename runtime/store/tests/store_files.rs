//! Damage to the store's files, one file at a time: for every file of a store holding runs
//! — each keyspace's `current`, the version file, the journal, the tables — deleted,
//! truncated or with a byte flipped, opening and reading either gives every run and turn
//! back intact or fails with an error naming what is damaged. Never a shorter answer, and
//! nothing is deleted: the files after are a superset of the files before. `duet store
//! salvage` then recovers every run the damage did not touch.
//!
//! Two stores: one whose journal holds everything written (part of it also flushed to
//! tables), and one whose journal was retired as it closed (its runs in tables only, one
//! table per run) with one more run written after, in the journal only.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use duet_store::{NewRun, NewTurn, RunId, Store};

const RUNS: u64 = 3;
const TURNS: u64 = 20;

/// Writes a run of `TURNS` turns whose payloads are `size` bytes or more.
fn write_run(store: &Store, r: u64, size: usize) {
    let run = store
        .create_run(NewRun {
            workflow: format!("w{r}"),
            program_hash: "0".repeat(64),
            at: 0,
        })
        .expect("a run");
    for t in 1..=TURNS {
        let mut payload = format!("r{r}t{t}").into_bytes();
        payload.resize(payload.len().max(size), b'.');
        store
            .append_turn(
                run.id,
                "main",
                &NewTurn {
                    at: t,
                    payload,
                    state_digest: [t as u8; 32],
                },
            )
            .expect("a turn");
        if t == TURNS / 2 && r == 0 && size == 0 {
            store.flush().expect("flushed");
        }
    }
}

/// A store with `RUNS` runs of `TURNS` turns each, part flushed to tables and all of it in
/// the journal.
fn make(dir: &Path) {
    let store = Store::open(dir).expect("a store");
    for r in 0..RUNS {
        write_run(&store, r, 0);
    }
}

/// A store with `RUNS` runs of `TURNS` turns each, each run flushed to its own tables, whose
/// journal was retired as the store closed; then one more run, in the journal only.
fn make_retired(dir: &Path) {
    {
        let store = Store::open(dir).expect("a store");
        for r in 0..RUNS {
            // 20 turns of 5 KB: 300 KB of journal in all, over the 256 KiB at which closing
            // retires it.
            write_run(&store, r, 5_000);
            store.flush().expect("flushed");
        }
    }
    let journal: u64 = files(dir)
        .iter()
        .filter(|f| f.to_string_lossy().ends_with(".jnl"))
        .map(|f| std::fs::metadata(dir.join(f)).expect("a journal").len())
        .sum();
    assert_eq!(journal, 0, "the journal was retired");
    let store = Store::open(dir).expect("the store");
    write_run(&store, RUNS, 0);
    drop(store);
    // fjall removes the version files its flushes made obsolete when it next opens the
    // store: done here, so that the harms below see only what any open leaves.
    drop(Store::open(dir).expect("the store"));
}

fn files(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("readable") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.insert(path.strip_prefix(dir).expect("inside").to_path_buf());
            }
        }
    }
    out
}

fn copy(from: &Path, to: &Path) {
    for file in files(from) {
        let target = to.join(&file);
        std::fs::create_dir_all(target.parent().expect("a parent")).expect("dirs");
        std::fs::copy(from.join(&file), target).expect("copied");
    }
}

/// Each run's turns' payloads, by run number.
type Runs = BTreeMap<u64, Vec<Vec<u8>>>;

/// What reading everything gives: every run's turns, or the first error.
fn read_all(dir: &Path) -> Result<Runs, String> {
    let store = Store::open(dir).map_err(|e| e.to_string())?;
    let runs = store.runs().map_err(|e| e.to_string())?;
    let mut out = Runs::new();
    for run in runs {
        let turns = store
            .read_turns(run.id, "main", 1)
            .map_err(|e| e.to_string())?;
        out.insert(run.id.0, turns.into_iter().map(|t| t.payload).collect());
    }
    Ok(out)
}

/// Whether `file` is a keyspace's version file (`db/keyspaces/K/vN`, the list of its tables)
/// that a newer one (`vM`, M > N) in `after` replaced: fjall writes a new version when it
/// flushes what it recovered from the journal into a table (in the background, so whether
/// that happens before a reader closes the store depends on timing) and removes the old one.
/// The tables it listed are all in the new one; nothing is lost.
fn superseded_version(file: &Path, after: &BTreeSet<PathBuf>) -> bool {
    let number =
        |f: &Path| -> Option<u64> { f.file_name()?.to_str()?.strip_prefix('v')?.parse().ok() };
    let Some(old) = number(file) else {
        return false;
    };
    let Some(keyspace) = file.parent() else {
        return false;
    };
    keyspace
        .parent()
        .is_some_and(|p| p.ends_with("db/keyspaces"))
        && after
            .iter()
            .any(|f| f.parent() == Some(keyspace) && number(f).is_some_and(|new| new > old))
}

/// Every run of the store in `dir` that reads, leaving out those that do not.
fn readable_runs(dir: &Path) -> Runs {
    let store = Store::open(dir).expect("the salvaged store opens");
    let runs = store.runs().expect("its runs list");
    runs.into_iter()
        .filter_map(|run| {
            let turns = store.read_turns(run.id, "main", 1).ok()?;
            Some((run.id.0, turns.into_iter().map(|t| t.payload).collect()))
        })
        .collect()
}

/// The runs with a record in the table file `file` (in the store in `store`) of a keyspace keyed by run (every
/// keyspace but `meta` and `blobs`, numbered 1 and 7 in these stores, and fjall's own, 0).
fn runs_in_table(store: &Path, file: &Path) -> BTreeSet<u64> {
    let keyspace = file
        .iter()
        .nth(2)
        .and_then(|n| n.to_str())
        .and_then(|n| n.parse::<u32>().ok());
    if matches!(keyspace, Some(0 | 1 | 7) | None) {
        return BTreeSet::new();
    }
    let cache = std::sync::Arc::new(lsm_tree::Cache::with_capacity_bytes(1 << 20));
    let table = lsm_tree::Table::recover(
        store.join(file),
        lsm_tree::Checksum::from_raw(0),
        0,
        0,
        cache,
        None,
        false,
        false,
    )
    .expect("an intact table opens");
    table
        .iter()
        .map(|item| {
            let key = item.expect("an intact table reads").key.user_key;
            u64::from_be_bytes(key[..8].try_into().expect("a run's key"))
        })
        .collect()
}

#[derive(Clone, Copy, Debug)]
enum Harm {
    Delete,
    Truncate,
    Flip,
}

fn harm(path: &Path, how: Harm) {
    match how {
        Harm::Delete => std::fs::remove_file(path).expect("deleted"),
        Harm::Truncate => {
            let len = std::fs::metadata(path).expect("metadata").len();
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .expect("opened");
            file.set_len(len / 2).expect("truncated");
        }
        Harm::Flip => {
            let mut bytes = std::fs::read(path).expect("read");
            if bytes.is_empty() {
                return;
            }
            let at = bytes.len() / 2;
            bytes[at] ^= 0x10;
            std::fs::write(path, bytes).expect("written");
        }
    }
}

#[test]
fn damage_to_any_file_is_named_or_harmless_and_salvage_saves_every_run_it_did_not_touch() {
    // Everything is in the journal too: whatever one file's damage, salvage saves every run
    // but those the journal alone held when the journal is the damaged file.
    let original = tempfile::tempdir().expect("a directory");
    make(original.path());
    every_harm(original.path(), &|file| {
        if file.to_string_lossy().ends_with(".jnl") {
            // Run 1's first half was flushed to tables as well; the rest only the journal had.
            (1..=RUNS).collect()
        } else {
            BTreeSet::new()
        }
    });
    // The journal retired: the runs are in tables only (each run its own), and one run
    // written since is in the journal only.
    let retired = tempfile::tempdir().expect("a directory");
    make_retired(retired.path());
    every_harm(retired.path(), &|file| {
        if file.to_string_lossy().ends_with(".jnl") {
            BTreeSet::from([RUNS + 1])
        } else if file.to_string_lossy().contains("/tables/") {
            runs_in_table(retired.path(), file)
        } else {
            BTreeSet::new()
        }
    });
}

/// Harms each file of the store in `original` in each way (in a copy), and checks what
/// reading and salvaging give; `touched` names the runs a file holds records of.
fn every_harm(original: &Path, touched: &dyn Fn(&Path) -> BTreeSet<u64>) {
    let intact = read_all(original).expect("the intact store reads");
    assert!(intact.len() as u64 >= RUNS);
    let kinds: Vec<PathBuf> = files(original)
        .into_iter()
        .filter(|f| f.starts_with("db") && !f.ends_with("lock"))
        .collect();
    assert!(kinds.iter().any(|f| f.ends_with("current")));
    assert!(kinds.iter().any(|f| f.to_string_lossy().ends_with(".jnl")));
    let mut silent = Vec::new();
    let mut named = 0;
    let mut salvage_failed = Vec::new();
    for file in &kinds {
        for how in [Harm::Delete, Harm::Truncate, Harm::Flip] {
            let copy_dir = tempfile::tempdir().expect("a directory");
            copy(original, copy_dir.path());
            harm(&copy_dir.path().join(file), how);
            let before = files(copy_dir.path());
            let read = read_all(copy_dir.path());
            let readable = read.as_ref().is_ok_and(|r| *r == intact);
            match read {
                Ok(read) if read == intact => {}
                Ok(read) => silent.push(format!(
                    "{how:?} {}: read {} runs / {:?} turns without an error",
                    file.display(),
                    read.len(),
                    read.values().map(Vec::len).collect::<Vec<_>>()
                )),
                Err(message) => {
                    named += 1;
                    assert!(
                        message.contains("damaged") || message.contains("missing"),
                        "{how:?} {}: {message}",
                        file.display()
                    );
                }
            }
            // Salvage copies what can be read into a new store and leaves this one alone.
            let elsewhere = tempfile::tempdir().expect("a directory");
            let salvaged = elsewhere.path().join("salvaged");
            let scratch = elsewhere.path().join("scratch");
            let untouched = files(copy_dir.path());
            let report = match duet_store::salvage(copy_dir.path(), &salvaged, &scratch) {
                Ok(report) => report,
                // Nothing could be opened even from a copy: said, and nothing was changed.
                Err(e) => {
                    assert!(
                        !readable,
                        "{how:?} {}: a readable store, yet: {e}",
                        file.display()
                    );
                    salvage_failed.push(format!("{how:?} {}: {e}", file.display()));
                    assert_eq!(files(copy_dir.path()), untouched);
                    continue;
                }
            };
            let saved = Store::open(&salvaged).expect("the salvaged store opens");
            assert!(saved.check().expect("checks").problems.is_empty());
            drop(saved);
            let rescued = readable_runs(&salvaged);
            for (run, turns) in &rescued {
                assert!(
                    intact.get(run).is_some_and(|i| i.starts_with(turns)),
                    "{how:?} {}: salvage invented data",
                    file.display()
                );
            }
            let touched = touched(file);
            for (run, turns) in &intact {
                if !touched.contains(run) {
                    assert!(
                        rescued.get(run) == Some(turns),
                        "{how:?} {}: salvage lost run r{run} ({} of its {} turns saved), which \
                         the damage did not touch (set aside: {:?}; lost: {:?})",
                        file.display(),
                        rescued.get(run).map_or(0, Vec::len),
                        turns.len(),
                        report.set_aside,
                        report.lost
                    );
                }
            }
            if report.lost.is_empty() && report.recovered_from.is_none() {
                assert_eq!(
                    rescued,
                    intact,
                    "{how:?} {}: nothing lost, all saved",
                    file.display()
                );
            }
            std::fs::remove_dir_all(&salvaged).expect("removed");
            std::fs::remove_dir_all(&scratch).expect("removed");
            assert_eq!(
                files(copy_dir.path()),
                untouched,
                "salvage changed the damaged store"
            );
            let after = files(copy_dir.path());
            let lost: Vec<&PathBuf> = before
                .iter()
                .filter(|f| {
                    !after.contains(*f) && !f.ends_with("lock") && !superseded_version(f, &after)
                })
                .collect();
            assert!(
                lost.is_empty(),
                "{how:?} {}: deleted {lost:?}",
                file.display()
            );
        }
    }
    assert!(named > 0);
    assert!(
        salvage_failed.is_empty(),
        "salvage failed:\n{}",
        salvage_failed.join("\n")
    );
    assert!(silent.is_empty(), "silent losses:\n{}", silent.join("\n"));
}

#[test]
fn a_missing_keyspace_file_is_named_and_the_store_is_not_started_over() {
    let dir = tempfile::tempdir().expect("a directory");
    make(dir.path());
    let current = dir.path().join("db/keyspaces/0/current");
    std::fs::remove_file(&current).expect("deleted");
    let message = Store::open(dir.path()).expect_err("refused").to_string();
    assert!(message.contains("db/keyspaces/0/current"), "{message}");
    assert!(message.contains("nothing in it was changed"), "{message}");
    // Refused again, and the other keyspaces' files are all still there.
    assert!(Store::open(dir.path()).is_err());
    assert!(dir.path().join("db/keyspaces/1/current").is_file());
    let _ = RunId(1);
}
