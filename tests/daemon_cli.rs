//! The daemon through the `duet` command: it follows many runs at once while `runs`,
//! `status` and `history` answer; a sleeping run wakes at its deadline with no other
//! command; a daemon killed mid-run loses nothing and the next one takes its runs up; `run`
//! → Ctrl-C → `attach`; `stop`; a question answered through it; the same output with and
//! without it. Every daemon a test starts is stopped, on panic too ([`Daemon`]).

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

mod support;
use support::{Daemon, command, duet, temp, text};

/// Writes the workflow `name`.lisp into `dir`.
fn workflow(dir: &Path, name: &str, body: &str) {
    std::fs::write(dir.join(format!("{name}.lisp")), body).expect("the workflow");
}

/// A run that sleeps `ms` between asking an echo agent and finishing.
fn sleeper(dir: &Path, ms: u64) {
    workflow(
        dir,
        "sleeper",
        &format!(
            r#"(workflow sleeper
  (roles (w :agent-kind "echo"))
  (state s
    (println "asked" (prompt w "hello"))
    (sleep "{ms}ms")
    (println "woke up")
    (terminal)))"#
        ),
    );
}

/// Polls `duet status RUN` until its status line says `wanted`.
fn wait_for(dir: &Path, run: &str, wanted: &str) -> Output {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = duet(dir, &["status", run]);
        if text(&out.stdout).contains(&format!("status {wanted}")) {
            return out;
        }
        assert!(
            Instant::now() < deadline,
            "run {run} never became {wanted}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn replays(dir: &Path, run: &str) {
    let out = duet(dir, &["replay", run]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("every turn reproduces"));
}

#[test]
fn a_daemon_follows_many_runs_while_other_commands_answer() {
    let dir = temp("daemon-many");
    sleeper(&dir, 3000);
    workflow(
        &dir,
        "question",
        r#"(workflow question
  (state s
    (let [a (ask-user "Colour?" :options ["red" "blue"])]
      (println "got" a)
      (terminal))))"#,
    );
    let _daemon = Daemon::start(&dir);
    // Nineteen sleeping runs with echo agents, and a twentieth asking a question.
    let runs = 19;
    for n in 1..=runs {
        let out = duet(&dir, &["run", "--detach", "sleeper.lisp"]);
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains(&format!("run: r{n} started")));
    }
    // While they sleep, every store command answers, and says who follows them.
    let listed = duet(&dir, &["runs"]);
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed.stderr));
    let listing = text(&listed.stdout);
    assert_eq!(listing.lines().count(), runs, "{listing}");
    assert!(listing.contains("followed by the daemon"), "{listing}");
    let status = duet(&dir, &["status", "r1"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
    let history = duet(&dir, &["history", "r1"]);
    assert_eq!(history.status.code(), Some(0), "{}", text(&history.stderr));
    // A question through the daemon: the run waits (exit 3) and `duet answer` continues it.
    let asked = duet(&dir, &["run", "question.lisp"]);
    assert_eq!(asked.status.code(), Some(3), "{}", text(&asked.stderr));
    let question = format!("r{}", runs + 1);
    assert!(text(&asked.stderr).contains(&format!("duet answer {question} TEXT")));
    let refused = duet(&dir, &["answer", &question, "green"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("not one of the answers"));
    let answered = duet(&dir, &["answer", &question, "red"]);
    assert_eq!(
        answered.status.code(),
        Some(0),
        "{}",
        text(&answered.stderr)
    );
    assert_eq!(text(&answered.stdout), "got red\n");
    for n in 1..=runs {
        wait_for(&dir, &format!("r{n}"), "completed");
        replays(&dir, &format!("r{n}"));
    }
}

#[test]
fn a_sleeping_run_wakes_at_its_deadline_with_no_other_command() {
    let dir = temp("daemon-wake");
    sleeper(&dir, 800);
    let daemon = Daemon::start(&dir);
    let out = duet(&dir, &["run", "--detach", "sleeper.lisp"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    std::thread::sleep(Duration::from_millis(2500));
    drop(daemon);
    // No daemon now: the command reads the store itself.
    let status = duet(&dir, &["status", "r1"]);
    assert!(
        text(&status.stdout).contains("status completed"),
        "{}",
        text(&status.stdout)
    );
    let log = std::fs::read_to_string(dir.join(".duet/logs/daemon.log")).expect("its log");
    assert!(log.contains(r#""text":"woke up\n""#), "{log}");
}

#[test]
fn a_daemon_killed_mid_run_loses_nothing_and_the_next_takes_its_runs_up() {
    let dir = temp("daemon-kill");
    sleeper(&dir, 1500);
    let mut daemon = Daemon::start(&dir);
    for _ in 0..4 {
        let out = duet(&dir, &["run", "--detach", "sleeper.lisp"]);
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    }
    let killed = daemon.pid;
    daemon.kill();
    // Without a daemon, the run's follower is said to be gone, and how to continue it.
    let status = duet(&dir, &["status", "r1"]);
    let said = text(&status.stdout);
    assert!(
        said.contains(&format!("process following it (pid {killed}) stopped")),
        "{said}"
    );
    assert!(said.contains("`duet daemon start` continues it"), "{said}");
    let _again = Daemon::start(&dir);
    // An uninterrupted run, to compare with.
    let whole = duet(&dir, &["run", "sleeper.lisp"]);
    assert_eq!(whole.status.code(), Some(0), "{}", text(&whole.stderr));
    assert_eq!(text(&whole.stdout), "asked echo: hello\nwoke up\n");
    let turns = |run: &str| text(&duet(&dir, &["history", run]).stdout).lines().count();
    for n in 1..=4 {
        let run = format!("r{n}");
        wait_for(&dir, &run, "completed");
        replays(&dir, &run);
        assert_eq!(
            turns(&run),
            turns("r5"),
            "{run} has the turns of an uninterrupted run"
        );
    }
    let log = std::fs::read_to_string(dir.join(".duet/logs/daemon.log")).expect("its log");
    for n in 1..=4 {
        assert!(
            log.contains(&format!("taking up run r{n} (running)")),
            "{log}"
        );
        assert!(
            log.contains(&format!(
                r#"run r{n}: {{"event":"output","text":"woke up\n""#
            )),
            "{log}"
        );
    }
}

#[test]
fn ctrl_c_detaches_and_attach_follows_the_rest() {
    let dir = temp("daemon-attach");
    sleeper(&dir, 1500);
    let _daemon = Daemon::start(&dir);
    let child = command(&dir, &["run", "sleeper.lisp"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("duet runs");
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: interrupts the `duet run` this test started, as Ctrl-C would.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().expect("duet run ends");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "asked echo: hello\n");
    assert!(
        text(&out.stderr).contains("run: r1 goes on in the daemon; `duet attach r1`"),
        "{}",
        text(&out.stderr)
    );
    let attached = duet(&dir, &["attach", "r1"]);
    assert_eq!(
        attached.status.code(),
        Some(0),
        "{}",
        text(&attached.stderr)
    );
    assert_eq!(text(&attached.stdout), "woke up\n");
    assert!(text(&attached.stderr).ends_with("run: r1 completed\n"));
    // Attaching to a run that has ended says so.
    let again = duet(&dir, &["attach", "r1"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(text(&again.stderr).contains("r1 is not running in the daemon: completed"));
}

#[test]
fn stop_cancels_a_run_with_and_without_a_daemon() {
    let dir = temp("daemon-stop");
    sleeper(&dir, 60_000);
    let daemon = Daemon::start(&dir);
    let out = duet(&dir, &["run", "--detach", "sleeper.lisp"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stopped = duet(&dir, &["stop", "r1"]);
    assert_eq!(stopped.status.code(), Some(0), "{}", text(&stopped.stderr));
    assert!(text(&duet(&dir, &["status", "r1"]).stdout).contains("status cancelled"));
    // `daemon stop` leaves a sleeping run resumable; `duet stop` without a daemon ends it.
    let out = duet(&dir, &["run", "--detach", "sleeper.lisp"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    drop(daemon);
    let status = text(&duet(&dir, &["status", "r2"]).stdout);
    assert!(status.contains("status interrupted"), "{status}");
    let stopped = duet(&dir, &["stop", "r2"]);
    assert_eq!(stopped.status.code(), Some(0), "{}", text(&stopped.stderr));
    assert!(text(&duet(&dir, &["status", "r2"]).stdout).contains("status cancelled"));
    let ended = duet(&dir, &["stop", "r2"]);
    assert!(text(&ended.stderr).contains("has already ended"));
    // Attach needs a daemon, and says so.
    let attach = duet(&dir, &["attach", "r2"]);
    assert_eq!(attach.status.code(), Some(2));
    assert!(text(&attach.stderr).contains("`duet daemon start` starts one"));
}

#[test]
fn commands_say_the_same_with_and_without_a_daemon() {
    let dir = temp("daemon-same");
    sleeper(&dir, 10);
    let out = duet(&dir, &["run", "sleeper.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let commands: [&[&str]; 9] = [
        &["runs"],
        &["status", "r1"],
        &["status", "r1", "--json"],
        &["history", "r1", "--json"],
        &["replay", "r1"],
        &["status", "r9"],
        &["blame", "sleeper.lisp"],
        &["blame", "missing.lisp"],
        &["store", "check"],
    ];
    let without: Vec<Output> = commands.iter().map(|c| duet(&dir, c)).collect();
    let _daemon = Daemon::start(&dir);
    for (args, alone) in commands.iter().zip(&without) {
        let served = duet(&dir, args);
        assert_eq!(served.status.code(), alone.status.code(), "{args:?}");
        assert_eq!(text(&served.stdout), text(&alone.stdout), "{args:?}");
        assert_eq!(text(&served.stderr), text(&alone.stderr), "{args:?}");
    }
    // A second start finds the first.
    let again = duet(&dir, &["daemon", "start"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(text(&again.stderr).contains("already serves"));
    // Its socket is its owner's alone.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.join(".duet/daemon.sock"))
        .expect("the socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn a_question_is_asked_at_the_terminal_of_the_run_following_it_through_the_daemon() {
    use expectrl::{ControlCode, Eof, Expect, Session};
    let dir = temp("daemon-terminal");
    workflow(
        &dir,
        "q",
        r#"(workflow q
  (state s
    (println "gate:" (race (ask-user "Deploy?") (do (sleep "30s") "timeout")))
    (println "colour:" (ask-user "Colour?" :options ["red" "blue"]))
    (println "last:" (ask-user "Last?"))
    (terminal)))"#,
    );
    let _daemon = Daemon::start(&dir);
    let mut session = Session::spawn(command(&dir, &["run", "q.lisp"])).expect("a pty");
    session.set_expect_timeout(Some(Duration::from_secs(20)));
    // Asked at once, raced against the timer, in the daemon: the answer typed here wins.
    session.expect("question: Deploy?").expect("asked at once");
    session.expect("answer> ").expect("a prompt");
    session.send_line("yes").expect("typing");
    session.expect("gate: yes").expect("the answer won");
    // Only an offered answer is taken; the question is asked again.
    session.expect("(one of: red, blue)").expect("the options");
    session.send_line("green").expect("typing");
    session.expect("not one of").expect("refused");
    session.expect("answer> ").expect("asked again");
    session.send_line("blue").expect("typing");
    session.expect("colour: blue").expect("taken");
    session
        .expect("question: Last?")
        .expect("the last question");
    session.expect("answer> ").expect("a prompt");
    // Ctrl-D: no answer; the run waits for `duet answer`, in the daemon.
    session
        .send(ControlCode::EndOfTransmission)
        .expect("Ctrl-D");
    let rest = session.expect(Eof).expect("the command ends");
    let rest = String::from_utf8_lossy(rest.as_bytes()).into_owned();
    assert!(
        rest.contains("waits for a person to answer: Last?"),
        "{rest}"
    );
    let out = duet(&dir, &["answer", "r1", "later"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "last: later\n");
    replays(&dir, "r1");
}

#[test]
fn an_answered_run_whose_follower_dies_is_interrupted_not_waiting_for_the_answer() {
    let dir = temp("daemon-answered");
    workflow(
        &dir,
        "asker",
        r#"(workflow asker
  (state ask
    (let [a (ask-user "Go?" :options ["go" "no"])]
      (println "answer" a)
      (goto count)))
  (state count
    (loop [i 0]
      (when (< i 100)
        (sleep "50ms")
        (println "line" i)
        (recur (+ i 1))))
    (terminal)))"#,
    );
    let out = duet(&dir, &["run", "asker.lisp"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    // `duet answer` follows the run on; it is killed while the run counts.
    let mut answering = command(&dir, &["answer", "r1", "go"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("duet answer starts");
    let mut lines = std::io::BufReader::new(answering.stdout.take().expect("its output"));
    let mut line = String::new();
    while !line.starts_with("line 3") {
        line.clear();
        let read = std::io::BufRead::read_line(&mut lines, &mut line).expect("reads");
        assert!(read > 0, "the run printed its lines");
    }
    answering.kill().expect("killed");
    answering.wait().expect("ended");
    let status = text(&duet(&dir, &["status", "r1"]).stdout);
    assert!(status.contains("status interrupted"), "{status}");
    assert!(
        !status.contains("Go?"),
        "the question was answered: {status}"
    );
    // A second answer is refused: the run waits for none; `duet resume` finishes it.
    let again = duet(&dir, &["answer", "r1", "go"]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again.stderr));
    let resumed = duet(&dir, &["resume", "r1"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed.stderr));
    assert!(text(&resumed.stdout).ends_with("line 99\n"));
    let status = text(&duet(&dir, &["status", "r1"]).stdout);
    assert!(status.contains("status completed"), "{status}");
}
