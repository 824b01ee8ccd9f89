//! `duet repl` driven through a pseudo-terminal, as a person types: definitions persist,
//! input continues until the form closes, errors and runaway loops leave the session
//! running, Ctrl-C cancels input or an evaluation, Tab completes, Ctrl-D quits, and history
//! is saved. Effects run with the capabilities granted, Ctrl-C stops them too, and
//! prompts, questions and workflows run as workflow runs.

use std::process::Command;
use std::time::Duration;

use expectrl::{Eof, Expect, Session};

struct Repl {
    session: expectrl::session::OsSession,
    history: std::path::PathBuf,
    /// Whether the prompt is showing, so typing now reaches the line editor. (Keys typed
    /// before the editor takes the terminal are discarded, as they would be for a person.)
    at_prompt: bool,
}

fn start(name: &str) -> Repl {
    start_with(name, &std::env::temp_dir(), &[])
}

/// The REPL started in `dir` (its workspace) with `args` after `duet repl`.
fn start_with(name: &str, dir: &std::path::Path, args: &[&str]) -> Repl {
    let history =
        std::env::temp_dir().join(format!("duet-repl-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_file(&history);
    let mut command = Command::new(env!("CARGO_BIN_EXE_duet"));
    command
        .arg("repl")
        .args(args)
        .current_dir(dir)
        .env_remove("DUET_STORE")
        .env_remove("DUET_AGENT")
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env("DUET_HISTORY", &history);
    let mut session = Session::spawn(command).expect("the REPL starts in a pty");
    session.set_expect_timeout(Some(Duration::from_secs(30)));
    session.expect("duet> ").expect("a prompt");
    Repl {
        session,
        history,
        at_prompt: true,
    }
}

impl Repl {
    /// Waits for the prompt, then types `text` and Enter.
    fn line(&mut self, text: &str) {
        self.prompt();
        self.session.send_line(text).expect("typed");
    }

    /// Types without waiting for a prompt: the next line of a form that is still open.
    fn more(&mut self, text: &str) {
        self.session.send_line(text).expect("typed");
    }

    /// Waits for the prompt, then types keys.
    fn keys(&mut self, keys: &str) {
        self.prompt();
        self.session.send(keys).expect("typed");
    }

    fn prompt(&mut self) {
        if !std::mem::replace(&mut self.at_prompt, false) {
            self.expect("duet> ");
        }
    }

    fn expect(&mut self, text: &str) {
        if let Err(e) = self.session.expect(text) {
            let mut rest = vec![0u8; 65536];
            let n = self.session.try_read(&mut rest).unwrap_or(0);
            panic!(
                "expected {text:?}: {e}; the terminal shows {:?}",
                String::from_utf8_lossy(&rest[..n])
            );
        }
    }

    fn quit(mut self) {
        self.prompt();
        self.session.send("\x04").expect("Ctrl-D");
        self.session.expect(Eof).expect("the REPL ends on Ctrl-D");
    }
}

#[test]
fn definitions_persist_and_values_print() {
    let mut r = start("persist");
    r.line("(defn sq \"Squares.\" [x] (* x x))");
    r.expect("<fn sq>");
    r.line("(sq 12)");
    r.expect("144");
    r.line("(def total (reduce + (map sq [1 2 3])))");
    r.line("total");
    r.expect("14");
    r.line(":doc sq");
    r.expect("(sq x)");
    r.expect("Squares.");
    r.quit();
}

#[test]
fn input_continues_until_the_form_closes() {
    let mut r = start("multiline");
    r.line("(str \"a ) still a string\"");
    r.more("   \"-end\")");
    r.expect("\"a ) still a string-end\"");
    r.line("(+ 1 ; a comment with a (");
    r.more("2)");
    r.expect("3");
    r.quit();
}

#[test]
fn errors_print_and_the_session_goes_on() {
    let mut r = start("errors");
    r.line("(+ 1 \"a\")");
    r.expect("expects numbers");
    r.line("(prinln 1)");
    r.expect("did you mean");
    r.line("(+ 2 2)");
    r.expect("4");
    r.line("(+ 1 2))");
    r.expect("unexpected `)`");
    r.line("(* 6 7)");
    r.expect("42");
    r.quit();
}

#[test]
fn ctrl_c_stops_a_runaway_loop_and_cancels_input() {
    let mut r = start("interrupt");
    r.line("(loop [i 0] (recur (inc i)))");
    std::thread::sleep(Duration::from_millis(500));
    r.session.send("\x03").expect("Ctrl-C");
    r.expect("interrupted");
    r.line("(+ 20 1)");
    r.expect("21");
    r.keys("(+ 1");
    r.session.send("\x03").expect("Ctrl-C");
    r.line("(+ 5 5)");
    r.expect("10");
    r.quit();
}

#[test]
fn commands_work() {
    let mut r = start("commands");
    r.line(":help");
    r.expect(":load FILE");
    r.line(":doc map");
    r.expect("A list of");
    r.line(":time (reduce + (range 1000))");
    r.expect("499500");
    r.expect("took");
    let file = std::env::temp_dir().join(format!("duet-repl-load-{}.lisp", std::process::id()));
    std::fs::write(&file, "(defn loaded [] :from-file)\n").expect("writable");
    r.line(&format!(":load {}", file.display()));
    r.line("(loaded)");
    r.expect(":from-file");
    r.line(":reset");
    r.expect("forgotten");
    r.line("(loaded)");
    r.expect("unknown identifier `loaded`");
    r.line(":frobnicate");
    r.expect("unknown command");
    r.line(":quit");
    r.session.expect(Eof).expect("the REPL ends on :quit");
}

#[test]
fn tab_completes_names() {
    let mut r = start("complete");
    r.keys("(printl");
    r.session.send("\t").expect("Tab");
    r.more(" \"completed\")");
    r.expect("completed");
    // The standard library's internal names are not offered: `%map-` stays as typed.
    r.keys("(%map-");
    r.session.send("\t").expect("Tab");
    r.more(" inc [1])");
    r.expect("unknown identifier `%map-`");
    r.quit();
}

#[test]
fn history_is_saved() {
    let mut r = start("history");
    r.line("(+ 40 2)");
    r.expect("42");
    let path = r.history.clone();
    r.quit();
    let history = std::fs::read_to_string(&path).expect("the history file was written");
    assert!(history.contains("(+ 40 2)"), "{history}");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn effects_run_with_the_capabilities_granted() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut r = start_with("effects", dir.path(), &[]);
    // Clocks and timers need no capability.
    r.line("(int? (now))");
    r.expect("true");
    r.line("(sleep \"10ms\")");
    r.expect("nil");
    r.line("(shell \"echo from-shell\")");
    r.expect("`--allow shell`");
    r.quit();

    let mut r = start_with(
        "effects-allowed",
        dir.path(),
        &["--allow", "shell", "--allow", "workspace/write"],
    );
    r.line("(:stdout (shell \"echo from-shell\"))");
    r.expect("from-shell\\n");
    r.line("(write-file \"note.txt\" \"written at the prompt\")");
    r.line("(+ 1 1)");
    r.expect("2");
    r.quit();
    let written = std::fs::read_to_string(dir.path().join("note.txt")).expect("the file");
    assert_eq!(written, "written at the prompt");
}

#[test]
fn ctrl_c_stops_a_sleep_and_a_command() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut r = start_with("stop-effects", dir.path(), &["--allow", "shell"]);
    let started = std::time::Instant::now();
    r.line("(sleep \"60s\")");
    std::thread::sleep(Duration::from_millis(500));
    r.session.send("\x03").expect("Ctrl-C");
    r.expect("interrupted");
    r.line("(shell \"sleep 60\")");
    std::thread::sleep(Duration::from_millis(500));
    r.session.send("\x03").expect("Ctrl-C");
    r.expect("interrupted");
    r.line("(+ 2 3)");
    r.expect("5");
    assert!(
        started.elapsed() < Duration::from_secs(50),
        "Ctrl-C ended neither the sleep nor the command"
    );
    r.quit();
}

#[test]
fn the_limits_it_names_are_its_flags() {
    let mut r = start_with("limits", &std::env::temp_dir(), &["--max-steps", "1000"]);
    r.line("(loop [i 0] (recur (inc i)))");
    r.expect("more than 1000 steps");
    r.expect("--max-steps");
    r.quit();
    let refused = Command::new(env!("CARGO_BIN_EXE_duet"))
        .args(["repl", "--allow", "everything"])
        .output()
        .expect("duet runs");
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("everything"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

#[test]
fn prompts_questions_and_workflows_run_at_the_prompt() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = dir.path().join("kept");
    let store_arg = store.to_string_lossy().into_owned();
    let mut r = start_with(
        "runs",
        dir.path(),
        &["--agents", "echo", "--store", &store_arg],
    );
    r.line("(prompt writer \"hi\")");
    r.expect("role `writer` is not declared");
    r.line("(roles (writer :agent-kind \"claude-code\"))");
    r.expect("roles: writer");
    // `--agents echo` plays every role, as with `duet run`.
    r.line("(str \"got \" (prompt writer \"hello there\"))");
    r.expect("completed with \"got echo: hello there\"");
    // A function whose body prompts runs as a run when called.
    r.line("(defn ask [q] (ask-user q :options [\"yes\" \"no\"]))");
    r.line("(ask \"ship it?\")");
    r.expect("ship it?");
    r.expect("answer> ");
    r.session.send_line("maybe").expect("typed");
    r.expect("not one of");
    r.session.send_line("yes").expect("typed");
    r.expect("completed with \"yes\"");
    // Several answers at once, at the terminal.
    r.line("(ask-user \"which?\" :options [\"a\" \"b\" \"c\"] :multi true)");
    r.expect("one or more of: a, b, c");
    r.expect("answer> ");
    r.session.send_line("c, x").expect("typed");
    r.expect("`x` is not one of the answers offered");
    r.session.send_line("c, a").expect("typed");
    r.expect("completed with [\"a\" \"c\"]");
    r.line("(parallel (+ 1 1) (* 2 2))");
    r.expect("completed with [2 4]");
    // A workflow typed at the prompt runs; its roles become the session's; :run runs it again.
    r.line("(workflow greet (roles (critic :agent-kind \"echo\")) (state s (terminal :completed (prompt critic \"judge\"))))");
    r.expect("started (workflow `greet`");
    r.expect("completed with \"echo: judge\"");
    r.expect("roles: critic");
    r.line(":run");
    r.expect("completed with \"echo: judge\"");
    r.line("(prompt critic \"once more\")");
    r.expect("completed with \"echo: once more\"");
    r.quit();
    // The runs were kept in the store named.
    let runs = Command::new(env!("CARGO_BIN_EXE_duet"))
        .args(["runs", "--store", &store_arg])
        .output()
        .expect("duet runs");
    let listed = String::from_utf8_lossy(&runs.stdout);
    assert!(listed.lines().count() >= 5, "{listed}");
}

#[test]
fn ctrl_c_stops_following_a_run() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut r = start_with("stop-run", dir.path(), &[]);
    r.line("(workflow nap (state s (sleep \"60s\") (terminal)))");
    r.expect("state: s");
    std::thread::sleep(Duration::from_millis(300));
    r.session.send("\x03").expect("Ctrl-C");
    r.expect("the run waits");
    r.line("(+ 4 4)");
    r.expect("8");
    r.quit();
}
