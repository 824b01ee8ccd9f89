//! A child process for the store's crash and lock tests.
//!
//! ```text
//! store_writer append DIR RUNS TURNS   make sure RUNS runs exist, then append to all of them
//!                                      at once (a thread each) until each has TURNS turns,
//!                                      printing "RUN TURN" after every acknowledged append
//!                                      and "SNAP RUN TURN" after every acknowledged snapshot
//! store_writer reopening DIR RUNS TURNS
//!                                      the same from one thread, closing and reopening the
//!                                      store after every 20 appends (closing retires the
//!                                      journal once it is long enough)
//! store_writer hold DIR                open the store, print "ready PID", keep it open until
//!                                      standard input closes
//! store_writer open DIR                try to open the store; print "opened" or "error: …"
//! ```
//! A turn's payload is [`payload`]`(run, turn)`, so a reader can check every byte.

use std::io::{BufRead, Write};

use duet_store::{NewRun, NewTurn, RunId, Store};

/// The payload of turn `turn` of run `run`: its name, then filler whose size varies from a few
/// bytes to 70 KB every 50th turn (larger than a journal block, and than fjall 1's 64 KiB
/// value limit).
pub fn payload(run: u64, turn: u64) -> Vec<u8> {
    let mut bytes = format!("r{run} t{turn} ").into_bytes();
    let size = match (turn % 50, turn % 10) {
        (0, _) => 70_000,
        (_, 1..=3) => 2_000,
        _ => 40,
    };
    bytes.extend((0..size).map(|i| (run * 7 + turn * 13 + i as u64) as u8));
    bytes
}

/// The state digest recorded with turn `turn` of run `run`.
pub fn digest(run: u64, turn: u64) -> [u8; 32] {
    let mut d = [0u8; 32];
    d[..8].copy_from_slice(&run.to_le_bytes());
    d[8..16].copy_from_slice(&turn.to_le_bytes());
    d
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("append") if args.len() == 4 => {
            let runs: u64 = args[2].parse().expect("RUNS");
            let turns: u64 = args[3].parse().expect("TURNS");
            append(&args[1], runs, turns);
        }
        Some("reopening") if args.len() == 4 => {
            let runs: u64 = args[2].parse().expect("RUNS");
            let turns: u64 = args[3].parse().expect("TURNS");
            reopening(&args[1], runs, turns);
        }
        Some("hold") if args.len() == 2 => {
            let store = Store::open(&args[1]).unwrap_or_else(|e| fail(&e));
            println!("ready {}", std::process::id());
            let mut line = String::new();
            while std::io::stdin().lock().read_line(&mut line).unwrap_or(0) > 0 {
                line.clear();
            }
            drop(store);
        }
        Some("open") if args.len() == 2 => match Store::open(&args[1]) {
            Ok(_) => println!("opened"),
            Err(e) => fail(&e),
        },
        _ => {
            eprintln!("usage: store_writer append|reopening DIR RUNS TURNS | hold DIR | open DIR");
            std::process::exit(2);
        }
    }
}

fn fail(e: &dyn std::fmt::Display) -> ! {
    println!("error: {e}");
    std::process::exit(1);
}

/// Opens the store in `dir` and makes sure it has `runs` runs.
fn open_with_runs(dir: &str, runs: u64) -> Store {
    let store = Store::open(dir).unwrap_or_else(|e| fail(&e));
    let existing = store.runs().unwrap_or_else(|e| fail(&e)).len() as u64;
    for _ in existing..runs {
        store
            .create_run(NewRun {
                workflow: "crash".into(),
                program_hash: "0".repeat(64),
                at: 0,
            })
            .unwrap_or_else(|e| fail(&e));
    }
    store
}

/// Appends turn `turn` to `run` (and every 25th turn a snapshot), printing each
/// acknowledgement.
fn append_one(store: &Store, run: u64, turn: u64) {
    let id = RunId(run);
    let new = NewTurn {
        at: turn,
        payload: payload(run, turn),
        state_digest: digest(run, turn),
    };
    let number = store
        .append_turn(id, "main", &new)
        .unwrap_or_else(|e| fail(&e));
    assert_eq!(number, turn, "the store numbered turn {turn} as {number}");
    let mut out = std::io::stdout().lock();
    writeln!(out, "{run} {turn}").expect("stdout");
    out.flush().expect("stdout");
    drop(out);
    if turn.is_multiple_of(25) {
        let state = format!("state of r{run} after t{turn}");
        store
            .put_snapshot(id, "main", turn, state.as_bytes())
            .unwrap_or_else(|e| fail(&e));
        let mut out = std::io::stdout().lock();
        writeln!(out, "SNAP {run} {turn}").expect("stdout");
        out.flush().expect("stdout");
    }
}

fn append(dir: &str, runs: u64, turns: u64) {
    let store = open_with_runs(dir, runs);
    let threads: Vec<_> = (1..=runs)
        .map(|run| {
            let store = store.clone();
            std::thread::spawn(move || {
                let head = store
                    .branch(RunId(run), "main")
                    .unwrap_or_else(|e| fail(&e))
                    .head;
                for turn in head + 1..=turns {
                    append_one(&store, run, turn);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("writer thread");
    }
}

fn reopening(dir: &str, runs: u64, turns: u64) {
    loop {
        let store = open_with_runs(dir, runs);
        for _ in 0..20 {
            // The run with the fewest turns next.
            let (run, head) = (1..=runs)
                .map(|run| {
                    let head = store
                        .branch(RunId(run), "main")
                        .unwrap_or_else(|e| fail(&e));
                    (run, head.head)
                })
                .min_by_key(|&(run, head)| (head, run))
                .expect("runs");
            if head >= turns {
                return;
            }
            append_one(&store, run, head + 1);
        }
    }
}
