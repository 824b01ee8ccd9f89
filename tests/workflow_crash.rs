//! A workflow of many turns killed with SIGKILL at random moments (24 trials, or
//! `WORKFLOW_CRASH_TRIALS`; `bench/store/crash.sh` runs many): after each
//! kill, `duet resume` finishes it with exactly the result of an uninterrupted run, and the
//! journal holds every turn once, and `duet replay` reproduces every turn and snapshot the
//! interrupted processes recorded.

use std::process::Stdio;
use std::time::Duration;

mod support;
use support::{command, duet};

const WORKFLOW: &str = "\
(workflow counter
  (def total 0)
  (state count
    (loop [i 0]
      (when (< i 120)
        (set! total (+ total i (random-int 1)))
        (when (= i 0) (println \"turning\"))
        (recur (inc i))))
    (println \"total\" total)
    (terminal :completed total)))
";

#[test]
fn killed_runs_resume_to_the_same_result() {
    // A small deterministic generator for the moments to kill at.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let base = std::env::temp_dir().join(format!("duet-crash-{}", std::process::id()));
    // How long an uninterrupted run takes here after it says it is turning, to kill
    // within that.
    let reference = base.join("reference");
    std::fs::create_dir_all(&reference).expect("a temp dir");
    std::fs::write(reference.join("counter.lisp"), WORKFLOW).expect("writable");
    let mut child = command(&reference, &["run", "counter.lisp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("duet starts");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("its stdout"));
    let mut whole = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut whole).expect("a line");
    let turning = std::time::Instant::now();
    std::io::Read::read_to_string(&mut stdout, &mut whole).expect("the rest");
    let mut span = turning.elapsed().as_millis().max(10) as u64;
    let _ = child.wait();
    assert_eq!(whole, "turning\ntotal 7140\n");
    let mut resumed = 0;
    let trials: u64 = std::env::var("WORKFLOW_CRASH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    for trial in 0..trials {
        let dir = base.join(format!("t{trial}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temp dir");
        std::fs::write(dir.join("counter.lisp"), WORKFLOW).expect("writable");
        let mut child = command(&dir, &["run", "counter.lisp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("duet starts");
        // Once it says it is turning, the run is recorded and its first turn journaled:
        // kill it at a random moment of the rest (or, one trial in eight, at once).
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("its stdout"));
        let mut first_out = String::new();
        std::io::BufRead::read_line(&mut stdout, &mut first_out).expect("a line");
        if next() % 8 != 0 {
            std::thread::sleep(Duration::from_millis(next() % (span * 3 / 4)));
        }
        let _ = child.kill();
        let _ = child.wait().expect("it ends");
        std::io::Read::read_to_string(&mut stdout, &mut first_out).expect("the rest");
        let listed = String::from_utf8_lossy(&duet(&dir, &["runs"]).stdout).into_owned();
        if listed.is_empty() {
            // Killed before the run was recorded: nothing was acknowledged.
            continue;
        }
        let mut printed = first_out;
        if listed == "r1\tcounter\tcompleted\n" {
            // It finished before the kill: the machine is faster than the reference run
            // was (the load on it changes), so kill sooner from now on.
            span = (span * 2 / 3).max(2);
        } else {
            // Nothing follows it any more, and `duet runs` says so.
            assert!(
                listed.starts_with("r1\tcounter\tinterrupted: "),
                "trial {trial}: {listed}"
            );
            let again = duet(&dir, &["resume", "r1"]);
            assert_eq!(
                again.status.code(),
                Some(0),
                "trial {trial}: {}",
                String::from_utf8_lossy(&again.stderr)
            );
            printed.push_str(&String::from_utf8_lossy(&again.stdout));
            resumed += 1;
        }
        // The result is printed (at least once: output printed just before a kill may be
        // printed again by the resume, never lost).
        assert!(
            printed.contains("total 7140\n"),
            "trial {trial}: printed {printed:?}"
        );
        let runs = String::from_utf8_lossy(&duet(&dir, &["runs"]).stdout).into_owned();
        assert_eq!(runs, "r1\tcounter\tcompleted\n", "trial {trial}");
        // Every effect's answer was journaled exactly once.
        let history = String::from_utf8_lossy(&duet(&dir, &["history", "r1"]).stdout).into_owned();
        let turns: Vec<&str> = history.lines().collect();
        assert_eq!(turns.len(), 120, "trial {trial}: {history}");
        for (i, line) in turns.iter().enumerate() {
            assert!(
                line.starts_with(&format!("{}\t", i + 1)),
                "trial {trial}: {line}"
            );
            assert!(line.ends_with(" answered: 0"), "trial {trial}: {line}");
        }
        // Snapshots are taken by policy, so how many depends on where the kills fell.
        let replay = duet(&dir, &["replay", "r1"]);
        let report = String::from_utf8_lossy(&replay.stderr);
        assert!(
            report.starts_with("replay: r1 branch main: every turn reproduces (120 turns, "),
            "trial {trial}: {report}"
        );
    }
    assert!(
        resumed >= trials / 2,
        "only {resumed} of {trials} trials were killed mid-run; kill earlier"
    );
    eprintln!(
        "workflow crash test: {trials} SIGKILLs, {resumed} mid-run; every resumed run printed \
         the uninterrupted result, journaled each of its 120 turns once and replays"
    );
    let _ = std::fs::remove_dir_all(&base);
}
