//! Workflow runs through the `duet` command, durably in a store: the seed example completes
//! with `--agents echo`, exit codes follow the outcome (0 done, 1 failed, 2 usage, 3
//! waiting), the time-travel commands report and refuse as they should, `--json` and
//! `--detach` work, and questions are asked at a terminal. The engine's semantics (deadlines,
//! replay, back/fork) are tested in-crate, in `runtime/tests/engine.rs`.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

mod support;
use support::{command, duet, json_lines, temp, text};

#[test]
fn the_seed_example_completes_with_echo_agents() {
    let dir = temp("seed");
    let seed = std::fs::canonicalize("examples/ping-pong.lisp").expect("the example");
    let out = duet(
        &dir,
        &["run", "--agents", "echo", seed.to_str().expect("utf-8")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("run: r1 started"),
        "the run's id comes first: {stderr}"
    );
    assert!(stderr.contains("log: Planner drafts the task"));
    assert!(stderr.ends_with("run: r1 completed\n"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing printed to stdout");
    assert!(
        dir.join(".duet").is_dir(),
        "the default store is .duet here"
    );
    let runs = duet(&dir, &["runs"]);
    assert_eq!(text(&runs.stdout), "r1\tping-pong\tcompleted\n");
    // Without echo agents the declared claude-code agents run `claude`; with no `claude`
    // on the PATH the run fails and says how to dry-run.
    let empty = temp("seed-empty-path");
    let out = command(&dir, &["run", seed.to_str().expect("utf-8")])
        .env("PATH", &empty)
        .output()
        .expect("duet runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("run: r2 failed: the role `planner` is played by a `claude-code` agent, but the `claude` command is not installed"),
        "{stderr}"
    );
    assert!(stderr.contains("`--agents echo`"), "{stderr}");
}

#[test]
fn exit_codes_follow_the_outcome() {
    let dir = temp("exits");
    std::fs::write(
        dir.join("fail.lisp"),
        "(workflow w\n  (state s\n    (terminal :failed \"no\")))\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("wait.lisp"),
        "(workflow w\n  (state s\n    (await (record never))\n    (terminal)))\n",
    )
    .unwrap();
    std::fs::write(dir.join("shell.lisp"), "(workflow w\n  (state s\n    (print (get (shell \"echo from-shell\") :stdout))\n    (terminal)))\n").unwrap();
    assert_eq!(duet(&dir, &["run", "fail.lisp"]).status.code(), Some(1));
    let waiting = duet(&dir, &["run", "wait.lisp"]);
    assert_eq!(waiting.status.code(), Some(3));
    assert!(text(&waiting.stderr).contains("suspended"));
    let denied = duet(&dir, &["run", "shell.lisp"]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(text(&denied.stderr).contains("--allow shell"));
    let allowed = duet(&dir, &["run", "--allow", "shell", "shell.lisp"]);
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed.stderr));
    assert_eq!(text(&allowed.stdout), "from-shell\n");
    let status = duet(&dir, &["status", "r2"]);
    assert!(
        text(&status.stdout).contains("status waiting"),
        "{}",
        text(&status.stdout)
    );
    assert_eq!(duet(&dir, &["status", "r99"]).status.code(), Some(2));
}

#[test]
fn ask_user_suspends_and_duet_answer_completes_it() {
    let dir = temp("ask");
    std::fs::write(
        dir.join("approve.lisp"),
        "(workflow approve\n  (state ask\n    (let [answer (ask-user \"Deploy now?\" :options [\"yes\" \"no\"])]\n      (println \"the person said\" answer)\n      (terminal))))\n",
    )
    .unwrap();
    // No terminal on standard input: the run waits for a person.
    let first = command(&dir, &["run", "approve.lisp"])
        .stdin(Stdio::null())
        .output()
        .expect("duet runs");
    assert_eq!(first.status.code(), Some(3), "{}", text(&first.stderr));
    assert!(text(&first.stderr).contains("answer it with `duet answer r1 TEXT`"));
    let status = duet(&dir, &["status", "r1"]);
    assert!(text(&status.stdout).contains("waiting: an answer to: Deploy now?"));
    let answered = duet(&dir, &["answer", "r1", "yes"]);
    assert_eq!(
        answered.status.code(),
        Some(0),
        "{}",
        text(&answered.stderr)
    );
    assert_eq!(text(&answered.stdout), "the person said yes\n");
    let runs = duet(&dir, &["runs"]);
    assert_eq!(text(&runs.stdout), "r1\tapprove\tcompleted\n");
    let again = duet(&dir, &["answer", "r1", "no"]);
    assert_eq!(again.status.code(), Some(2), "the answer is not taken");
    assert!(text(&again.stderr).contains("already ended"));
}

#[test]
fn ask_user_multi_takes_several_of_the_options() {
    let dir = temp("ask-multi");
    std::fs::write(
        dir.join("checks.lisp"),
        "(workflow checks\n  (state ask\n    (let [chosen (ask-user \"Which checks?\" :options [\"lint\" \"test\" \"docs\"] :multi true)]\n      (println (count chosen) chosen)\n      (terminal))))\n",
    )
    .unwrap();
    let first = command(&dir, &["run", "--json", "checks.lisp"])
        .stdin(Stdio::null())
        .output()
        .expect("duet runs");
    assert_eq!(first.status.code(), Some(3), "{}", text(&first.stderr));
    let question: serde_json::Value =
        serde_json::from_str(text(&first.stdout).lines().last().expect("events")).expect("JSON");
    assert_eq!(question["event"], "question", "{question}");
    assert_eq!(question["multi"], true, "{question}");
    // An option not offered is refused; the run still waits.
    let refused = duet(&dir, &["answer", "r1", "lint, deploy"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    let said = text(&refused.stderr);
    assert!(
        said.contains("`deploy` is not one of the answers offered"),
        "{said}"
    );
    assert!(said.contains("duet answer r1 \"lint, test\""), "{said}");
    assert!(text(&duet(&dir, &["status", "r1"]).stdout).contains("waiting"));
    // Several chosen, in any order: the program gets them in the order offered.
    let answered = duet(&dir, &["answer", "r1", "docs,lint"]);
    assert_eq!(
        answered.status.code(),
        Some(0),
        "{}",
        text(&answered.stderr)
    );
    assert_eq!(text(&answered.stdout), "2 [\"lint\" \"docs\"]\n");
    let history = text(&duet(&dir, &["history", "r1"]).stdout).to_string();
    assert!(history.contains("lint, docs"), "{history}");
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));

    // Several need options to choose from, and options without commas.
    std::fs::write(
        dir.join("bad.lisp"),
        "(workflow bad (state s (ask-user \"Which?\" :multi true)))\n",
    )
    .unwrap();
    let bad = duet(&dir, &["run", "bad.lisp"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("`ask-user :multi true` needs `:options`"),
        "{}",
        text(&bad.stderr)
    );
    std::fs::write(
        dir.join("comma.lisp"),
        "(workflow comma (state s (ask-user \"Which?\" :options [\"a, b\" \"c\"] :multi true)))\n",
    )
    .unwrap();
    let comma = duet(&dir, &["run", "comma.lisp"]);
    assert_eq!(comma.status.code(), Some(1));
    assert!(
        text(&comma.stderr).contains("cannot offer \"a, b\""),
        "{}",
        text(&comma.stderr)
    );
}

/// Runs an example from a fresh directory with echo agents; returns the output.
fn example(name: &str, extra: &[&str], setup: impl FnOnce(&Path)) -> (PathBuf, Output) {
    let dir = temp(&format!("example-{name}"));
    setup(&dir);
    let file = std::fs::canonicalize(format!("examples/{name}.lisp")).expect("the example exists");
    let mut args = vec!["run", "--agents", "echo"];
    args.extend_from_slice(extra);
    args.push(file.to_str().expect("utf-8"));
    let out = command(&dir, &args)
        .stdin(Stdio::null())
        .output()
        .expect("duet runs");
    (dir, out)
}

#[test]
fn every_example_runs_offline_with_echo_agents() {
    let (_, out) = example("plan-implement-review", &[], |_| {});
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "round 1 review: approve []\n");
    assert!(
        text(&out.stderr).ends_with("completed with {:rounds 1}\n"),
        "{}",
        text(&out.stderr)
    );

    let (dir, out) = example("best-of-three", &[], |_| {});
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Echo agents change no files: the judge's echo names attempt 1, which changed nothing.
    assert_eq!(text(&out.stdout), "the judge chose attempt 1 changing []\n");
    assert!(
        text(&out.stderr).contains("judge asked"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !dir.join(".duet/worktrees").exists(),
        "the attempts' copies are gone"
    );

    let (_, out) = example("fan-out", &[], |_| {});
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("completed with {:answers 3}"));

    let (_, out) = example("ci-relay", &["--allow", "workspace/read"], |dir| {
        std::fs::write(dir.join("ci-status.txt"), "green\n").unwrap();
    });
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "CI is green after 1 checks\n");

    let (_, out) = example("ci-relay", &["--allow", "workspace/read"], |dir| {
        std::fs::write(dir.join("ci-status.txt"), "pending\n").unwrap();
    });
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("CI did not finish in time"));

    let (dir, out) = example("approval-gate", &[], |_| {});
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let answered = duet(&dir, &["answer", "r1", "yes"]);
    assert_eq!(
        answered.status.code(),
        Some(0),
        "{}",
        text(&answered.stderr)
    );
    assert_eq!(text(&answered.stdout), "deploying\n");
}

#[test]
fn replay_verifies_every_turn_and_finds_a_tampered_one() {
    let (dir, out) = example("plan-implement-review", &[], |_| {});
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
    let report = text(&replay.stderr);
    assert!(
        report.starts_with("replay: r1 branch main: every turn reproduces ("),
        "{report}"
    );
    assert!(
        replay.stdout.is_empty(),
        "a replay prints nothing the run printed"
    );

    // Failure paths: no such run, no such branch, no store.
    let missing = duet(&dir, &["replay", "r9"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("no run `r9`"),
        "{}",
        text(&missing.stderr)
    );
    let branch = duet(&dir, &["replay", "r1", "--branch", "nope"]);
    assert_eq!(branch.status.code(), Some(2));
    assert!(
        text(&branch.stderr).contains("nope"),
        "{}",
        text(&branch.stderr)
    );
    let nowhere = duet(&dir, &["replay", "r1", "--store", "absent"]);
    assert_eq!(nowhere.status.code(), Some(2));
    assert!(text(&nowhere.stderr).contains("there is no store at absent"));

    // Tampering is found (the engine's own tests try every kind; here the command's exit
    // code and message): a workflow of one turn, the clock's answer, run twice.
    let dir = temp("replay-digest");
    std::fs::write(
        dir.join("clock.lisp"),
        "(workflow w\n  (state s\n    (println (> (now) 0))\n    (terminal)))\n",
    )
    .unwrap();
    let out = duet(&dir, &["run", "clock.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "true\n");
    let out = duet(&dir, &["run", "clock.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let clean = duet(&dir, &["replay", "r2"]);
    assert_eq!(
        text(&clean.stderr),
        "replay: r2 branch main: every turn reproduces (1 turn, 2 snapshots identical)\n"
    );
    let history = text(&duet(&dir, &["history", "r2"]).stdout);
    let fields: Vec<&str> = history.trim_end().split('\t').collect();
    assert_eq!(fields.len(), 3, "{history}");
    assert_eq!(fields[0], "1", "{history}");
    assert!(
        fields[2].starts_with("effect 0 answered: 1"),
        "the clock's answer, in milliseconds: {history}"
    );
    // A snapshot that the replay cannot reproduce is found, and named by its turn.
    let store = duet_store::Store::open(dir.join(".duet")).expect("the store opens");
    let r1 = "r1".parse().expect("a run id");
    store
        .put_snapshot(r1, "main", 1, b"not the state")
        .expect("a snapshot is stored");
    drop(store);
    let tampered = duet(&dir, &["replay", "r1"]);
    assert_eq!(tampered.status.code(), Some(1));
    assert!(
        text(&tampered.stderr).contains("diverges after turn 1: the replayed state differs"),
        "{}",
        text(&tampered.stderr)
    );
    // So is a turn whose journaled state digest does not match.
    let store = duet_store::Store::open(dir.join(".duet")).expect("the store opens");
    let id = "r2".parse().expect("a run id");
    let head = store
        .read_turns(id, "main", 1)
        .expect("the journal reads")
        .len() as u64;
    store
        .append_turn(
            id,
            "main",
            &duet_store::NewTurn {
                at: 0,
                payload: duet_runtime::workflow::RunInput::Deadline { id: 9, at: 0 }.encode(),
                state_digest: [7; 32],
            },
        )
        .expect("a turn is appended");
    drop(store);
    let tampered = duet(&dir, &["replay", "r2"]);
    assert_eq!(tampered.status.code(), Some(1));
    assert!(
        text(&tampered.stderr).contains(&format!("diverges at turn {}", head + 1)),
        "{}",
        text(&tampered.stderr)
    );
}

#[test]
fn back_and_fork_travel_in_time_without_losing_a_turn() {
    let dir = temp("time-travel");
    std::fs::write(
        dir.join("draw.lisp"),
        "(workflow draw\n  (state s\n    (println \"a\" (random-int 1000000))\n    (println \"b\" (random-int 1000000))\n    (println \"c\" (random-int 1000000))\n    (terminal)))\n",
    )
    .unwrap();
    let first = duet(&dir, &["run", "draw.lisp"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let history = |branch: &str| text(&duet(&dir, &["history", "r1", "--branch", branch]).stdout);
    let original = history("main");
    assert_eq!(original.lines().count(), 3, "{original}");

    // Back two turns: main ends at turn 1, the two later turns are kept on main~1.
    let back = duet(&dir, &["back", "r1", "--count", "2"]);
    assert_eq!(back.status.code(), Some(0), "{}", text(&back.stderr));
    assert!(
        text(&back.stderr)
            .contains("moved back to turn 1; the 2 turns after it are kept on branch main~1"),
        "{}",
        text(&back.stderr)
    );
    assert_eq!(history("main~1"), original);
    assert_eq!(
        history("main"),
        original.lines().next().unwrap().to_string() + "\n"
    );
    let status = text(&duet(&dir, &["status", "r1"]).stdout);
    assert!(
        status.contains("status waiting: resumption from turn 1"),
        "{status}"
    );
    // Resuming draws the two later numbers afresh; the first comes from the journal, and the
    // turn that drew it is redelivered from the last snapshot, so it is shown again, the same.
    let resumed = duet(&dir, &["resume", "r1"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed.stderr));
    let printed = text(&resumed.stdout);
    let lines: Vec<&str> = printed.lines().collect();
    assert!(
        lines.len() == 3
            && lines[0] == text(&first.stdout).lines().next().unwrap()
            && lines[1].starts_with("b ")
            && lines[2].starts_with("c "),
        "{printed}"
    );
    let rerun = history("main");
    assert_eq!(rerun.lines().count(), 3, "{rerun}");
    assert_eq!(rerun.lines().next(), original.lines().next());

    // Fork from turn 2 of main: a new current branch, main untouched.
    let fork = duet(&dir, &["fork", "r1", "--at", "2"]);
    assert_eq!(fork.status.code(), Some(0), "{}", text(&fork.stderr));
    assert!(text(&fork.stderr).contains("forked branch fork-1 from main at turn 2"));
    let status = text(&duet(&dir, &["status", "r1"]).stdout);
    assert!(status.contains("branch fork-1"), "{status}");
    let resumed = duet(&dir, &["resume", "r1"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed.stderr));
    // The two journaled draws are shown again as they were; only the third is drawn afresh.
    let again = text(&resumed.stdout);
    let again: Vec<&str> = again.lines().collect();
    assert!(
        again.len() == 3 && again[..2] == lines[..2] && again[2].starts_with("c "),
        "{again:?} after {lines:?}"
    );
    assert_eq!(
        history("main"),
        rerun,
        "the branch forked from is untouched"
    );
    let forked = history("fork-1");
    assert_eq!(
        forked.lines().take(2).collect::<Vec<_>>(),
        rerun.lines().take(2).collect::<Vec<_>>()
    );
    // Every branch still replays exactly.
    for branch in ["main", "main~1", "fork-1"] {
        let replay = duet(&dir, &["replay", "r1", "--branch", branch]);
        assert_eq!(
            replay.status.code(),
            Some(0),
            "{branch}: {}",
            text(&replay.stderr)
        );
    }

    // Failure paths name what is wrong and change nothing.
    let cases: [(&[&str], &str); 5] = [
        (&["back", "r1", "--count", "9"], "it has only 3"),
        (
            &["fork", "r1", "--at", "99"],
            "has no turn 99: its last turn is 3",
        ),
        (
            &["fork", "r1", "--at", "1", "--name", "main"],
            "already has a branch main",
        ),
        (&["fork", "r1", "--at", "1", "--name", "a~b"], "`~` is kept"),
        (&["back", "r7"], "no run `r7`"),
    ];
    for (args, message) in cases {
        let out = duet(&dir, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(message),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    assert_eq!(history("main"), rerun);
    assert_eq!(history("fork-1"), forked);
    let status = text(&duet(&dir, &["status", "r1"]).stdout);
    assert!(
        status.contains("status completed") && status.contains("branch fork-1"),
        "{status}"
    );
}

#[test]
fn json_reports_every_event_on_stdout_and_nothing_on_stderr() {
    let dir = temp("json");
    let seed = std::fs::canonicalize("examples/ping-pong.lisp").expect("the example");
    let out = duet(
        &dir,
        &[
            "run",
            "--json",
            "--agents",
            "echo",
            seed.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let events: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is a JSON object"))
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().expect("an event field"))
        .collect();
    assert_eq!(
        kinds,
        [
            "started",
            "state",
            "log",
            "agent-request",
            "agent-response",
            "state",
            "agent-request",
            "agent-response",
            "ended"
        ]
    );
    assert_eq!(events[0]["run"], "r1");
    assert_eq!(events[0]["workflow"], "ping-pong");
    assert_eq!(
        events[3]["text"],
        "Draft a plan for adding OAuth to the CLI"
    );
    assert_eq!(events[4]["role"], "planner");
    assert_eq!(events[8]["status"], "completed");
    // Every event names its run and when it happened; those of the run's turns, the turn.
    for event in &events {
        assert_eq!(event["run"], "r1", "{event}");
        assert!(event["at"].as_i64().is_some_and(|at| at > 0), "{event}");
    }
    assert!(events[1..].iter().all(|e| e["turn"].is_u64()));

    // A question with no terminal to ask at is an event too, and so is the program's output.
    std::fs::write(
        dir.join("ask.lisp"),
        r#"(workflow ask (state s (println "hello") (println (ask-user "Name?" :options ["a" "b"]))))"#,
    )
    .expect("the workflow");
    let out = duet(&dir, &["run", "--json", "ask.lisp"]);
    assert_eq!(out.status.code(), Some(3));
    let last: serde_json::Value =
        serde_json::from_str(text(&out.stdout).lines().last().expect("events")).expect("JSON");
    assert_eq!(last["event"], "question");
    assert_eq!(last["question"], "Name?");
    assert_eq!(last["options"], serde_json::json!(["a", "b"]));
    let printed = |stdout: &[u8]| -> Vec<String> {
        text(stdout)
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("JSON"))
            .filter(|e| e["event"] == "output")
            .map(|e| e["text"].as_str().expect("text").to_string())
            .collect()
    };
    assert_eq!(printed(&out.stdout), ["hello\n"]);
    let out = duet(&dir, &["answer", "--json", "r2", "b"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(printed(&out.stdout), ["b\n"]);

    // A program that does not check is a `diagnostics` event, as `duet check --format json`.
    std::fs::write(
        dir.join("bad.lisp"),
        "(workflow bad (state s (goto nowhere)))",
    )
    .expect("a file");
    let out = duet(&dir, &["run", "--json", "bad.lisp"]);
    assert_eq!(out.status.code(), Some(2));
    let event: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).expect("JSON");
    assert_eq!(event["event"], "diagnostics");
    assert_eq!(event["diagnostics"][0]["code"], "E0401");
    assert_eq!(event["diagnostics"][0]["line"], 1);
}

#[test]
fn a_detached_run_reports_its_id_and_finishes_in_the_background() {
    let dir = temp("detach");
    std::fs::write(
        dir.join("bg.lisp"),
        r#"(workflow bg (state s (sleep "300ms") (println "woke up") (terminal)))"#,
    )
    .expect("the workflow");
    let out = duet(&dir, &["run", "--detach", "bg.lisp"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        out.stdout.is_empty(),
        "the program's output goes to the log"
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains("run: r1 started"), "{stderr}");
    assert!(
        stderr.contains("run: r1 continues in the background"),
        "{stderr}"
    );
    // While the background process holds the store, `duet status` is told so (exit 2).
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        let status = duet(&dir, &["status", "r1"]);
        let done = text(&status.stdout).contains("status completed");
        if done || Instant::now() > deadline {
            break status;
        }
        if status.status.code() == Some(2) {
            assert!(text(&status.stderr).contains("store in use by pid"));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        text(&status.stdout).contains("status completed"),
        "{}{}",
        text(&status.stdout),
        text(&status.stderr)
    );
    let log = std::fs::read_to_string(dir.join(".duet/logs/r1.log")).expect("the run's log");
    assert!(log.contains("woke up\n"), "{log}");
    assert!(log.ends_with("run: r1 completed\n"), "{log}");
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
}

#[test]
fn declared_capabilities_are_granted_only_when_confirmed_at_a_terminal() {
    use expectrl::{Eof, Expect, Session};
    let dir = temp("capabilities");
    std::fs::write(
        dir.join("cap.lisp"),
        r#"(workflow c
  (capabilities shell)
  (state s (println (get (shell "echo from-the-shell") :stdout)) (terminal)))
"#,
    )
    .expect("the workflow");
    // No terminal: the declaration is not a grant.
    let out = duet(&dir, &["run", "cap.lisp"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("note: workflow `c` asks for shell, not granted; run with --allow shell"),
        "{stderr}"
    );
    // At a terminal the person is asked; "n" keeps it denied, "y" grants it.
    for (answer, granted) in [("n", false), ("y", true)] {
        let run = command(&dir, &["run", "cap.lisp"]);
        let mut session = Session::spawn(run).expect("duet starts in a pty");
        session.set_expect_timeout(Some(Duration::from_secs(30)));
        session
            .expect("workflow `c` asks for shell; grant for this run? [y/N] ")
            .expect("the question");
        session.send_line(answer).expect("the answer");
        let rest = session.expect(Eof).expect("the run ends");
        // At the end of the stream the match is everything that is left.
        let rest = String::from_utf8_lossy(rest.as_bytes()).into_owned();
        // The command's output on a line of its own (the error's source line quotes it too).
        let printed = rest.lines().any(|l| l.trim() == "from-the-shell");
        assert_eq!(printed, granted, "{rest}");
        assert_eq!(rest.contains("not granted"), !granted, "{rest}");
    }
}

#[test]
fn at_a_terminal_questions_race_timers_and_ctrl_d_leaves_one_waiting() {
    use expectrl::{ControlCode, Eof, Expect, Session};
    let dir = temp("terminal-questions");
    std::fs::write(
        dir.join("q.lisp"),
        r#"(workflow q
  (state s
    (println "gate:" (race (ask-user "Deploy?") (do (sleep "30s") "timeout")))
    (println "late:" (race (ask-user "Too late?") (do (sleep "300ms") "timeout")))
    (println "second:" (ask-user "Second?"))
    (println "third:" (ask-user "Third?"))
    (terminal)))
"#,
    )
    .expect("the workflow");
    let mut session = Session::spawn(command(&dir, &["run", "q.lisp"])).expect("a pty");
    session.set_expect_timeout(Some(Duration::from_secs(20)));
    // A question raced against a timer is asked at once, and an answer beats the timer.
    session.expect("question: Deploy?").expect("asked at once");
    session.expect("answer> ").expect("a prompt");
    session.send_line("yes").expect("typing");
    session.expect("gate: yes").expect("the answer won");
    // Asked at once too; nobody answers, so the timer wins and the question is withdrawn.
    session.expect("question: Too late?").expect("asked");
    session.expect("late: timeout").expect("the timer won");
    session
        .expect("question: Second?")
        .expect("the second question");
    session.expect("answer> ").expect("a prompt");
    session.send_line("typed for second").expect("typing");
    let third = session
        .expect("question: Third?")
        .expect("the third question");
    assert!(
        String::from_utf8_lossy(third.before()).contains("second: typed for second"),
        "the answer typed went to the live question"
    );
    session.expect("answer> ").expect("a prompt");
    // Ctrl-D: no answer; the run waits for `duet answer` instead of taking "".
    session
        .send(ControlCode::EndOfTransmission)
        .expect("Ctrl-D");
    let rest = session.expect(Eof).expect("the run stops");
    let rest = String::from_utf8_lossy(rest.as_bytes()).into_owned();
    assert!(
        rest.contains("waits for a person to answer: Third?"),
        "{rest}"
    );
    let out = duet(&dir, &["answer", "r1", "typed later"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).ends_with("third: typed later\n"),
        "{}",
        text(&out.stdout)
    );
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
}

#[test]
fn status_and_history_say_when_a_journal_is_damaged() {
    let dir = temp("status-damage");
    std::fs::write(
        dir.join("three.lisp"),
        "(workflow w (state s (println (now) (now) (now)) (terminal)))\n",
    )
    .unwrap();
    let out = duet(&dir, &["run", "three.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let store = duet_store::Store::open(dir.join(".duet")).expect("the store opens");
    let run = "r1".parse().expect("a run id");
    let mut bytes = store
        .raw_record(duet_store::RawKind::Turn, run, "main", 2)
        .expect("read")
        .expect("turn 2 is there");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    store
        .put_raw_record(duet_store::RawKind::Turn, run, "main", 2, &bytes)
        .expect("damaged on purpose");
    drop(store);
    let status = duet(&dir, &["status", "r1"]);
    assert_eq!(status.status.code(), Some(1), "{}", text(&status.stderr));
    assert!(
        text(&status.stdout).contains("turns 1 readable, then damage"),
        "{}",
        text(&status.stdout)
    );
    assert!(
        text(&status.stderr).contains("turn 2"),
        "{}",
        text(&status.stderr)
    );
    let history = duet(&dir, &["history", "r1"]);
    assert_eq!(history.status.code(), Some(1));
    assert!(
        text(&history.stderr).contains("turn 2"),
        "{}",
        text(&history.stderr)
    );

    // `duet store check` lists the damaged record; `salvage` copies the rest elsewhere.
    let check = duet(&dir, &["store", "check"]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check.stderr));
    assert!(
        text(&check.stdout).contains("turns run r1 segment 0 turn 2: "),
        "{}",
        text(&check.stdout)
    );
    let salvage = duet(&dir, &["store", "salvage", "saved"]);
    assert_eq!(salvage.status.code(), Some(1), "{}", text(&salvage.stderr));
    assert!(text(&salvage.stdout).contains("lost: turns run r1 segment 0 turn 2"));
    assert!(text(&salvage.stderr).contains("1 lost; the store .duet is unchanged"));
    let saved = duet(&dir, &["store", "check", "--store", "saved"]);
    assert_eq!(saved.status.code(), Some(0), "{}", text(&saved.stderr));
    assert!(text(&saved.stdout).contains("all intact"));
    let again = duet(&dir, &["store", "salvage", "saved"]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "an existing directory is refused"
    );
}

#[test]
fn salvage_sets_a_keyspace_fjall_cannot_open_aside_and_saves_its_tables() {
    let dir = temp("salvage-keyspace");
    // 300 KB read: over the 256 KiB of journal at which closing moves everything to tables.
    std::fs::write(dir.join("big.txt"), "y".repeat(300_000)).unwrap();
    std::fs::write(
        dir.join("read.lisp"),
        "(workflow w (state s (println (count (read-file \"big.txt\"))) (println (now)) \
         (terminal)))\n",
    )
    .unwrap();
    let out = duet(&dir, &["run", "--allow", "workspace/read", "read.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let history = text(&duet(&dir, &["history", "r1"]).stdout);
    assert_eq!(history.lines().count(), 2, "{history}");
    let journal: u64 = std::fs::read_dir(dir.join(".duet/db"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".jnl"))
        .map(|e| e.metadata().unwrap().len())
        .sum();
    assert_eq!(journal, 0, "closing moved the journal into tables");
    // The turns keyspace (fjall's fifth) loses the file naming its tables.
    std::fs::remove_file(dir.join(".duet/db/keyspaces/5/current")).unwrap();
    let refused = duet(&dir, &["history", "r1"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("keyspaces/5/current"),
        "{}",
        text(&refused.stderr)
    );
    let salvage = duet(&dir, &["store", "salvage", "saved"]);
    assert_eq!(salvage.status.code(), Some(1), "{}", text(&salvage.stderr));
    assert!(
        text(&salvage.stderr).contains(
            "set aside: turns db/keyspaces/5: its current file is missing; set aside, and an \
             empty one put in its place"
        ),
        "{}",
        text(&salvage.stderr)
    );
    assert!(
        text(&salvage.stderr).contains(", 0 lost;"),
        "{}",
        text(&salvage.stderr)
    );
    // Every turn was read from the tables set aside.
    let saved = duet(&dir, &["history", "r1", "--store", "saved"]);
    assert_eq!(saved.status.code(), Some(0), "{}", text(&saved.stderr));
    assert_eq!(text(&saved.stdout), history);
    let replay = duet(&dir, &["replay", "r1", "--store", "saved"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
    // The damaged store is as it was.
    assert!(!dir.join(".duet/db/keyspaces/5/current").exists());
}

#[test]
fn rm_removes_a_run_and_gc_the_blobs_no_run_refers_to() {
    let dir = temp("rm-gc");
    std::fs::write(dir.join("big.txt"), "x".repeat(10_000)).unwrap();
    std::fs::write(
        dir.join("read.lisp"),
        "(workflow w (state s (println (count (read-file \"big.txt\"))) (terminal)))\n",
    )
    .unwrap();
    for _ in 0..2 {
        let out = duet(&dir, &["run", "--allow", "workspace/read", "read.lisp"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "10000\n");
    }
    // Both runs share their manifest and the text they read: nothing to collect.
    let gc = duet(&dir, &["gc"]);
    assert_eq!(
        text(&gc.stderr),
        "gc: 0 blobs removed (0 bytes), 2 still referred to\n"
    );
    let running = duet(&dir, &["rm", "r9"]);
    assert_eq!(running.status.code(), Some(2));
    let rm = duet(&dir, &["rm", "r1"]);
    assert_eq!(rm.status.code(), Some(0), "{}", text(&rm.stderr));
    assert!(
        text(&rm.stderr).starts_with("run: r1 removed (1 turn, "),
        "{}",
        text(&rm.stderr)
    );
    assert_eq!(text(&duet(&dir, &["runs"]).stdout), "r2\tw\tcompleted\n");
    let gc = duet(&dir, &["gc"]);
    assert!(
        text(&gc.stderr).starts_with("gc: 0 blobs removed"),
        "{}",
        text(&gc.stderr)
    );
    // r2 still replays from what is left.
    assert_eq!(duet(&dir, &["replay", "r2"]).status.code(), Some(0));
    assert_eq!(duet(&dir, &["rm", "r2"]).status.code(), Some(0));
    let gc = duet(&dir, &["gc"]);
    assert!(
        text(&gc.stderr).starts_with("gc: 2 blobs removed"),
        "{}",
        text(&gc.stderr)
    );
    let check = duet(&dir, &["store", "check"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
}

#[test]
fn runs_status_and_history_speak_json_and_exit_codes_agree() {
    let dir = temp("json-records");
    std::fs::write(
        dir.join("clock.lisp"),
        "(workflow w (state s (println (> (now) 0)) (terminal :completed {:ok true})))\n",
    )
    .unwrap();
    let out = duet(&dir, &["run", "clock.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json = |args: &[&str]| -> Vec<serde_json::Value> {
        let out = duet(&dir, args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    };
    let runs = json(&["runs", "--json"]);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["run"], "r1");
    assert_eq!(runs[0]["status"], "Completed");
    let status = json(&["status", "r1", "--json"]);
    assert_eq!(status[0]["turns"], 1);
    assert_eq!(status[0]["branch"], "main");
    let history = json(&["history", "r1", "--json"]);
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["turn"], 1);
    assert!(
        history[0]["input"]["Effect"]["result"]["Ok"]["Int"].is_i64(),
        "{}",
        history[0]
    );
    // People get the local time, not raw milliseconds.
    let line = text(&duet(&dir, &["history", "r1"]).stdout);
    let time = line.split('\t').nth(1).expect("a time");
    assert!(
        time.len() == 23 && time.as_bytes()[4] == b'-' && time.as_bytes()[10] == b' ',
        "{line}"
    );
    // One table of exit codes: asking for something that is not there, or answering a run
    // that waits for no answer, is a usage error (2) everywhere.
    for args in [
        &["history", "r1", "--branch", "nope"][..],
        &["fork", "r1", "--at", "1", "--name", "a~b"],
        &["answer", "r1", "yes"],
        &["status", "r9"],
        &["history", "r9"],
    ] {
        let out = duet(&dir, args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn resume_and_answer_grant_capabilities_for_the_rest_of_the_run() {
    let dir = temp("grant");
    std::fs::write(
        dir.join("grant.lisp"),
        r#"(workflow w
  (state s
    (println (try (get (shell "echo first") :stdout) (catch e (field e 0))))
    (println (ask-user "Go on?"))
    (print (try (get (shell "echo second") :stdout) (catch e (field e 0))))
    (terminal)))
"#,
    )
    .unwrap();
    let out = duet(&dir, &["run", "grant.lisp"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), ":capability\n");
    let bogus = duet(&dir, &["answer", "r1", "yes", "--allow", "root"]);
    assert_eq!(bogus.status.code(), Some(2));
    assert!(
        text(&bogus.stderr).contains("not a capability"),
        "{}",
        text(&bogus.stderr)
    );
    let out = duet(&dir, &["answer", "r1", "yes", "--allow", "shell"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "yes\nsecond\n");
    let history = text(&duet(&dir, &["history", "r1"]).stdout);
    assert!(history.contains("granted shell"), "{history}");
    assert_eq!(duet(&dir, &["replay", "r1"]).status.code(), Some(0));
}

#[test]
fn back_puts_the_workspace_files_back_and_checkpoints_are_events() {
    let dir = temp("checkpoints");
    std::fs::write(
        dir.join("edit.lisp"),
        r#"(workflow edit
  (state s
    (write-file "notes.txt" "one")
    (shell "echo two > notes.txt")
    (terminal)))
"#,
    )
    .unwrap();
    let out = duet(
        &dir,
        &[
            "run",
            "--json",
            "--allow",
            "shell",
            "--allow",
            "workspace/write",
            "edit.lisp",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let checkpoints: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON"))
        .filter(|e| e["event"] == "checkpoint")
        .collect();
    assert_eq!(checkpoints.len(), 3, "{}", text(&out.stdout));
    assert_eq!(checkpoints[1]["files"], serde_json::json!(["notes.txt"]));
    assert_eq!(checkpoints[2]["author"], "shell");
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "two\n"
    );
    // Back to the turn after the first write: the file is as that write left it.
    let history = text(&duet(&dir, &["history", "r1"]).stdout);
    assert!(
        history.contains("files changed by shell: notes.txt"),
        "{history}"
    );
    let back = duet(&dir, &["back", "r1", "--count", "2"]);
    assert_eq!(back.status.code(), Some(0), "{}", text(&back.stderr));
    assert!(
        text(&back.stderr).contains("1 workspace file put back as at turn"),
        "{}",
        text(&back.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "one"
    );
    // The store's own repository holds the checkpoints; the person's directory has no .git.
    assert!(dir.join(".duet/checkpoints.git").is_dir());
    assert!(!dir.join(".git").exists());
}

#[test]
fn poll_never_sleeps_past_its_timeout() {
    let dir = temp("poll-timeout");
    std::fs::write(
        dir.join("p.lisp"),
        r#"(workflow p
  (state s
    (println "gave up:" (poll false :every "6h" :timeout "300ms"))
    (terminal)))
"#,
    )
    .unwrap();
    let started = std::time::Instant::now();
    let out = duet(&dir, &["run", "p.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "gave up: nil\n");
    // Sleeping `:every` first would take six hours; the deadline cuts the sleep short.
    assert!(started.elapsed() < Duration::from_secs(60));
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
}

#[test]
fn a_timer_that_passed_while_no_one_followed_fires_at_once_and_says_how_late() {
    let dir = temp("late-timer");
    std::fs::write(
        dir.join("nap.lisp"),
        "(workflow nap (state s (println \"napping\") (sleep \"2s\") (println \"woke\") (terminal)))\n",
    )
    .unwrap();
    let mut child = command(&dir, &["run", "nap.lisp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("duet starts");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("its stdout"));
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).expect("a line");
    assert_eq!(line, "napping\n");
    // The deadline is journaled as the sleep starts, right after the line; kill the
    // follower well before the deadline, and take the run up well after it.
    std::thread::sleep(Duration::from_millis(300));
    let _ = child.kill();
    let _ = child.wait();
    std::thread::sleep(Duration::from_millis(3_500));
    let resumed = duet(&dir, &["resume", "r1"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed.stderr));
    assert_eq!(text(&resumed.stdout), "woke\n");
    let said = text(&resumed.stderr);
    assert!(
        said.contains("late: no duet process followed the run then"),
        "{said}"
    );
    // History shows when the timer was set for, as a local time.
    let history = text(&duet(&dir, &["history", "r1"]).stdout).to_string();
    assert!(history.contains("timer 0 set for 20"), "{history}");
    // A timer on time is not late.
    std::fs::write(
        dir.join("nap2.lisp"),
        "(workflow nap2 (state s (sleep \"10ms\") (terminal)))\n",
    )
    .unwrap();
    let on_time = duet(&dir, &["run", "--json", "nap2.lisp"]);
    assert!(
        !text(&on_time.stdout).contains("\"late\""),
        "{}",
        text(&on_time.stdout)
    );
}

#[test]
fn a_workflow_error_shows_its_source_line_and_backtrace() {
    let dir = temp("workflow-error-source");
    std::fs::write(
        dir.join("e.lisp"),
        r#"(defn pick [xs i] (nth xs i))
(workflow e
  (def xs [1 2])
  (state s
    (println (pick xs 5))
    (terminal)))
"#,
    )
    .unwrap();
    let out = duet(&dir, &["run", "e.lisp"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "Error: `nth` index 5 is out of range for a collection of 2 [index] in state `s`"
        ) && stderr.contains("e.lisp:1:19")
            && stderr.contains("(defn pick [xs i] (nth xs i))")
            && stderr.contains(
                "backtrace (most recent call first):\n  pick at e.lisp:1:19\n  e / s at e.lisp:5:14"
            )
            && stderr.contains("run: r1 failed\n"),
        "{stderr}"
    );
    // The JSON event carries the frames for programs.
    let json = duet(&dir, &["run", "--json", "e.lisp"]);
    let ended = json_lines(&json)
        .into_iter()
        .find(|e| e["event"] == "ended")
        .expect("an ended event");
    assert_eq!(ended["backtrace"][0]["function"], "pick");
    assert_eq!(ended["backtrace"][0]["file"], "e.lisp");
}
