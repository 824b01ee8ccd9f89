//! The one table of exit codes (README "Exit status", `duet --help`), applied by every
//! command: 0 it worked, 1 it ran and failed (or found what it was asked to look for: a
//! difference, damage, a file to format), 2 the command or program is wrong and nothing was
//! done, 3 something waits (a suspended run, a detached one, no daemon running).

use std::path::Path;

mod support;
use support::{duet, temp, text};

/// Runs `args` in `dir` and checks its exit code; a refusal (2) must say what is wrong.
fn exits(dir: &Path, args: &[&str], code: i32) -> String {
    let out = duet(dir, args);
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(code),
        "duet {}: {said}",
        args.join(" ")
    );
    if code == 2 {
        assert!(
            !text(&out.stderr).trim().is_empty(),
            "duet {} says why",
            args.join(" ")
        );
    }
    said
}

#[test]
fn every_command_refuses_an_unknown_run_with_2() {
    let dir = temp("exit-unknown-run");
    std::fs::write(dir.join("w.lisp"), "(workflow w (state s (terminal)))\n").unwrap();
    exits(&dir, &["run", "w.lisp"], 0);
    for args in [
        &["status", "r9"][..],
        &["history", "r9"],
        &["resume", "r9"],
        &["answer", "r9", "yes"],
        &["back", "r9"],
        &["fork", "r9", "--at", "1"],
        &["replay", "r9"],
        &["branches", "r9"],
        &["switch", "r9", "main"],
        &["diff", "r9"],
        &["rm", "r9"],
        &["stop", "r9"],
    ] {
        let said = exits(&dir, args, 2);
        assert!(
            said.contains("r9"),
            "duet {} names the run: {said}",
            args.join(" ")
        );
    }
}

#[test]
fn every_command_refuses_an_unknown_branch_with_2() {
    let dir = temp("exit-unknown-branch");
    std::fs::write(dir.join("w.lisp"), "(workflow w (state s (terminal)))\n").unwrap();
    exits(&dir, &["run", "w.lisp"], 0);
    for args in [
        &["history", "r1", "--branch", "nope"][..],
        &["replay", "r1", "--branch", "nope"],
        &["switch", "r1", "nope"],
    ] {
        let said = exits(&dir, args, 2);
        assert!(
            said.contains("nope"),
            "duet {} names the branch: {said}",
            args.join(" ")
        );
    }
}

#[test]
fn usage_errors_and_wrong_programs_are_2_and_nothing_runs() {
    let dir = temp("exit-usage");
    std::fs::write(
        dir.join("bad.lisp"),
        "(workflow w (state s (goto nowhere)))\n",
    )
    .unwrap();
    std::fs::write(dir.join("ok.lisp"), "(println 1)\n").unwrap();
    exits(&dir, &["frobnicate"], 2);
    exits(&dir, &["run"], 2);
    exits(&dir, &["run", "missing.lisp"], 2);
    exits(&dir, &["run", "bad.lisp"], 2);
    exits(&dir, &["check", "bad.lisp"], 2);
    exits(&dir, &["run", "--allow", "everything", "ok.lisp"], 2);
    exits(&dir, &["run", "--budget-usd", "-1", "ok.lisp"], 2);
    exits(&dir, &["repl", "--agent", "nokind"], 2);
    assert!(
        !dir.join(".duet").exists(),
        "nothing was recorded by commands that were refused"
    );
}

#[test]
fn outcomes_are_0_1_and_3() {
    let dir = temp("exit-outcomes");
    std::fs::write(dir.join("ok.lisp"), "(workflow ok (state s (terminal)))\n").unwrap();
    std::fs::write(
        dir.join("fail.lisp"),
        "(workflow f (state s (terminal :failed \"no\")))\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("ask.lisp"),
        "(workflow a (state s (ask-user \"ok?\")))\n",
    )
    .unwrap();
    std::fs::write(dir.join("messy.lisp"), "(println   1)\n").unwrap();
    exits(&dir, &["run", "ok.lisp"], 0);
    exits(&dir, &["run", "fail.lisp"], 1);
    exits(&dir, &["run", "ask.lisp"], 3);
    exits(&dir, &["status", "r3"], 0);
    // Answering a run that is not waiting for one is refused.
    exits(&dir, &["answer", "r1", "yes"], 2);
    exits(&dir, &["answer", "r3", "yes"], 0);
    exits(&dir, &["replay", "r3"], 0);
    exits(&dir, &["fmt", "--check", "messy.lisp"], 1);
    exits(&dir, &["check", "ok.lisp"], 0);
    exits(&dir, &["daemon", "status"], 3);
    exits(&dir, &["store", "check"], 0);
    // Salvage into a directory that exists is refused; a store that cannot be read fails.
    exits(&dir, &["store", "salvage", "ok.lisp"], 2);
    exits(&dir, &["store", "check", "--store", "ok.lisp"], 1);
}

#[test]
fn the_table_is_in_the_help() {
    let dir = temp("exit-help");
    let help = exits(&dir, &["--help"], 0);
    for line in [
        "0  it worked",
        "1  it ran and failed",
        "2  the command or the program is wrong",
        "3  something waits",
    ] {
        assert!(help.contains(line), "{help}");
    }
}
