//! A symbolic link swapped in while a workflow reads and writes: another thread keeps
//! exchanging a directory of the workspace with a link to a directory outside it, and not
//! one read may return the outside file, not one write may change it.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use duet_runtime::effects::Workspace;

/// Swaps `ws/d` between the directory and the link until `stop`; how many swaps it made.
fn swapper(ws: &Path, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    let ws = ws.to_path_buf();
    std::thread::spawn(move || {
        let (d, hold, link) = (ws.join("d"), ws.join("hold"), ws.join("link"));
        let mut swaps = 0;
        while !stop.load(Ordering::Relaxed) {
            // Each rename replaces a name at once: `d` is always the directory or the link.
            std::fs::rename(&d, &hold).expect("d to hold");
            std::fs::rename(&link, &d).expect("link to d");
            std::fs::rename(&d, &link).expect("d to link");
            std::fs::rename(&hold, &d).expect("hold to d");
            swaps += 1;
        }
        swaps
    })
}

#[test]
fn a_link_swapped_in_during_reads_and_writes_never_reaches_outside() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let ws = dir.path().join("ws");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(ws.join("d")).expect("d");
    std::fs::create_dir_all(&outside).expect("outside");
    std::fs::write(ws.join("d/f"), "inside").expect("inside");
    std::fs::write(outside.join("f"), "outside").expect("outside");
    std::os::unix::fs::symlink(&outside, ws.join("link")).expect("the link");
    let workspace = Workspace::new(&ws).expect("a workspace");

    let stop = Arc::new(AtomicBool::new(false));
    let swapping = swapper(&ws, stop.clone());
    let (mut inside, mut escaped, mut refused, mut other) = (0u64, 0u64, 0u64, 0u64);
    let (mut reads, mut writes) = (0u64, 0u64);
    let started = Instant::now();
    let budget = Duration::from_millis(
        std::env::var("DUET_RACE_MS")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .unwrap_or(2_000),
    );
    while started.elapsed() < budget {
        for _ in 0..100 {
            reads += 1;
            match workspace.read("d/f") {
                Ok(text) if text == "inside" => inside += 1,
                Ok(text) => {
                    escaped += 1;
                    eprintln!("read {text:?}");
                }
                Err(f) if f.kind == "capability" => refused += 1,
                Err(_) => other += 1,
            }
        }
        writes += 1;
        let _ = workspace.write("d/f", "inside");
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = swapping.join().expect("the swapper");
    eprintln!(
        "{reads} reads ({inside} inside, {refused} refused, {other} other errors), {writes} writes, {swaps} swaps: {escaped} escaped"
    );
    assert_eq!(escaped, 0, "reads returned the outside file");
    assert_eq!(
        std::fs::read_to_string(outside.join("f")).expect("outside"),
        "outside",
        "a write reached outside"
    );
    // The race was really run: the link was met, and the directory was read through.
    assert!(refused > 0 && inside > 0, "the swap never raced a read");
}
