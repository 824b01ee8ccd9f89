//! Crash test: a child process (`src/bin/store_writer.rs`) appends turns to four runs at
//! once (or, one trial in two, from one thread, closing and reopening the store every 20
//! turns, so that kills also fall while a closing store retires its journal) and prints
//! every turn after `append_turn` acknowledged it; the test kills it with
//! SIGKILL at random moments, reopens the store and checks that every acknowledged turn is
//! there, intact and in order, and that appending continues cleanly.
//!
//! `STORE_CRASH_TRIALS` (default 24; `.ci/run` runs 60) and `STORE_CRASH_SEED` tune it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use duet_store::{NewTurn, RunId, Store};

#[allow(dead_code)]
#[path = "../src/bin/store_writer.rs"]
mod writer;

const RUNS: u64 = 4;

/// The writer binary (`src/bin/store_writer.rs`), built by cargo with this test.
fn store_writer() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_store_writer"))
}

/// xorshift64*: reproducible random numbers without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Checks every run: turns `from[run]`..=head contiguous with the expected payloads and
/// digests, head at least the highest acknowledged turn, acknowledged snapshots present.
/// Returns the heads.
fn check(store: &Store, acked: &[u64], from: &[u64], snapshots: &[(u64, u64)]) -> Vec<u64> {
    let mut heads = Vec::new();
    for run in 1..=RUNS {
        if acked[run as usize] == 0 && store.run(RunId(run)).is_err() {
            // Killed before it created this run.
            heads.push(0);
            continue;
        }
        let first = from[run as usize].max(1);
        let turns = store
            .read_turns(RunId(run), "main", first)
            .unwrap_or_else(|e| panic!("run r{run}: {e} (after {} good turns)", e.turns.len()));
        for (i, turn) in turns.iter().enumerate() {
            let n = first + i as u64;
            assert_eq!(turn.turn, n, "run r{run}: turns out of order");
            assert_eq!(turn.at, n, "run r{run} turn {n}: wrong time");
            assert!(
                turn.payload == writer::payload(run, n),
                "run r{run} turn {n}: payload differs"
            );
            assert_eq!(turn.state_digest, writer::digest(run, n));
        }
        let head = first - 1 + turns.len() as u64;
        assert!(
            head >= acked[run as usize],
            "run r{run}: turn {} was acknowledged but the store has only {head}",
            acked[run as usize]
        );
        assert_eq!(store.branch(RunId(run), "main").unwrap().head, head);
        heads.push(head);
    }
    for &(run, turn) in snapshots
        .iter()
        .filter(|&&(run, turn)| turn >= from[run as usize])
    {
        let snapshot = store
            .nearest_snapshot(RunId(run), "main", turn)
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged snapshot r{run} t{turn} is missing"));
        assert_eq!(snapshot.turn, turn);
        assert_eq!(
            snapshot.state,
            format!("state of r{run} after t{turn}").into_bytes()
        );
    }
    heads
}

#[test]
fn sigkill_at_random_moments_loses_no_acknowledged_turn() {
    let trials: u64 = std::env::var("STORE_CRASH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let seed: u64 = std::env::var("STORE_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_d0e7);
    eprintln!("store crash test: {trials} trials, seed {seed}");
    let mut rng = Rng(seed | 1);
    let binary = store_writer();
    let dir = tempfile::tempdir().unwrap();

    // acked[run]: the highest acknowledged turn of each run, over all trials.
    let mut acked = vec![0u64; RUNS as usize + 1];
    let mut snapshots = Vec::new();
    let mut total_acked = 0u64;
    let mut unacked_but_present = 0u64;
    let mut kills_before_any_ack = 0u64;
    for trial in 0..trials {
        // Every turn up to these was checked after the previous trial.
        let checked = acked.clone();
        let mode = if rng.below(2) == 0 {
            "append"
        } else {
            "reopening"
        };
        let mut child = Command::new(&binary)
            .arg(mode)
            .arg(dir.path())
            .arg(RUNS.to_string())
            .arg("1000000")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn store_writer");
        let stdout = child.stdout.take().unwrap();
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut lines = Vec::new();
        if rng.below(5) == 0 {
            // Any moment from the start, often while the child is still opening (and
            // recovering) the store.
            std::thread::sleep(Duration::from_millis(rng.below(300)));
        } else {
            // Mid-stream: after the first acknowledgement.
            match receive.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => lines.push(line),
                Err(_) => panic!("trial {trial}: the writer acknowledged nothing in 60 s"),
            }
            std::thread::sleep(Duration::from_millis(rng.below(150)));
        }
        child.kill().expect("SIGKILL the writer");
        let status = child.wait().unwrap();
        // The pipe closes when the child dies; take every line it printed.
        lines.extend(receive.iter());
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert!(
            !lines.iter().any(|l| l.starts_with("error")) && !stderr.contains("panicked"),
            "trial {trial}: the writer failed: {lines:?} {stderr}"
        );
        assert!(
            status.code().is_none(),
            "trial {trial}: the writer exited by itself"
        );

        let mut acked_now = 0;
        for line in &lines {
            let parts: Vec<&str> = line.split(' ').collect();
            match parts.as_slice() {
                ["SNAP", run, turn] => {
                    snapshots.push((run.parse().unwrap(), turn.parse().unwrap()))
                }
                [run, turn] => {
                    let (run, turn): (usize, u64) = (run.parse().unwrap(), turn.parse().unwrap());
                    assert_eq!(
                        turn,
                        acked[run] + 1,
                        "trial {trial}: acknowledgements out of order"
                    );
                    acked[run] = turn;
                    acked_now += 1;
                }
                // A line cut by the kill acknowledges nothing.
                _ => {}
            }
        }
        total_acked += acked_now;
        if acked_now == 0 {
            kills_before_any_ack += 1;
        }

        let store = Store::open(dir.path()).unwrap_or_else(|e| panic!("trial {trial}: {e}"));
        // The turns since the last trial (and the last few before: a kill cuts the journal's
        // tail), and every 50 trials all of them: reading every turn every time makes a
        // thousand trials quadratic.
        let from: Vec<u64> = if trial % 50 == 49 {
            vec![1; acked.len()]
        } else {
            checked
                .iter()
                .map(|&a| a.saturating_sub(5).max(1))
                .collect()
        };
        let heads = check(&store, &acked, &from, &snapshots);
        for run in 1..=RUNS {
            // Durable but killed before it could print: allowed, never more than one per run.
            let extra = heads[run as usize - 1] - acked[run as usize];
            assert!(
                extra <= 1,
                "trial {trial}: r{run} has {extra} unacknowledged turns"
            );
            unacked_but_present += extra;
            acked[run as usize] = heads[run as usize - 1];
        }
    }

    // Appending continues cleanly after the last crash.
    let store = Store::open(dir.path()).unwrap();
    for run in 1..=RUNS {
        let next = acked[run as usize] + 1;
        let number = store
            .append_turn(
                RunId(run),
                "main",
                &NewTurn {
                    at: next,
                    payload: writer::payload(run, next),
                    state_digest: writer::digest(run, next),
                },
            )
            .unwrap();
        assert_eq!(number, next);
        acked[run as usize] = next;
    }
    let heads = check(&store, &acked, &vec![1; acked.len()], &snapshots);
    eprintln!(
        "store crash test: {trials} SIGKILLs ({kills_before_any_ack} before any acknowledgement), \
         {total_acked} acknowledged turns all present, {unacked_but_present} more durable but \
         unacknowledged, {} snapshots; final heads {heads:?}",
        snapshots.len()
    );
}
