//! `duet repl`: an interactive session. Each input is checked, compiled and run in one
//! [`Session`], so definitions persist; errors and runaway loops print their message and
//! the session goes on. Ctrl-C cancels the input being typed or the evaluation running;
//! Ctrl-D quits.

mod helper;

use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use duet::driver::{Limits, Session};
use duet_lang::frontend::FsLoader;
use duet_lang::render;
use rustyline::config::Config;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Editor};

use helper::DuetHelper;

const HELP: &str = "\
Type a form and press Enter; input continues until the form is closed.
  :help          this text
  :doc NAME      the documentation of a builtin, special form or your function
  :load FILE     run a file in this session
  :time EXPR     evaluate EXPR and show how long it took
  :reset         forget every definition
  :quit          leave (or press Ctrl-D)
Ctrl-C cancels the input being typed, or stops an evaluation.";

/// Where history is kept: `$DUET_HISTORY`, else `$XDG_DATA_HOME/duet/history`, else
/// `~/.local/share/duet/history`.
fn history_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("DUET_HISTORY") {
        return Some(PathBuf::from(path));
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("duet").join("history"))
}

/// The REPL's state: the session and how many inputs it has run.
struct Repl {
    session: Session,
    limits: Limits,
    inputs: usize,
    color: bool,
    interrupt: Arc<AtomicBool>,
}

impl Repl {
    /// Names to complete: the session's globals, the builtins and the special forms.
    fn names(&self) -> Vec<String> {
        // The standard library's internal names (`%map-1`) are not the program's to use.
        let mut names: Vec<String> = self
            .session
            .globals()
            .into_iter()
            .filter(|name| !duet_lang::expand::is_internal(name))
            .collect();
        names.extend(
            duet_lang::builtins::BUILTINS
                .iter()
                .filter(|b| !duet_lang::expand::is_internal(b.name))
                .map(|b| b.name.to_string()),
        );
        names.extend(
            duet_lang::expand::SPECIAL_FORMS
                .iter()
                .map(|s| s.to_string()),
        );
        names
    }

    /// Checks, compiles and runs `text`; prints its value, or what went wrong.
    fn eval(&mut self, name: &str, text: &str) {
        let checked = self.session.check(name, text.as_bytes(), &mut FsLoader);
        if !checked.diagnostics.is_empty() {
            eprint!(
                "{}",
                render::human(
                    &checked.diagnostics,
                    &checked.sources,
                    render::Style { color: self.color }
                )
            );
        }
        if checked.has_errors() {
            return;
        }
        if let Some(workflow) = checked.module.workflows.first() {
            eprintln!(
                "error: workflows run on the durable runtime, not in the REPL (`{}` was checked)",
                workflow.name
            );
            return;
        }
        let fid = self.session.load(&checked);
        let mut out = std::io::stdout();
        let result =
            self.session
                .run_interruptible(fid, &mut out, &mut std::io::stderr(), &self.interrupt);
        let _ = out.flush();
        match result {
            Ok(value) => println!("{}", self.session.repr(value)),
            Err(e) => eprint!(
                "{}",
                duet::driver::report::session_error(&self.session, &e, self.color)
            ),
        }
    }

    /// Runs one input line: a command or code.
    fn input(&mut self, line: &str) -> bool {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return true;
        }
        let (command, rest) = match trimmed.split_once(char::is_whitespace) {
            Some((c, r)) => (c, r.trim()),
            None => (trimmed, ""),
        };
        match command {
            ":quit" | ":q" => return false,
            ":help" | ":h" | ":?" => println!("{HELP}"),
            ":reset" => {
                self.session = Session::new(self.limits);
                println!("every definition is forgotten");
            }
            ":doc" => println!("{}", self.doc(rest)),
            ":load" => match std::fs::read(rest) {
                Ok(bytes) => self.eval(rest, &String::from_utf8_lossy(&bytes)),
                Err(e) => eprintln!(
                    "error: cannot read `{rest}`: {}",
                    duet_lang::frontend::io_reason(&e)
                ),
            },
            ":time" => {
                let started = Instant::now();
                self.inputs += 1;
                let name = format!("<repl {}>", self.inputs);
                self.eval(&name, rest);
                println!("took {:.3} ms", started.elapsed().as_secs_f64() * 1000.0);
            }
            c if c.starts_with(':') => {
                eprintln!("error: unknown command `{c}`; :help lists the commands")
            }
            _ => {
                self.inputs += 1;
                let name = format!("<repl {}>", self.inputs);
                self.eval(&name, line);
            }
        }
        true
    }

    /// The documentation of `name`.
    fn doc(&self, name: &str) -> String {
        if name.is_empty() {
            return "usage: :doc NAME".into();
        }
        if let Some(b) = duet_lang::builtins::lookup(name) {
            return format!(
                "({} {})\n  {}",
                b.name,
                b.params.trim_matches(['[', ']']),
                b.doc
            );
        }
        if let Some((shape, doc)) = duet_lang::special_forms::describe(name) {
            return format!("{shape}\n  {doc}");
        }
        match self.session.describe_global(name) {
            Some(text) => text,
            None => format!("`{name}` is not defined"),
        }
    }
}

/// Runs the REPL until Ctrl-D or `:quit`.
pub fn run() -> std::process::ExitCode {
    let color = crate::output::stderr_color();
    let interrupt = Arc::new(AtomicBool::new(false));
    // Ctrl-C while a program runs sets the flag instead of killing the process; while the
    // editor reads, it arrives as a key and cancels the input.
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&interrupt));
    let limits = Limits::default();
    let mut repl = Repl {
        session: Session::new(limits),
        limits,
        inputs: 0,
        color,
        interrupt,
    };
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(true)
        .build();
    let mut editor: Editor<DuetHelper, DefaultHistory> = match Editor::with_config(config) {
        Ok(editor) => editor,
        Err(e) => {
            crate::output::error(&format!("cannot start the line editor: {e}"));
            return std::process::ExitCode::from(1);
        }
    };
    editor.set_helper(Some(DuetHelper {
        names: RefCell::new(repl.names()),
        color,
    }));
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    println!(
        "duet {} — :help for help, Ctrl-D to quit",
        env!("CARGO_PKG_VERSION")
    );
    loop {
        match editor.readline("duet> ") {
            Ok(line) => {
                if !repl.input(&line) {
                    break;
                }
                if let Some(helper) = editor.helper() {
                    *helper.names.borrow_mut() = repl.names();
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                crate::output::error(&format!("cannot read input: {e}"));
                break;
            }
        }
    }
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.save_history(path);
    }
    std::process::ExitCode::SUCCESS
}
