//! Damaged stores: a truncated record, a flipped byte, a record from a newer duet, a record
//! under the wrong key — each a clear error naming the run and turn, never a panic, with
//! every earlier turn still readable. The store's records are damaged through fjall's API
//! (fjall checksums its own files); damage to fjall's own journal file is tested at the end.

use std::path::{Path, PathBuf};

use duet_lang::envelope::seal;
use duet_store::records::{SNAPSHOT_MAGIC, SNAPSHOT_VERSION, TURN_MAGIC, TURN_VERSION};
use duet_store::{Damage, Location, NewRun, NewTurn, RawKind, RunId, Store, StoreError};

fn turn(i: u64) -> NewTurn {
    NewTurn {
        at: i,
        payload: format!("turn {i} payload").into_bytes(),
        state_digest: [i as u8; 32],
    }
}

/// A store with run r1 of `turns` turns on main, snapshots at 2 and 4.
fn store_with_turns(dir: &Path, turns: u64) -> (Store, RunId) {
    let store = Store::open(dir).unwrap();
    let run = store
        .create_run(NewRun {
            workflow: "w".into(),
            program_hash: "h".into(),
            at: 0,
        })
        .unwrap()
        .id;
    for i in 1..=turns {
        store.append_turn(run, "main", &turn(i)).unwrap();
    }
    if turns >= 4 {
        store.put_snapshot(run, "main", 2, b"state 2").unwrap();
        store.put_snapshot(run, "main", 4, b"state 4").unwrap();
    }
    (store, run)
}

fn damage_turn(store: &Store, run: RunId, number: u64, change: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = store
        .raw_record(RawKind::Turn, run, "main", number)
        .unwrap()
        .unwrap();
    change(&mut bytes);
    store
        .put_raw_record(RawKind::Turn, run, "main", number, &bytes)
        .unwrap();
}

/// Reads main, expecting damage at `bad`: checks the good prefix and the error, and returns
/// the error's message.
fn expect_damage_at(store: &Store, run: RunId, branch: &str, bad: u64) -> String {
    let partial = store.read_turns(run, branch, 1).unwrap_err();
    assert_eq!(
        partial.turns.iter().map(|t| t.turn).collect::<Vec<_>>(),
        (1..bad).collect::<Vec<_>>(),
        "every turn before the damaged one is read"
    );
    for t in &partial.turns {
        assert_eq!(t.payload, turn(t.turn).payload);
    }
    assert_eq!(
        partial.error.damaged_at(),
        Some(&Location::Turn {
            run,
            branch: branch.into(),
            turn: bad
        })
    );
    // Every turn before it is also readable one by one.
    for n in 1..bad {
        assert_eq!(store.turn(run, branch, n).unwrap().payload, turn(n).payload);
    }
    assert!(store.turn(run, branch, bad).is_err());
    partial.error.to_string()
}

#[test]
fn a_truncated_turn_record() {
    let dir = tempfile::tempdir().unwrap();
    let (store, run) = store_with_turns(dir.path(), 6);
    damage_turn(&store, run, 3, |bytes| bytes.truncate(bytes.len() / 2));
    let message = expect_damage_at(&store, run, "main", 3);
    assert!(
        message.starts_with("turn 3 of run r1 (branch main) is damaged: truncated"),
        "{message}"
    );
    assert!(message.contains("Turns 1 to 2 are intact"), "{message}");
    assert!(
        message.contains(&dir.path().join("db").display().to_string()),
        "{message}"
    );
    // Turns after the damage are still there for repair tools, one by one.
    assert_eq!(store.turn(run, "main", 4).unwrap().payload, turn(4).payload);
    // Appending goes on; the damage persists across reopening.
    assert_eq!(store.append_turn(run, "main", &turn(7)).unwrap(), 7);
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    expect_damage_at(&store, run, "main", 3);
    // A branch forked after the damage reads through it and names itself.
    store.fork(run, "main", 5, "alt", 0).unwrap();
    let message = expect_damage_at(&store, run, "alt", 3);
    assert!(
        message.contains("turn 3 of run r1 (branch alt)"),
        "{message}"
    );
    // One forked before it is unaffected, and so is going back past it.
    store.fork(run, "main", 2, "early", 0).unwrap();
    assert_eq!(store.read_turns(run, "early", 1).unwrap().len(), 2);
    store.back(run, "main", 5, 0).unwrap();
    assert_eq!(store.read_turns(run, "main", 1).unwrap().len(), 2);
    expect_damage_at(&store, run, "main~1", 3);
}

#[test]
fn a_flipped_byte_in_a_turn_record() {
    let dir = tempfile::tempdir().unwrap();
    let (store, run) = store_with_turns(dir.path(), 6);
    damage_turn(&store, run, 4, |bytes| {
        let last = bytes.len() - 3;
        bytes[last] ^= 0x10;
    });
    let message = expect_damage_at(&store, run, "main", 4);
    assert_eq!(
        message.split(" (store").next().unwrap(),
        "turn 4 of run r1 (branch main) is damaged: its checksum does not match its contents"
    );
    let partial = store.read_turns(run, "main", 1).unwrap_err();
    assert!(matches!(
        *partial.error,
        StoreError::Damaged {
            damage: Damage::Envelope(duet_lang::envelope::EnvelopeError::Checksum),
            ..
        }
    ));
    // Reading from after the damage works.
    assert_eq!(store.read_turns(run, "main", 5).unwrap().len(), 2);
}

#[test]
fn every_truncation_and_every_flipped_byte_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let (store, run) = store_with_turns(dir.path(), 3);
    let good = store
        .raw_record(RawKind::Turn, run, "main", 2)
        .unwrap()
        .unwrap();
    let original = store.turn(run, "main", 2).unwrap();
    for cut in 0..good.len() {
        store
            .put_raw_record(RawKind::Turn, run, "main", 2, &good[..cut])
            .unwrap();
        let partial = store.read_turns(run, "main", 1).unwrap_err();
        assert_eq!(partial.turns.len(), 1, "cut at {cut}");
    }
    let mut undetected = Vec::new();
    for at in 0..good.len() {
        for bit in [0x01u8, 0x80] {
            let mut bytes = good.clone();
            bytes[at] ^= bit;
            store
                .put_raw_record(RawKind::Turn, run, "main", 2, &bytes)
                .unwrap();
            match store.read_turns(run, "main", 1) {
                Err(partial) => assert_eq!(partial.turns.len(), 1),
                // The envelope's checksum covers its header too, so nothing passes.
                Ok(turns) => {
                    assert_eq!(turns[1], original);
                    undetected.push(at);
                }
            }
        }
    }
    assert!(
        undetected.is_empty(),
        "flips at {undetected:?} went unnoticed"
    );
}

#[test]
fn a_turn_record_from_a_newer_duet_and_one_under_the_wrong_key() {
    let dir = tempfile::tempdir().unwrap();
    let (store, run) = store_with_turns(dir.path(), 5);
    let newer = seal(TURN_MAGIC, TURN_VERSION + 1, &("anything", 1u8));
    store
        .put_raw_record(RawKind::Turn, run, "main", 5, &newer)
        .unwrap();
    let message = expect_damage_at(&store, run, "main", 5);
    assert!(
        message.starts_with(&format!(
            "turn 5 of run r1 (branch main) was written by a newer duet (format version {}; this build reads up to {TURN_VERSION})",
            TURN_VERSION + 1
        )),
        "{message}"
    );
    assert!(message.ends_with("Upgrade duet to read it"), "{message}");

    // Turn 2's record copied under turn 3's key.
    let two = store
        .raw_record(RawKind::Turn, run, "main", 2)
        .unwrap()
        .unwrap();
    store
        .put_raw_record(RawKind::Turn, run, "main", 3, &two)
        .unwrap();
    let message = expect_damage_at(&store, run, "main", 3);
    assert!(
        message.contains("the record stored as turn 3 says it is turn 2"),
        "{message}"
    );

    // A snapshot's bytes stored as a turn.
    let snapshot = store
        .raw_record(RawKind::Snapshot, run, "main", 2)
        .unwrap()
        .unwrap();
    store
        .put_raw_record(RawKind::Turn, run, "main", 1, &snapshot)
        .unwrap();
    let partial = store.read_turns(run, "main", 1).unwrap_err();
    assert!(partial.turns.is_empty());
    let message = partial.error.to_string();
    assert!(
        message.starts_with("turn 1 of run r1 (branch main) is damaged: it is not a DUTN record"),
        "{message}"
    );
    assert!(
        message.contains("Restore the store from a backup"),
        "{message}"
    );
}

#[test]
fn a_snapshot_of_a_newer_format_and_a_damaged_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let (store, run) = store_with_turns(dir.path(), 6);
    let newer = seal(
        SNAPSHOT_MAGIC,
        SNAPSHOT_VERSION + 1,
        &(4u64, vec![1u8, 2, 3]),
    );
    store
        .put_raw_record(RawKind::Snapshot, run, "main", 4, &newer)
        .unwrap();
    let err = store.nearest_snapshot(run, "main", 6).unwrap_err();
    assert_eq!(
        err.damaged_at(),
        Some(&Location::Snapshot {
            run,
            branch: "main".into(),
            turn: 4
        })
    );
    let message = err.to_string();
    assert!(
        message.starts_with(
            "the snapshot at turn 4 of run r1 (branch main) was written by a newer duet"
        ),
        "{message}"
    );
    // The earlier snapshot and every turn stay readable.
    let earlier = store.nearest_snapshot(run, "main", 3).unwrap().unwrap();
    assert_eq!((earlier.turn, earlier.state), (2, b"state 2".to_vec()));
    assert_eq!(store.read_turns(run, "main", 1).unwrap().len(), 6);

    // A truncated snapshot: the message says snapshots are an optimisation.
    let good = store
        .raw_record(RawKind::Snapshot, run, "main", 2)
        .unwrap()
        .unwrap();
    store
        .put_raw_record(RawKind::Snapshot, run, "main", 2, &good[..10])
        .unwrap();
    let message = store
        .nearest_snapshot(run, "main", 3)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("the snapshot at turn 2 of run r1 (branch main) is damaged"),
        "{message}"
    );
    assert!(
        message.contains("Snapshots are an optimisation"),
        "{message}"
    );
}

fn journal_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(journal_files(&path));
        } else if path.extension().is_some_and(|e| e == "jnl") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Where the written part of a preallocated journal file ends.
fn data_end(bytes: &[u8]) -> usize {
    bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1)
}

/// What happens when fjall's own journal file is cut short (as a bad disk or a careless copy
/// might): fjall cannot tell this from a write torn by a crash, so it truncates the journal
/// to the last complete batch. The store's high-water mark of acknowledged writes (kept
/// outside fjall) can: the store refuses to open, saying acknowledged writes were lost,
/// instead of answering with a shorter journal — and keeps refusing, so nothing is appended
/// on top of the loss.
#[test]
fn a_journal_cut_short_is_reported_as_lost_acknowledged_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _run) = store_with_turns(dir.path(), 40);
    drop(store);
    let journals = journal_files(dir.path());
    let active = journals.last().expect("a journal file").clone();
    let bytes = std::fs::read(&active).unwrap();
    let end = data_end(&bytes);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&active)
        .unwrap()
        .set_len((end * 3 / 5) as u64)
        .unwrap();

    for _ in 0..2 {
        let refused = Store::open(dir.path()).expect_err("refused");
        let message = refused.to_string();
        assert!(
            matches!(refused, StoreError::LostWrites { acknowledged, found, .. } if found < acknowledged),
            "{refused:?}"
        );
        assert!(message.contains("lost acknowledged writes"), "{message}");
        assert!(
            message.contains(&dir.path().display().to_string()),
            "{message}"
        );
    }
}

/// A flipped byte inside fjall's journal is caught by fjall's batch checksum: the store
/// refuses to open, with a message that says so and what to do.
#[test]
fn fjalls_journal_with_a_flipped_byte_refuses_to_open() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = store_with_turns(dir.path(), 40);
    drop(store);
    let active = journal_files(dir.path()).last().unwrap().clone();
    let mut bytes = std::fs::read(&active).unwrap();
    // Inside a payload, well before the end: find the text of turn 20's payload.
    let needle = b"turn 20 payload";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("turn 20's payload in the journal");
    bytes[at + 5] ^= 0x01;
    std::fs::write(&active, &bytes).unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    let message = err.to_string();
    eprintln!("fjall journal with a flipped byte: {message}");
    assert!(matches!(err, StoreError::Database { .. }), "{err:?}");
    assert!(
        message.contains("write-ahead journal is damaged"),
        "{message}"
    );
    assert!(
        message.contains("Restore the directory from a backup"),
        "{message}"
    );
}
