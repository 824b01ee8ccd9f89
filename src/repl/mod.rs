//! `duet repl`: an interactive session. Each input is checked, compiled and run in one
//! [`Session`], so definitions persist; errors and runaway loops print their message and
//! the session goes on. Effects run as in a script, with the capabilities `--allow` grants;
//! prompts, questions and workflows run as workflow runs ([`plan`], [`runs`]). Ctrl-C
//! cancels the input being typed, the evaluation or effect running, or stops following a
//! run; Ctrl-D quits.

mod helper;
mod plan;
mod runs;

use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use duet::driver::script::Exit;
use duet::driver::{Limits, Session};
use duet_lang::frontend::{Checked, FsLoader};
use duet_lang::render;
use rustyline::config::Config;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Editor};

use crate::commands::settings::RunSettings;
use helper::DuetHelper;
use plan::{Plan, Planner};
use runs::RunPlace;

const HELP: &str = "\
Type a form and press Enter; input continues until the form is closed.
  :help          this text
  :doc NAME      the documentation of a builtin, special form or your function
  :load FILE     run a file in this session (its workflow runs, as with `duet run`)
  :run           run the last workflow again
  :roles         the roles prompts are asked of
  :time EXPR     evaluate EXPR and show how long it took
  :reset         forget every definition and role
  :quit          leave (or press Ctrl-D)
Effects (shell, files, clocks) need the capabilities `duet repl --allow CAP` grants.
Declare roles with (roles (NAME :agent-kind KIND …) …) or by running a workflow; an input
that prompts, asks or waits then runs as a workflow run of one state.
Ctrl-C cancels the input being typed, stops an evaluation, or stops following a run.";

/// Arguments of `duet repl`.
#[derive(Debug, clap::Args)]
pub struct ReplArgs {
    /// Limits, capabilities and agents.
    #[command(flatten)]
    settings: RunSettings,
    /// The store the REPL's runs go to (default: a temporary store removed when the REPL
    /// ends).
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
}

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

/// The REPL's state: the session, where its runs go, and how many inputs it has run.
struct Repl {
    session: Session,
    limits: Limits,
    inputs: usize,
    color: bool,
    interrupt: Arc<AtomicBool>,
    planner: Planner,
    runs: RunPlace,
    /// The `(roles …)` form prompts are asked of.
    roles: Option<String>,
    /// The last workflow run, by its file name and source, for `:run`.
    last_workflow: Option<(String, String)>,
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

    /// A session with the prelude, its effects allowed as `--allow` says.
    fn new_session(limits: Limits, runs: &RunPlace) -> Session {
        let mut session = Session::new(limits);
        let (capabilities, workspace) = runs.effects();
        session.allow_effects(capabilities, workspace);
        session
    }

    /// Evaluates `text`, read from `name`, as [`Planner::plan`] decides.
    fn eval(&mut self, name: &str, text: &str) {
        match self.planner.plan(text) {
            Plan::Session => self.eval_in_session(name, text),
            Plan::Roles => self.declare_roles(name, text),
            Plan::Workflow => self.run_workflow(name, text),
            Plan::Run => {
                let workflow = format!("repl-{}", self.inputs);
                let source = runs::wrapped(&workflow, self.roles.as_deref(), text);
                self.run_checked(name, &source, true);
            }
        }
    }

    /// Checks `text`, showing its diagnostics; `None` when it has errors.
    fn checked(&mut self, name: &str, text: &str) -> Option<Checked> {
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
        (!checked.has_errors()).then_some(checked)
    }

    /// Checks, compiles and runs `text` in the session; prints its value, or what went
    /// wrong.
    fn eval_in_session(&mut self, name: &str, text: &str) {
        let Some(checked) = self.checked(name, text) else {
            return;
        };
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

    /// `(roles …)`: checked as a workflow's would be, then the roles of later prompts.
    fn declare_roles(&mut self, name: &str, text: &str) {
        let probe = runs::wrapped("repl-roles", Some(text.trim()), "nil");
        if self.checked(name, &probe).is_none() {
            return;
        }
        self.set_roles(text.trim().to_string());
    }

    /// Prompts are asked of `roles` from now on.
    fn set_roles(&mut self, roles: String) {
        let names = plan::role_names(&roles);
        println!("roles: {}", names.join(", "));
        self.planner.declare_roles(names);
        self.roles = Some(roles);
    }

    /// Runs the workflow `text` defines; its roles become the session's.
    fn run_workflow(&mut self, name: &str, text: &str) {
        if self.run_checked(name, text, false)
            && let Some(roles) = plan::workflow_roles(text)
            && self.roles.as_deref() != Some(roles.as_str())
        {
            self.set_roles(roles);
        }
        self.last_workflow = Some((name.to_string(), text.to_string()));
    }

    /// Checks `source` and runs its workflow; whether it checked.
    fn run_checked(&mut self, name: &str, source: &str, brief: bool) -> bool {
        let Some(checked) = self.checked(name, source) else {
            return false;
        };
        if checked.module.workflows.len() > 1 {
            eprintln!(
                "error: `{name}` defines {} workflows; the REPL runs one at a time",
                checked.module.workflows.len()
            );
            return false;
        }
        let ended = self.runs.run(&mut self.session, &checked, name, brief);
        if ended == Exit::Waiting && self.runs.is_temporary() {
            eprintln!(
                "note: the run waits; it is kept only while the REPL runs (start the REPL with --store DIR to keep runs)"
            );
        }
        true
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
                self.session = Self::new_session(self.limits, &self.runs);
                self.planner.reset();
                self.roles = None;
                println!("every definition and role is forgotten");
            }
            ":roles" => match &self.roles {
                Some(roles) => println!("{roles}"),
                None => {
                    println!("no roles yet: declare them with (roles (NAME :agent-kind KIND …) …)")
                }
            },
            ":run" => match self.last_workflow.clone() {
                Some((name, text)) => self.run_workflow(&name, &text),
                None => eprintln!("error: no workflow has run yet; type or :load one"),
            },
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

/// Runs the REPL until Ctrl-D or `:quit`. Exit status 2 when its flags are wrong.
pub fn run(args: &ReplArgs) -> std::process::ExitCode {
    let color = crate::output::stderr_color();
    let interrupt = Arc::new(AtomicBool::new(false));
    let settings = &args.settings;
    let limits = settings.limits();
    let store = args.store.clone();
    let place = settings
        .capabilities()
        .and_then(|capabilities| Ok((capabilities, settings.agents()?)))
        .and_then(|(capabilities, agents)| {
            RunPlace::new(store, limits, capabilities, agents, Arc::clone(&interrupt))
        });
    let runs = match place {
        Ok(runs) => runs,
        Err(message) => {
            crate::output::error(&message);
            return std::process::ExitCode::from(2);
        }
    };
    // Ctrl-C while a program runs sets the flag instead of killing the process; while the
    // editor reads, it arrives as a key and cancels the input.
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&interrupt));
    // The runs it follows stop on the flag too, and the REPL goes on.
    duet_runtime::effects::process::host_handles_interrupt();
    let mut repl = Repl {
        session: Repl::new_session(limits, &runs),
        limits,
        inputs: 0,
        color,
        interrupt,
        planner: Planner::default(),
        runs,
        roles: None,
        last_workflow: None,
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
