//! `duet repl` driven through a pseudo-terminal, as a person types: definitions persist,
//! input continues until the form closes, errors and runaway loops leave the session
//! running, Ctrl-C cancels input or an evaluation, Tab completes, Ctrl-D quits, and history
//! is saved.

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
    let history =
        std::env::temp_dir().join(format!("duet-repl-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_file(&history);
    let mut command = Command::new(env!("CARGO_BIN_EXE_duet"));
    command
        .arg("repl")
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
