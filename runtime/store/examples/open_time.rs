//! How long opening a store and reading one run takes as the store grows: N runs of four
//! turns each are written, then the store is opened afresh and one run's record and journal
//! read (the best of five), in two cases:
//!
//! * the writer closed the store: it retired fjall's journal on the way out (see the
//!   store's `retire` module), so the open reads tables only;
//! * the writer was killed (here: it aborts) before closing: the first open replays
//!   everything it wrote from fjall's journal; that open's close retires the journal, so the
//!   opens after it are fast again. Its open, its close and the next open are shown.
//!
//!     cargo run --release -p duet-store --example open_time -- [RUNS] [DIR]

use std::path::{Path, PathBuf};
use std::time::Instant;

use duet_store::{Durability, NewRun, NewTurn, RunId, Store};

/// Opens the store, reads one run; returns the milliseconds the open and read took, and
/// the store (its close is timed by the caller).
fn open_and_read(dir: &Path, run: RunId) -> (f64, Store) {
    let start = Instant::now();
    let store = Store::open(dir).expect("opens");
    let record = store.run(run).expect("the run");
    let turns = store
        .read_turns(run, &record.current_branch, 1)
        .expect("its turns");
    assert_eq!(turns.len(), 4);
    (start.elapsed().as_secs_f64() * 1000.0, store)
}

fn best_of_five(dir: &Path, run: RunId) -> f64 {
    (0..5)
        .map(|_| open_and_read(dir, run).0)
        .fold(f64::MAX, f64::min)
}

/// Writes `runs` runs of four turns into a new store in `dir`.
fn write(dir: &Path, runs: u64) -> Store {
    let _ = std::fs::remove_dir_all(dir);
    let store = Store::open_with(dir, Durability::Buffered).expect("a store");
    for r in 0..runs {
        let run = store
            .create_run(NewRun {
                workflow: "w".into(),
                program_hash: "0".repeat(64),
                at: r,
            })
            .expect("a run");
        for t in 1..=4 {
            store
                .append_turn(
                    run.id,
                    "main",
                    &NewTurn {
                        at: t,
                        payload: vec![7; 200],
                        state_digest: [0; 32],
                    },
                )
                .expect("a turn");
        }
    }
    store
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--write-and-abort") {
        let runs = args[2].parse().expect("a number of runs");
        let _store = write(Path::new(&args[3]), runs);
        // A kill: no destructor runs, the journal is left as it is.
        std::process::abort();
    }
    let runs: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let dir = match args.get(2) {
        Some(dir) => PathBuf::from(dir),
        None => std::env::temp_dir().join(format!("duet-open-time-{}", std::process::id())),
    };
    let probe = RunId(runs / 2);

    drop(write(&dir, runs));
    let closed = best_of_five(&dir, probe);
    println!("{runs} runs, writer closed the store: open + read one run {closed:.1} ms");

    let status = std::process::Command::new(std::env::current_exe().expect("this program"))
        .args(["--write-and-abort", &runs.to_string()])
        .arg(&dir)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("the writer ran");
    assert!(!status.success(), "the writer aborts");
    let (first, store) = open_and_read(&dir, probe);
    let closing = Instant::now();
    drop(store);
    let close = closing.elapsed().as_secs_f64() * 1000.0;
    let after = best_of_five(&dir, probe);
    println!(
        "{runs} runs, writer killed: first open + read {first:.1} ms (replaying the journal), \
         its close {close:.1} ms (retiring it), then open + read {after:.1} ms"
    );
    if args.get(2).is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
