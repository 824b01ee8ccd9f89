//! Without a daemon, a `duet run` following its run in the foreground holds the store, and
//! serves every other command on it meanwhile (docs/daemon.md): they answer while it runs,
//! a second run goes on alongside it, its own run can be stopped from elsewhere, and it says
//! it is no daemon when asked to stop or to make way for one.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

mod support;
use support::{command, duet, temp, text};

/// A workflow that prints, sleeps `ms`, prints again.
fn sleeper(dir: &Path, ms: u64) {
    std::fs::write(
        dir.join("sleeper.lisp"),
        format!(
            r#"(workflow sleeper
  (roles (w :agent-kind "echo"))
  (state s
    (println "asked" (prompt w "hello"))
    (sleep "{ms}ms")
    (println "woke up")
    (terminal)))"#
        ),
    )
    .expect("the workflow");
}

/// Starts `duet run sleeper.lisp` in `dir` and waits until it serves the store.
fn running(dir: &Path) -> Child {
    let child = command(dir, &["run", "sleeper.lisp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("duet runs");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !dir.join(".duet/daemon.sock").exists() {
        assert!(Instant::now() < deadline, "the run never served the store");
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

fn still_running(child: &mut Child) {
    assert!(
        child.try_wait().expect("it can be waited for").is_none(),
        "the foreground run ended before the commands answered"
    );
}

#[test]
fn while_a_foreground_run_sleeps_other_commands_answer_the_same() {
    let dir = temp("alongside-answer");
    sleeper(&dir, 3000);
    let mut child = running(&dir);
    let pid = child.id();
    let runs = duet(&dir, &["runs"]);
    assert_eq!(runs.status.code(), Some(0), "{}", text(&runs.stderr));
    assert_eq!(
        text(&runs.stdout),
        format!("r1\tsleeper\trunning (followed by pid {pid})\n")
    );
    let status = duet(&dir, &["status", "r1"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
    assert!(text(&status.stdout).contains(&format!("status running (followed by pid {pid})")));
    let during = duet(&dir, &["history", "r1", "--json"]);
    assert_eq!(during.status.code(), Some(0), "{}", text(&during.stderr));
    let missing = duet(&dir, &["status", "r9"]);
    assert_eq!(missing.status.code(), Some(2));
    still_running(&mut child);
    let out = child.wait_with_output().expect("the run ends");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "asked echo: hello\nwoke up\n");
    // Once it has let go of the store, the commands open it themselves, and say the same.
    let after = duet(&dir, &["history", "r1", "--json"]);
    assert!(
        text(&after.stdout).starts_with(&text(&during.stdout)),
        "{}\n{}",
        text(&during.stdout),
        text(&after.stdout)
    );
    assert_eq!(
        text(&duet(&dir, &["status", "r9"]).stderr),
        text(&missing.stderr)
    );
    assert!(!dir.join(".duet/daemon.sock").exists());
}

#[test]
fn a_second_run_goes_on_alongside_and_the_first_refuses_to_be_a_daemon() {
    let dir = temp("alongside-second");
    sleeper(&dir, 2000);
    let mut child = running(&dir);
    let pid = child.id();
    // A follower of its own is refused: the run is followed already.
    let resume = duet(&dir, &["resume", "r1"]);
    assert_eq!(resume.status.code(), Some(2));
    assert!(
        text(&resume.stderr).contains(&format!(
            "run r1 is already running in duet pid {pid}; `duet attach r1` follows it"
        )),
        "{}",
        text(&resume.stderr)
    );
    let stop = duet(&dir, &["daemon", "stop"]);
    assert_eq!(stop.status.code(), Some(1));
    assert!(
        text(&stop.stderr).contains(&format!("pid {pid} is a foreground `duet` following a run")),
        "{}",
        text(&stop.stderr)
    );
    let start = duet(&dir, &["daemon", "start"]);
    assert_eq!(start.status.code(), Some(1));
    assert!(text(&start.stderr).contains("start the daemon once it ends"));
    let status = duet(&dir, &["daemon", "status"]);
    assert_eq!(status.status.code(), Some(3));
    assert!(text(&status.stdout).contains(&format!("pid {pid}, a foreground duet")));
    still_running(&mut child);
    let second = duet(&dir, &["run", "sleeper.lisp"]);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    assert_eq!(text(&second.stdout), "asked echo: hello\nwoke up\n");
    assert!(text(&second.stderr).contains("run: r2 completed"));
    let out = child.wait_with_output().expect("the run ends");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for run in ["r1", "r2"] {
        let replay = duet(&dir, &["replay", run]);
        assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
    }
}

#[test]
fn the_foreground_run_is_stopped_from_elsewhere() {
    let dir = temp("alongside-stop");
    sleeper(&dir, 60_000);
    let child = running(&dir);
    let stopped = duet(&dir, &["stop", "r1"]);
    assert_eq!(stopped.status.code(), Some(0), "{}", text(&stopped.stderr));
    assert!(text(&stopped.stderr).contains("run: r1 stopped and recorded as cancelled"));
    let out = child.wait_with_output().expect("the run ends");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("run: r1 cancelled"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&duet(&dir, &["status", "r1"]).stdout).contains("status cancelled"));
}

#[test]
fn a_detached_run_without_a_daemon_is_served_by_its_background_process() {
    let dir = temp("alongside-detach");
    sleeper(&dir, 60_000);
    let out = duet(&dir, &["run", "--detach", "sleeper.lisp"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    // Once the background `duet resume` holds the store, the commands go through it.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        let status = duet(&dir, &["status", "r1"]);
        // The moment the background process has taken the store but does not serve it yet
        // is waited out by the client (up to 2 s, then 2 s for the store); on a machine
        // loaded enough for that moment to last longer, the command says the store is in
        // use and is asked again.
        let starting = text(&status.stderr).contains("store in use by pid");
        assert!(
            status.status.code() == Some(0) || starting,
            "{}",
            text(&status.stderr)
        );
        if text(&status.stdout).contains("status running (followed by pid ") {
            break status;
        }
        assert!(Instant::now() < deadline, "{}", text(&status.stdout));
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        text(&status.stdout).contains("turns "),
        "{}",
        text(&status.stdout)
    );
    let stopped = duet(&dir, &["stop", "r1"]);
    assert_eq!(stopped.status.code(), Some(0), "{}", text(&stopped.stderr));
    assert!(text(&stopped.stderr).contains("run: r1 stopped and recorded as cancelled"));
    let log = std::fs::read_to_string(dir.join(".duet/logs/r1.log")).expect("its log");
    assert!(log.contains("run: r1 cancelled"), "{log}");
}
