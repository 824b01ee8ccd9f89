//! How long opening a store and reading one run takes as the store grows: N runs of a few
//! turns each are written, then the store is opened afresh and one run's record and journal
//! read, before and after the writes are flushed from fjall's journal into its tables.
//!
//!     cargo run --release -p duet-store --example open_time -- [RUNS] [DIR]

use std::time::Instant;

use duet_store::{Durability, NewRun, NewTurn, RunId, Store};

fn open_and_read(dir: &std::path::Path, run: RunId) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let store = Store::open(dir).expect("opens");
        let opened = start.elapsed().as_secs_f64() * 1000.0;
        let record = store.run(run).expect("the run");
        let turns = store
            .read_turns(run, &record.current_branch, 1)
            .expect("its turns");
        assert_eq!(turns.len(), 4);
        let read = start.elapsed().as_secs_f64() * 1000.0;
        drop(store);
        if std::env::var_os("OPEN_TIME_PHASES").is_some() {
            let total = start.elapsed().as_secs_f64() * 1000.0;
            eprintln!(
                "open {opened:.1} ms, read {:.1} ms, close {:.1} ms",
                read - opened,
                total - read
            );
        }
        best = best.min(start.elapsed().as_secs_f64() * 1000.0);
    }
    best
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let dir = match args.get(2) {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::env::temp_dir().join(format!("duet-open-time-{}", std::process::id())),
    };
    let _ = std::fs::remove_dir_all(&dir);
    {
        let store = Store::open_with(&dir, Durability::Buffered).expect("a store");
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
    }
    let probe = RunId(runs / 2);
    let unflushed = open_and_read(&dir, probe);
    Store::open(&dir).expect("opens").flush().expect("flushed");
    let flushed = open_and_read(&dir, probe);
    println!(
        "{runs} runs: open + read one run {unflushed:.1} ms with the writes in the journal, {flushed:.1} ms once flushed to tables"
    );
    if args.get(2).is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
