//! Damage to the store's files, one file at a time: for every file of a store holding runs
//! — each keyspace's `current`, the version file, the journal, the tables — deleted,
//! truncated or with a byte flipped, opening and reading either gives every run and turn
//! back intact or fails with an error naming what is damaged. Never a shorter answer, and
//! nothing is deleted: the files after are a superset of the files before.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use duet_store::{NewRun, NewTurn, RunId, Store};

const RUNS: u64 = 3;
const TURNS: u64 = 20;

/// A store with `RUNS` runs of `TURNS` turns each, part flushed to tables and part only in
/// the journal.
fn make(dir: &Path) {
    let store = Store::open(dir).expect("a store");
    for r in 0..RUNS {
        let run = store
            .create_run(NewRun {
                workflow: format!("w{r}"),
                program_hash: "0".repeat(64),
                at: 0,
            })
            .expect("a run");
        for t in 1..=TURNS {
            store
                .append_turn(
                    run.id,
                    "main",
                    &NewTurn {
                        at: t,
                        payload: format!("r{r}t{t}").into_bytes(),
                        state_digest: [t as u8; 32],
                    },
                )
                .expect("a turn");
            if t == TURNS / 2 && r == 0 {
                store.flush().expect("flushed");
            }
        }
    }
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

/// What reading everything gives: every run's turns, or the first error.
fn read_all(dir: &Path) -> Result<Vec<Vec<Vec<u8>>>, String> {
    let store = Store::open(dir).map_err(|e| e.to_string())?;
    let runs = store.runs().map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for run in runs {
        let turns = store
            .read_turns(run.id, "main", 1)
            .map_err(|e| e.to_string())?;
        out.push(turns.into_iter().map(|t| t.payload).collect());
    }
    Ok(out)
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
fn damage_to_any_file_is_named_or_harmless_and_never_loses_data_silently() {
    let original = tempfile::tempdir().expect("a directory");
    make(original.path());
    let intact = read_all(original.path()).expect("the intact store reads");
    assert_eq!(intact.len() as u64, RUNS);
    let kinds: Vec<PathBuf> = files(original.path())
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
            copy(original.path(), copy_dir.path());
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
                    read.iter().map(Vec::len).collect::<Vec<_>>()
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
            let rescued = read_all(&salvaged).unwrap_or_default();
            for (run, turns) in rescued.iter().enumerate() {
                assert!(
                    intact[run].starts_with(turns),
                    "{how:?} {}: salvage invented data",
                    file.display()
                );
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
                .filter(|f| !after.contains(*f) && !f.ends_with("lock"))
                .collect();
            assert!(
                lost.is_empty(),
                "{how:?} {}: deleted {lost:?}",
                file.display()
            );
        }
    }
    assert!(named > 0);
    eprintln!(
        "{} harms; salvage could open nothing in {}:\n{}",
        kinds.len() * 3,
        salvage_failed.len(),
        salvage_failed.join("\n")
    );
    // fjall opens a database whole or not at all: a damaged table or version file leaves
    // nothing for salvage to read (reading table by table is not done yet).
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
