//! Every store operation: runs, statuses, branches (fork, back, reading through parents),
//! the journal, snapshots, blobs, reopening, and concurrent appends with group commit.

use std::sync::Arc;

use duet_store::{
    BlobHash, Durability, ForkPoint, NewRun, NewTurn, Origin, RunId, Status, Store, StoreError,
};

fn new_run(store: &Store, workflow: &str) -> RunId {
    store
        .create_run(NewRun {
            workflow: workflow.into(),
            program_hash: "ab".repeat(32),
            at: 1000,
        })
        .unwrap()
        .id
}

fn turn(label: &str) -> NewTurn {
    NewTurn {
        at: 2000,
        payload: label.as_bytes().to_vec(),
        state_digest: *blake_like(label),
    }
}

/// A cheap stand-in for a state digest: the label's bytes padded into 32.
fn blake_like(label: &str) -> Box<[u8; 32]> {
    let mut digest = [0u8; 32];
    for (i, b) in label.bytes().enumerate() {
        digest[i % 32] ^= b;
    }
    Box::new(digest)
}

fn labels(store: &Store, run: RunId, branch: &str) -> Vec<String> {
    store
        .read_turns(run, branch, 1)
        .unwrap()
        .into_iter()
        .map(|t| String::from_utf8(t.payload).unwrap())
        .collect()
}

fn append(store: &Store, run: RunId, branch: &str, items: &[&str]) {
    for item in items {
        store.append_turn(run, branch, &turn(item)).unwrap();
    }
}

#[test]
fn a_store_is_shared_between_threads() {
    fn shareable<T: Send + Sync + Clone>() {}
    shareable::<Store>();
}

#[test]
fn runs_get_counter_ids_and_keep_their_fields() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let a = store
        .create_run(NewRun {
            workflow: "review".into(),
            program_hash: "h1".into(),
            at: 10,
        })
        .unwrap();
    let b = new_run(&store, "deploy");
    assert_eq!(a.id, RunId(1));
    assert_eq!(a.id.to_string(), "r1");
    assert_eq!(b, RunId(2));
    assert_eq!(a.status, Status::Running);
    assert_eq!(a.current_branch, "main");
    assert_eq!((a.created_at, a.updated_at), (10, 10));
    assert_eq!(a.program_hash, "h1");

    let waiting = Status::Waiting {
        reason: "an answer".into(),
    };
    let updated = store.set_status(a.id, waiting.clone(), 20).unwrap();
    assert_eq!(updated.status, waiting);
    assert_eq!(updated.updated_at, 20);
    assert_eq!(store.run(a.id).unwrap(), updated);
    for status in [
        Status::Completed,
        Status::Failed {
            error: "boom".into(),
        },
        Status::Cancelled,
        Status::Running,
    ] {
        store.set_status(b, status.clone(), 30).unwrap();
        assert_eq!(store.run(b).unwrap().status, status);
    }

    let all = store.runs().unwrap();
    assert_eq!(all.iter().map(|r| r.id).collect::<Vec<_>>(), [a.id, b]);
    assert_eq!(all[1].workflow, "deploy");

    let missing = store.run(RunId(99)).unwrap_err();
    assert!(matches!(missing, StoreError::NoSuchRun(RunId(99))));
    assert!(missing.to_string().contains("no run r99"), "{missing}");

    // Ids continue after reopening, and everything is still there.
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(new_run(&store, "third"), RunId(3));
    assert_eq!(store.run(a.id).unwrap(), updated);
}

#[test]
fn ids_are_deterministic_across_fresh_stores() {
    let ids = |_: ()| {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (0..3)
            .map(|_| new_run(&store, "w").to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(()), ["r1", "r2", "r3"]);
    assert_eq!(ids(()), ids(()));
}

#[test]
fn journal_appends_numbers_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let run = new_run(&store, "w");
    assert!(store.read_turns(run, "main", 1).unwrap().is_empty());
    for (i, label) in ["a", "b", "c"].iter().enumerate() {
        assert_eq!(
            store.append_turn(run, "main", &turn(label)).unwrap(),
            i as u64 + 1
        );
    }
    let turns = store.read_turns(run, "main", 1).unwrap();
    assert_eq!(turns.len(), 3);
    assert_eq!(turns[1].turn, 2);
    assert_eq!(turns[1].payload, b"b");
    assert_eq!(turns[1].at, 2000);
    assert_eq!(turns[1].state_digest, *blake_like("b"));
    assert_eq!(
        store
            .read_turns(run, "main", 2)
            .unwrap()
            .iter()
            .map(|t| t.turn)
            .collect::<Vec<_>>(),
        [2, 3]
    );
    assert!(store.read_turns(run, "main", 9).unwrap().is_empty());
    assert_eq!(store.turn(run, "main", 3).unwrap().payload, b"c");
    let past = store.turn(run, "main", 4).unwrap_err();
    assert!(
        matches!(
            past,
            StoreError::NoSuchTurn {
                turn: 4,
                head: 3,
                ..
            }
        ),
        "{past:?}"
    );
    assert!(matches!(
        store.turn(run, "main", 0),
        Err(StoreError::NoSuchTurn { .. })
    ));
    assert_eq!(store.branch(run, "main").unwrap().head, 3);

    // Runs have separate journals.
    let other = new_run(&store, "w");
    assert_eq!(store.append_turn(other, "main", &turn("x")).unwrap(), 1);
    assert_eq!(labels(&store, run, "main"), ["a", "b", "c"]);

    // Empty and large payloads.
    let big = vec![7u8; 300_000];
    let n = store
        .append_turn(
            run,
            "main",
            &NewTurn {
                at: 1,
                payload: big.clone(),
                state_digest: [0; 32],
            },
        )
        .unwrap();
    let m = store.append_turn(run, "main", &turn("")).unwrap();
    assert_eq!(store.turn(run, "main", n).unwrap().payload, big);
    assert!(store.turn(run, "main", m).unwrap().payload.is_empty());

    // Unknown run and branch.
    assert!(matches!(
        store.append_turn(RunId(42), "main", &turn("x")),
        Err(StoreError::NoSuchRun(RunId(42)))
    ));
    let err = store.append_turn(run, "nope", &turn("x")).unwrap_err();
    assert!(matches!(err, StoreError::NoSuchBranch { .. }));
    assert!(err.to_string().contains("its branches are: main"), "{err}");
}

#[test]
fn fork_copies_nothing_and_reads_through_parents() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let run = new_run(&store, "w");
    append(&store, run, "main", &["m1", "m2", "m3", "m4"]);

    let writes_before = store.commit_stats().writes;
    let alt = store.fork(run, "main", 2, "alt", 3000).unwrap();
    assert_eq!(alt.name, "alt");
    assert_eq!(alt.head, 2);
    assert_eq!(
        alt.parent,
        Some(ForkPoint {
            branch: "main".into(),
            turn: 2
        })
    );
    assert_eq!(
        alt.origin,
        Origin::Fork {
            from: "main".into(),
            turn: 2
        }
    );
    assert_eq!(alt.created_at, 3000);
    // Forking is one small batch (run, branch and name records), not a copy of the turns.
    assert_eq!(store.commit_stats().writes, writes_before + 1);

    assert_eq!(labels(&store, run, "alt"), ["m1", "m2"]);
    assert_eq!(store.append_turn(run, "alt", &turn("a3")).unwrap(), 3);
    append(&store, run, "alt", &["a4", "a5"]);
    append(&store, run, "main", &["m5"]);
    assert_eq!(labels(&store, run, "alt"), ["m1", "m2", "a3", "a4", "a5"]);
    assert_eq!(labels(&store, run, "main"), ["m1", "m2", "m3", "m4", "m5"]);
    assert_eq!(store.turn(run, "alt", 1).unwrap().payload, b"m1");
    assert_eq!(store.turn(run, "alt", 4).unwrap().payload, b"a4");
    let from3: Vec<u64> = store
        .read_turns(run, "alt", 2)
        .unwrap()
        .iter()
        .map(|t| t.turn)
        .collect();
    assert_eq!(from3, [2, 3, 4, 5]);

    // A fork of a fork, at a turn its parent inherited: reads go straight to the owner.
    let deep = store.fork(run, "alt", 1, "deep", 3001).unwrap();
    assert_eq!(deep.parent.unwrap().branch, "main");
    append(&store, run, "deep", &["d2"]);
    assert_eq!(labels(&store, run, "deep"), ["m1", "d2"]);
    let deeper = store.fork(run, "alt", 4, "deeper", 3002).unwrap();
    assert_eq!(deeper.parent.unwrap().branch, "alt");
    assert_eq!(labels(&store, run, "deeper"), ["m1", "m2", "a3", "a4"]);

    // Fork at 0: an empty branch.
    store.fork(run, "main", 0, "fresh", 3003).unwrap();
    assert!(labels(&store, run, "fresh").is_empty());
    append(&store, run, "fresh", &["f1"]);
    assert_eq!(labels(&store, run, "fresh"), ["f1"]);

    // Errors.
    assert!(matches!(
        store.fork(run, "main", 9, "x", 0),
        Err(StoreError::NoSuchTurn {
            turn: 9,
            head: 5,
            ..
        })
    ));
    assert!(matches!(
        store.fork(run, "main", 1, "alt", 0),
        Err(StoreError::BranchExists { .. })
    ));
    assert!(matches!(
        store.fork(run, "main", 1, "bad name", 0),
        Err(StoreError::BadBranchName { .. })
    ));
    assert!(matches!(
        store.fork(run, "ghost", 1, "x", 0),
        Err(StoreError::NoSuchBranch { .. })
    ));

    let names: Vec<String> = store
        .branches(run)
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["main", "alt", "deep", "deeper", "fresh"]);

    // The current branch.
    assert_eq!(store.run(run).unwrap().current_branch, "main");
    let switched = store.set_current_branch(run, "alt", 4000).unwrap();
    assert_eq!(switched.current_branch, "alt");
    assert_eq!(switched.updated_at, 4000);
    assert!(matches!(
        store.set_current_branch(run, "ghost", 0),
        Err(StoreError::NoSuchBranch { .. })
    ));
}

#[test]
fn back_keeps_the_abandoned_turns_as_a_branch() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let run = new_run(&store, "w");
    append(&store, run, "main", &["1", "2", "3", "4", "5"]);
    let side = store.fork(run, "main", 4, "side", 0).unwrap();
    assert_eq!(side.head, 4);

    let outcome = store.back(run, "main", 2, 5000).unwrap();
    assert_eq!(outcome.abandoned.as_deref(), Some("main~1"));
    assert_eq!(outcome.branch.name, "main");
    assert_eq!(outcome.branch.head, 3);
    assert_eq!(
        outcome.branch.origin,
        Origin::Back {
            from_head: 5,
            abandoned: "main~1".into()
        }
    );
    assert_eq!(labels(&store, run, "main"), ["1", "2", "3"]);
    assert_eq!(labels(&store, run, "main~1"), ["1", "2", "3", "4", "5"]);
    // A branch forked from the old line still reads it, now through main~1.
    assert_eq!(labels(&store, run, "side"), ["1", "2", "3", "4"]);
    assert_eq!(
        store.branch(run, "side").unwrap().parent.unwrap().branch,
        "main~1"
    );

    // Continue main: new turns take the freed numbers without touching the old ones.
    assert_eq!(store.append_turn(run, "main", &turn("4b")).unwrap(), 4);
    assert_eq!(labels(&store, run, "main"), ["1", "2", "3", "4b"]);
    assert_eq!(labels(&store, run, "main~1"), ["1", "2", "3", "4", "5"]);

    // Back again: main~2, and going back past the fork of main's own tail.
    let again = store.back(run, "main", 3, 5001).unwrap();
    assert_eq!(again.abandoned.as_deref(), Some("main~2"));
    assert_eq!(labels(&store, run, "main"), ["1"]);
    assert_eq!(labels(&store, run, "main~2"), ["1", "2", "3", "4b"]);
    assert_eq!(labels(&store, run, "main~1"), ["1", "2", "3", "4", "5"]);
    append(&store, run, "main", &["2c"]);
    assert_eq!(labels(&store, run, "main"), ["1", "2c"]);

    // Back to zero, back by zero, too far.
    let none = store.back(run, "main", 0, 5002).unwrap();
    assert_eq!(none.abandoned, None);
    assert_eq!(none.branch.head, 2);
    let err = store.back(run, "main", 3, 5002).unwrap_err();
    assert!(matches!(
        err,
        StoreError::BackTooFar {
            count: 3,
            head: 2,
            ..
        }
    ));
    assert!(err.to_string().contains("it has only 2"), "{err}");
    let zero = store.back(run, "main", 2, 5003).unwrap();
    assert_eq!(zero.branch.head, 0);
    assert!(labels(&store, run, "main").is_empty());
    assert_eq!(labels(&store, run, "main~3"), ["1", "2c"]);

    // Back on a branch whose name has a `~` already.
    let tilde = store.back(run, "main~1", 1, 5004).unwrap();
    assert_eq!(tilde.abandoned.as_deref(), Some("main~1~1"));
    assert_eq!(labels(&store, run, "main~1"), ["1", "2", "3", "4"]);
    assert_eq!(labels(&store, run, "main~1~1"), ["1", "2", "3", "4", "5"]);

    // Nothing was lost: every turn ever appended is reachable from some branch, and it all
    // survives reopening.
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(labels(&store, run, "main~1~1"), ["1", "2", "3", "4", "5"]);
    assert_eq!(labels(&store, run, "main~2"), ["1", "2", "3", "4b"]);
    assert_eq!(labels(&store, run, "main~3"), ["1", "2c"]);
    assert_eq!(store.append_turn(run, "main", &turn("n1")).unwrap(), 1);
    assert_eq!(store.append_turn(run, "main~2", &turn("5b")).unwrap(), 5);
}

#[test]
fn snapshots_are_found_through_parents() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let run = new_run(&store, "w");
    assert_eq!(store.nearest_snapshot(run, "main", 10).unwrap(), None);
    store.put_snapshot(run, "main", 0, b"s0").unwrap();
    append(&store, run, "main", &["1", "2", "3", "4", "5", "6"]);
    store.put_snapshot(run, "main", 2, b"s2").unwrap();
    store.put_snapshot(run, "main", 5, b"s5").unwrap();

    let at = |branch: &str, turn: u64| {
        store
            .nearest_snapshot(run, branch, turn)
            .unwrap()
            .map(|s| (s.turn, String::from_utf8(s.state).unwrap()))
    };
    assert_eq!(at("main", 0), Some((0, "s0".into())));
    assert_eq!(at("main", 1), Some((0, "s0".into())));
    assert_eq!(at("main", 4), Some((2, "s2".into())));
    assert_eq!(at("main", 6), Some((5, "s5".into())));
    assert_eq!(at("main", 100), Some((5, "s5".into())));

    // A fork at 4 sees main's snapshots up to 4 only, plus its own.
    store.fork(run, "main", 4, "alt", 0).unwrap();
    append(&store, run, "alt", &["a5", "a6"]);
    assert_eq!(at("alt", 6), Some((2, "s2".into())));
    store.put_snapshot(run, "alt", 6, b"alt6").unwrap();
    assert_eq!(at("alt", 6), Some((6, "alt6".into())));
    assert_eq!(at("main", 6), Some((5, "s5".into())));
    // A snapshot put through the fork at a shared turn belongs to the owner: main sees it.
    store.put_snapshot(run, "alt", 3, b"s3").unwrap();
    assert_eq!(at("main", 4), Some((3, "s3".into())));
    assert_eq!(at("alt", 5), Some((3, "s3".into())));

    // Replacing one, and a snapshot past the head.
    store.put_snapshot(run, "main", 5, b"s5b").unwrap();
    assert_eq!(at("main", 5), Some((5, "s5b".into())));
    assert!(matches!(
        store.put_snapshot(run, "main", 7, b"x"),
        Err(StoreError::NoSuchTurn {
            turn: 7,
            head: 6,
            ..
        })
    ));

    // After going back, the abandoned snapshots go with the abandoned turns.
    store.back(run, "main", 3, 0).unwrap();
    assert_eq!(at("main", 10), Some((3, "s3".into())));
    assert_eq!(at("main~1", 10), Some((5, "s5b".into())));
}

#[test]
fn blobs_are_content_addressed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let hash = store.put_blob(&big).unwrap();
    assert_eq!(hash, BlobHash::of(&big));
    assert_eq!(hash.to_string(), duet_lang::envelope::content_hash(&big));
    assert_eq!(store.put_blob(&big).unwrap(), hash);
    assert_eq!(store.get_blob(&hash).unwrap(), Some(big.clone()));
    let empty = store.put_blob(b"").unwrap();
    assert_eq!(store.get_blob(&empty).unwrap(), Some(vec![]));
    assert_eq!(
        store.get_blob(&BlobHash::of(b"never stored")).unwrap(),
        None
    );
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.get_blob(&hash).unwrap(), Some(big));
}

#[test]
fn concurrent_appends_share_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let runs: Vec<RunId> = (0..4).map(|_| new_run(&store, "w")).collect();
    let before = store.commit_stats();
    let store = Arc::new(store);
    let threads: Vec<_> = runs
        .iter()
        .map(|&run| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for i in 1..=100u64 {
                    let n = store
                        .append_turn(run, "main", &turn(&format!("{run}-{i}")))
                        .unwrap();
                    assert_eq!(n, i);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let after = store.commit_stats();
    let writes = after.writes - before.writes;
    let syncs = after.syncs - before.syncs;
    assert_eq!(writes, 400);
    assert!(syncs <= writes, "{syncs} syncs for {writes} writes");
    eprintln!("4 threads × 100 appends: {syncs} fdatasyncs for {writes} writes");
    for run in runs {
        let expected: Vec<String> = (1..=100).map(|i| format!("{run}-{i}")).collect();
        assert_eq!(labels(&store, run, "main"), expected);
    }
}

#[test]
fn buffered_durability_skips_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(dir.path(), Durability::Buffered).unwrap();
    let run = new_run(&store, "w");
    append(&store, run, "main", &["a", "b"]);
    assert_eq!(store.commit_stats().syncs, 0);
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(labels(&store, run, "main"), ["a", "b"]);
}

#[test]
fn a_second_open_in_the_same_process_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    let pid = std::process::id();
    assert!(matches!(err, StoreError::InUse { pid: Some(p), .. } if p == pid));
    assert!(
        err.to_string()
            .contains(&format!("store in use by pid {pid}")),
        "{err}"
    );
    assert_eq!(duet_store::holder(dir.path()), Some(pid));
    drop(store);
    assert_eq!(duet_store::holder(dir.path()), None);
    Store::open(dir.path()).unwrap();
}
