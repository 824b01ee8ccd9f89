//! Running a file as a script: check it, then evaluate its top-level forms in order. The
//! same function serves `duet run` and the tests, so both see exactly the same behaviour.

use std::io::Write;

use duet_lang::expand::Loader;
use duet_lang::render;

use duet_runtime::effects::{Capabilities, Workspace};

use duet_runtime::durable::EventKind;
use duet_runtime::workflow::Output;

use super::events::Reporter;
use super::{Limits, Session, report, workflow};

/// How a script run ended, as `duet run` reports it in its exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It ran to the end (exit 0).
    Done,
    /// It raised an uncaught error (exit 1).
    Failed,
    /// It did not check, or is not a script; nothing ran (exit 2).
    Rejected,
    /// A workflow waits for something outside (exit 3).
    Waiting,
}

impl Exit {
    /// The exit status it maps to.
    pub fn exit_code(self) -> u8 {
        match self {
            Exit::Done => 0,
            Exit::Failed => 1,
            Exit::Rejected => 2,
            Exit::Waiting => 3,
        }
    }
}

/// What a script may use.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Step and depth limits.
    pub limits: Limits,
    /// The capabilities granted and the workspace effects run in; `None` lets the script
    /// only print and log.
    pub effects: Option<(Capabilities, Workspace)>,
    /// Which workflow to run when the file has several (`--workflow`).
    pub workflow: Option<String>,
    /// Agent kinds to use instead of the declared ones: `(role, kind)` pairs, with `*`
    /// for every role (`--agent`, `--agents`).
    pub agents: Vec<(String, String)>,
    /// The store a workflow runs durably in.
    pub store: std::path::PathBuf,
    /// Report a workflow run as JSON events on `out` (`--json`).
    pub json: bool,
    /// Start a workflow run and continue it in the background (`--detach`).
    pub detach: bool,
    /// What a workflow run may spend on agents, in micro-dollars (`--budget-usd`).
    pub budget_microusd: Option<u64>,
    /// Pose a workflow's questions at once, racing its timers, with a thread reading the
    /// terminal for the rest of the process (`duet run`); otherwise a question is asked when
    /// the run has nothing else to do, and the terminal is left to its owner (the REPL).
    pub live_questions: bool,
    /// A flag Ctrl-C sets (the REPL's): once set, following a workflow run stops and the
    /// run stays resumable; `None` leaves Ctrl-C to end the process.
    pub interrupt: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// The process ends once the run does (`duet run`): a script's heap, which can hold
    /// millions of objects, is then left to the operating system to reclaim with the rest
    /// of the process instead of being freed object by object.
    pub process_ends: bool,
}

/// Checks and runs the program `bytes` read from `name`. What it prints goes to `out`;
/// diagnostics, its log and any error go to `err`.
pub fn run(
    name: &str,
    bytes: &[u8],
    setup: Setup,
    loader: &mut dyn Loader,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: bool,
) -> Exit {
    let mut session = Session::new(setup.limits);
    if let Some((capabilities, workspace)) = setup.effects.clone() {
        session.allow_effects(capabilities, workspace);
    }
    let checked = session.check(name, bytes, loader);
    if setup.json {
        // Diagnostics as one `diagnostics` event, each in `duet check --format json` form.
        if !checked.diagnostics.is_empty() {
            let diagnostics: Vec<_> = checked
                .diagnostics
                .iter()
                .map(|d| {
                    serde_json::to_value(render::json(d, &checked.sources))
                        .expect("diagnostics encode")
                })
                .collect();
            Reporter::new(true, out, err).report(EventKind::Diagnostics { diagnostics });
        }
    } else if !checked.diagnostics.is_empty() {
        let _ = write!(
            err,
            "{}",
            render::human(
                &checked.diagnostics,
                &checked.sources,
                render::Style { color }
            )
        );
    }
    if checked.has_errors() {
        if !setup.json {
            let _ = writeln!(err, "{}", render::summary(1, &checked.diagnostics));
        }
        return Exit::Rejected;
    }
    if !checked.module.workflows.is_empty() {
        let json = setup.json;
        let mut report = Reporter::new(json, out, err);
        return workflow::run(&mut session, &checked, name, setup, &mut report);
    }
    let fid = session.load(&checked);
    if setup.json {
        // A script's output and error as events, like a workflow's.
        let mut report = Reporter::new(true, out, err);
        return match run_reported(&mut session, fid, &mut report) {
            true => Exit::Done,
            false => Exit::Failed,
        };
    }
    // The log is lines for people: what the program logs cannot drive the terminal.
    let ran = session.run(fid, out, &mut super::visible::Visible::new(&mut *err));
    let exit = match ran {
        Ok(_) => Exit::Done,
        Err(e) => {
            let _ = out.flush();
            let _ = write!(err, "{}", report::session_error(&session, &e, color));
            Exit::Failed
        }
    };
    if setup.process_ends {
        // Only memory: the heap holds values, never files, processes or locks.
        std::mem::forget(std::mem::take(&mut session.vm().machine.ctx.heap));
    }
    exit
}

/// Runs chunk `fid` in `session`, reporting what it printed and logged, and its error if it
/// fails, through `report`. Whether it succeeded.
pub fn run_reported(session: &mut Session, fid: u32, report: &mut Reporter) -> bool {
    let (mut printed, mut logged) = (Vec::new(), Vec::new());
    let ran = session.run(fid, &mut printed, &mut logged);
    let mut outputs = vec![Output::Print(
        String::from_utf8_lossy(&printed).into_owned(),
    )];
    for line in String::from_utf8_lossy(&logged).lines() {
        let text = line.strip_prefix("log: ").unwrap_or(line);
        outputs.push(Output::Log(text.to_string()));
    }
    report.outputs(&outputs);
    match ran {
        Ok(_) => true,
        Err(e) => {
            report.rendered_error(&report::session_error(session, &e, false));
            false
        }
    }
}
