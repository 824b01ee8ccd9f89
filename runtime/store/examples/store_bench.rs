//! Durable turns per second of the store against a raw `write` + `fdatasync` loop on the same
//! disk, in the same run; and the store's size per turn.
//!
//! ```text
//! cargo run --release -p duet-runtime --example store_bench -- [--dir DIR] [--turns N] [--payload BYTES] [--rounds R]
//! ```
//! `DIR` (default: a fresh directory under the system's temporary directory) must be on the
//! disk to measure; it is emptied first and removed afterwards.
//!
//! The disk of a shared machine changes speed by an order of magnitude from one second to
//! the next, so the scenarios are interleaved: each of `R` rounds runs the raw loop, the
//! store with one writer and the store with four writers, `N` turns each, back to back, and
//! every ratio compares figures of the same round. The summary gives the medians.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use duet_store::{Durability, NewRun, NewTurn, RawKind, RunId, Store};

struct Args {
    dir: PathBuf,
    turns: u64,
    payload: usize,
    rounds: usize,
}

fn args() -> Args {
    let mut out = Args {
        dir: std::env::temp_dir().join(format!("duet-store-bench-{}", std::process::id())),
        turns: 500,
        payload: 1024,
        rounds: 5,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--dir" => out.dir = PathBuf::from(value),
            "--turns" => out.turns = value.parse().expect("--turns N"),
            "--payload" => out.payload = value.parse().expect("--payload BYTES"),
            "--rounds" => out.rounds = value.parse().expect("--rounds R"),
            other => panic!("unknown flag {other}; use --dir, --turns, --payload, --rounds"),
        }
    }
    out
}

/// Bytes actually allocated on disk under `dir` (sparse, preallocated files count only what
/// was written).
fn allocated(dir: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                total += allocated(&entry.path());
            } else {
                total += meta.blocks() * 512;
            }
        }
    }
    total
}

struct Figures {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

fn figures(count: u64, elapsed: Duration, mut latencies: Vec<Duration>) -> Figures {
    latencies.sort();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Figures {
        per_second: count as f64 / elapsed.as_secs_f64(),
        p50: at(0.5),
        p99: at(0.99),
    }
}

/// One writer: `write` + `fdatasync` per record. Appending grows the file every time; with
/// `preallocated`, the file is first extended (sparse, like fjall's journal) and written in
/// place, so `fdatasync` need not record a new size.
fn raw_loop(dir: &Path, count: u64, record: usize, preallocated: bool) -> Figures {
    use std::os::unix::fs::FileExt;
    let path = dir.join("raw.log");
    let mut file = OpenOptions::new()
        .create(true)
        .append(!preallocated)
        .write(true)
        .open(&path)
        .expect("open raw.log");
    if preallocated {
        file.set_len(64 << 20).expect("preallocate raw.log");
        file.sync_all().expect("fsync raw.log");
    }
    let buffer = vec![0x5au8; record];
    let mut latencies = Vec::with_capacity(count as usize);
    let start = Instant::now();
    for i in 0..count {
        let t = Instant::now();
        if preallocated {
            file.write_all_at(&buffer, i * record as u64)
                .expect("write");
        } else {
            file.write_all(&buffer).expect("write");
        }
        file.sync_data().expect("fdatasync");
        latencies.push(t.elapsed());
    }
    let result = figures(count, start.elapsed(), latencies);
    drop(file);
    std::fs::remove_file(path).expect("remove raw.log");
    result
}

/// `threads` threads writing `record`-byte records to one shared file, each followed by its
/// own `fdatasync` (no grouping beyond what the kernel does).
fn raw_threads(dir: &Path, threads: u64, per_thread: u64, record: usize) -> Figures {
    let path = dir.join("raw-threads.log");
    let file = Arc::new(std::sync::Mutex::new(
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .expect("open raw-threads.log"),
    ));
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let file = Arc::clone(&file);
            std::thread::spawn(move || {
                let buffer = vec![0x5au8; record];
                let mut latencies = Vec::new();
                for _ in 0..per_thread {
                    let t = Instant::now();
                    let handle = {
                        let mut f = file.lock().expect("raw file lock");
                        f.write_all(&buffer).expect("write");
                        f.try_clone().expect("clone fd")
                    };
                    handle.sync_data().expect("fdatasync");
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for handle in handles {
        latencies.extend(handle.join().expect("raw thread"));
    }
    let result = figures(threads * per_thread, start.elapsed(), latencies);
    std::fs::remove_file(path).expect("remove raw-threads.log");
    result
}

fn turn(payload: usize, i: u64) -> NewTurn {
    let mut bytes = vec![0u8; payload];
    for (j, b) in bytes.iter_mut().enumerate() {
        *b = (i as usize * 31 + j * 7) as u8;
    }
    NewTurn {
        at: i,
        payload: bytes,
        state_digest: [i as u8; 32],
    }
}

/// `writers` threads, each appending `per_writer` turns to its own run.
/// Returns the figures, the writes per `fdatasync` and the mean `fdatasync` time.
fn store_run(
    store: &Store,
    writers: u64,
    per_writer: u64,
    payload: usize,
) -> (Figures, f64, Duration) {
    let runs: Vec<RunId> = (0..writers)
        .map(|_| {
            store
                .create_run(NewRun {
                    workflow: "bench".into(),
                    program_hash: "0".repeat(64),
                    at: 0,
                })
                .expect("create run")
                .id
        })
        .collect();
    let before = store.commit_stats();
    let start = Instant::now();
    let threads: Vec<_> = runs
        .into_iter()
        .map(|run| {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut latencies = Vec::with_capacity(per_writer as usize);
                for i in 0..per_writer {
                    let t = turn(payload, i);
                    let began = Instant::now();
                    store.append_turn(run, "main", &t).expect("append");
                    latencies.push(began.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for thread in threads {
        latencies.extend(thread.join().expect("writer thread"));
    }
    let elapsed = start.elapsed();
    let after = store.commit_stats();
    let syncs = after.syncs - before.syncs;
    let per_sync = if syncs > 0 {
        (after.writes - before.writes) as f64 / syncs as f64
    } else {
        f64::INFINITY
    };
    let mean_sync = (after.sync_time - before.sync_time) / syncs.max(1) as u32;
    (
        figures(writers * per_writer, elapsed, latencies),
        per_sync,
        mean_sync,
    )
}

fn main() {
    let args = args();
    let _ = std::fs::remove_dir_all(&args.dir);
    std::fs::create_dir_all(&args.dir).expect("create the bench directory");
    println!(
        "store benchmark: {} turns per scenario, {} B payloads, in {}",
        args.turns,
        args.payload,
        args.dir.display()
    );

    // One store for the durable scenarios, so the journal is warm and comparable.
    let store_dir = args.dir.join("store");
    let store = Arc::new(Store::open(&store_dir).expect("open store"));
    // Record size as stored: key (20 bytes) + envelope; the raw loop writes the same amount.
    let probe = store
        .create_run(NewRun {
            workflow: "probe".into(),
            program_hash: "0".repeat(64),
            at: 0,
        })
        .expect("probe run")
        .id;
    store
        .append_turn(probe, "main", &turn(args.payload, 0))
        .expect("probe append");
    let record = store
        .raw_record(RawKind::Turn, probe, "main", 1)
        .expect("probe read")
        .expect("probe record")
        .len()
        + 20;

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!();
    println!(
        "| round | raw append loop /s (p50, p99 ms) | raw preallocated loop /s (p50, p99 ms) | store 1 writer /s (p50, p99 ms; mean fdatasync ms) | ratio | raw 4 threads /s (p50, p99 ms) | store 4 writers /s (p50, p99 ms; mean fdatasync ms) | writes per fdatasync | ratio to raw loop |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut ratios_single = Vec::new();
    let mut ratios_four = Vec::new();
    let mut ratios_single_pre = Vec::new();
    let mut per_syncs = Vec::new();
    let mut rates = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    for round in 1..=args.rounds {
        let raw = raw_loop(&args.dir, args.turns, record, false);
        let raw_pre = raw_loop(&args.dir, args.turns, record, true);
        let (single, _, single_sync) = store_run(&store, 1, args.turns, args.payload);
        let raw4 = raw_threads(&args.dir, 4, args.turns / 4, record);
        let (four, per_sync, four_sync) = store_run(&store, 4, args.turns / 4, args.payload);
        println!(
            "| {round} | {:.0} ({:.2}, {:.2}) | {:.0} ({:.2}, {:.2}) | {:.0} ({:.2}, {:.2}; {:.2}) | {:.2} | {:.0} ({:.2}, {:.2}) | {:.0} ({:.2}, {:.2}; {:.2}) | {:.2} | {:.2} |",
            raw.per_second,
            ms(raw.p50),
            ms(raw.p99),
            raw_pre.per_second,
            ms(raw_pre.p50),
            ms(raw_pre.p99),
            single.per_second,
            ms(single.p50),
            ms(single.p99),
            ms(single_sync),
            single.per_second / raw.per_second,
            raw4.per_second,
            ms(raw4.p50),
            ms(raw4.p99),
            four.per_second,
            ms(four.p50),
            ms(four.p99),
            ms(four_sync),
            per_sync,
            four.per_second / raw.per_second
        );
        ratios_single.push(single.per_second / raw.per_second);
        ratios_four.push(four.per_second / raw.per_second);
        ratios_single_pre.push(single.per_second / raw_pre.per_second);
        per_syncs.push(per_sync);
        rates[0].push(raw.per_second);
        rates[1].push(single.per_second);
        rates[2].push(four.per_second);
        rates[3].push(raw_pre.per_second);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!();
    println!(
        "medians over {} rounds: raw append loop {:.0}/s, raw preallocated loop {:.0}/s; store 1 writer {:.0}/s = {:.2}× raw append, {:.2}× raw preallocated; store 4 writers {:.0}/s = {:.2}× raw, {:.2} writes per fdatasync",
        args.rounds,
        median(rates[0].clone()),
        median(rates[3].clone()),
        median(rates[1].clone()),
        median(ratios_single),
        median(ratios_single_pre),
        median(rates[2].clone()),
        median(ratios_four),
        median(per_syncs)
    );

    // Size per turn: allocated bytes before and after a known number of turns.
    drop(store);
    let size_dir = args.dir.join("size");
    let size_store = Store::open_with(&size_dir, Durability::Buffered).expect("open size store");
    size_store.flush().expect("flush");
    let empty = allocated(&size_dir);
    let size_turns = args.turns.max(5000);
    let (buffered, _, _) = store_run(&size_store, 1, size_turns, args.payload);
    let journal = allocated(&size_dir) - empty;
    size_store.flush().expect("flush");
    let tables = allocated(&size_dir.join("db").join("keyspaces"));
    drop(size_store);

    println!(
        "store, 1 writer, no fsync (Durability::Buffered): {:.0} turns/s (p50 {:.3} ms, p99 {:.3} ms)",
        buffered.per_second,
        ms(buffered.p50),
        ms(buffered.p99),
    );
    println!();
    println!(
        "record: {record} bytes per turn (payload {} + key, envelope and turn fields {})",
        args.payload,
        record - args.payload
    );
    println!(
        "size, over {size_turns} turns: the directory grew {:.0} bytes per turn (journal, and tables flushed meanwhile); tables alone after a flush: {:.0} bytes per turn",
        journal as f64 / size_turns as f64,
        tables as f64 / size_turns as f64
    );
    let _ = std::fs::remove_dir_all(&args.dir);
}
