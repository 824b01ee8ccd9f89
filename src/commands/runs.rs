//! `duet runs`, `status`, `resume`, `answer`, `history`, `replay`, `back` and `fork`: the
//! runs in a store.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use duet::driver::events::Reporter;
use duet::driver::lease::{self, Follower};
use duet::driver::script::Exit;
use duet::driver::store::{self, STORE_PATIENCE};
use duet::driver::terminal::Terminal;
use duet::driver::workflow_outcome;
use duet_runtime::durable::{self, Ports, Resumption, SystemClock};
use duet_runtime::workflow::RunInput;
use duet_store::{RunId, Status, Store};
use serde::Serialize;

use super::run::store_dir;
use crate::output::{self, errln, outln};

/// Where the store is.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The store (default: `$DUET_STORE`, else `.duet` here).
    #[arg(long, value_name = "DIR")]
    pub(super) store: Option<PathBuf>,
}

/// Arguments naming one run.
#[derive(Debug, Args)]
pub struct RunIdArgs {
    /// The run, e.g. `r1`.
    run: String,
    /// One JSON object instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreArgs,
}

pub(super) fn open(args: &StoreArgs) -> Result<Store, ExitCode> {
    if let Some(store) = duet::driver::served::store() {
        return Ok(store);
    }
    let dir = store_dir(args.store.as_deref());
    if !dir.exists() {
        output::error(&format!(
            "there is no store at {}; `duet run` of a workflow creates one",
            dir.display()
        ));
        return Err(ExitCode::from(2));
    }
    store::open(&dir, STORE_PATIENCE).map_err(|e| {
        output::error(&e);
        ExitCode::from(2)
    })
}

/// Opens the store and does `act` to the run named `run` in it; an engine error is reported
/// on standard error (exit 2 for a usage error, else 1).
pub(super) fn with_run(
    args: &StoreArgs,
    run: &str,
    act: impl FnOnce(&Store, RunId) -> Result<Exit, durable::EngineError>,
) -> ExitCode {
    let store = match open(args) {
        Ok(store) => store,
        Err(code) => return code,
    };
    let done = durable::find_run(&store, run).and_then(|(id, _)| act(&store, id));
    match done {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(e) => {
            output::error(&e.to_string());
            ExitCode::from(if e.is_usage() { 2 } else { 1 })
        }
    }
}

/// A run's status on one line, its reason or error made visible (they hold text from the
/// run: a question, a reply, a message), with who follows it.
///
/// A run recorded as running is followed by the process whose lease names it ([`lease`]);
/// without a live lease its follower is gone (killed, or the machine stopped), and the
/// status says so and how to continue it.
///
/// [`lease`]: duet::driver::lease
fn describe(status: &Status, follower: &Follower) -> String {
    use duet::driver::visible::one_line;
    let by = match follower {
        Follower::Live(lease) if lease.kind == "daemon" => {
            format!(" (followed by the daemon, pid {})", lease.pid)
        }
        Follower::Live(lease) => format!(" (followed by pid {})", lease.pid),
        _ => String::new(),
    };
    match status {
        Status::Running if !by.is_empty() => format!("running{by}"),
        Status::Running => {
            let who = match follower {
                Follower::Gone(lease) => format!(" (pid {})", lease.pid),
                _ => String::new(),
            };
            format!(
                "interrupted: it was running when the process following it{who} stopped; \
                 `duet resume` or `duet daemon start` continues it"
            )
        }
        Status::Waiting { reason } => format!("waiting: {}{by}", one_line(reason)),
        Status::Completed => "completed".into(),
        Status::Failed { error } => format!("failed: {}", one_line(error)),
        Status::Cancelled => "cancelled".into(),
    }
}

/// Arguments of `duet runs`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// One JSON object a line instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreArgs,
}

/// A run's record as `--json` shows it.
#[derive(Serialize)]
struct RunJson<'a> {
    run: String,
    workflow: &'a str,
    status: &'a Status,
    branch: &'a str,
    created_at: u64,
    updated_at: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    turns: Option<usize>,
}

impl<'a> RunJson<'a> {
    fn of(run: &'a duet_store::StoredRun, turns: Option<usize>) -> Self {
        RunJson {
            run: run.id.to_string(),
            workflow: &run.workflow,
            status: &run.status,
            branch: &run.current_branch,
            created_at: run.created_at,
            updated_at: run.updated_at,
            turns,
        }
    }
}

/// Prints `value` as one line of JSON.
pub(super) fn json_line(value: &impl Serialize) {
    outln!("{}", serde_json::to_string(value).expect("records encode"));
}

/// `duet runs`: one run a line, starting with its id.
pub fn list(args: &ListArgs) -> ExitCode {
    let store = match open(&args.store) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let now = duet_runtime::effects::now_ms().max(0) as u64;
    match store.runs() {
        Ok(runs) => {
            for run in &runs {
                if args.json {
                    json_line(&RunJson::of(run, None));
                } else {
                    let follower = lease::follower(store.dir(), run.id, now);
                    outln!(
                        "{}\t{}\t{}",
                        run.id,
                        run.workflow,
                        describe(&run.status, &follower)
                    );
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            output::error(&e.to_string());
            ExitCode::from(1)
        }
    }
}

/// `duet status RUN`
pub fn status(args: &RunIdArgs) -> ExitCode {
    let store = match open(&args.store) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (id, run) = match durable::find_run(&store, &args.run) {
        Ok(found) => found,
        Err(e) => {
            output::error(&e.to_string());
            return ExitCode::from(2);
        }
    };
    // A journal that cannot be read is said to be so, never shown as fewer turns.
    let turns = store.read_turns(id, &run.current_branch, 1);
    // What its agents cost is the run's own state: a run that cannot be restored shows none.
    let spending = durable::spending(&store, id).ok();
    if args.json {
        let mut value = serde_json::to_value(RunJson::of(&run, turns.as_ref().ok().map(Vec::len)))
            .expect("a run's status encodes");
        if let (Some(object), Some(spending)) = (value.as_object_mut(), &spending) {
            object.insert("usage".into(), super::spending::json(spending));
        }
        json_line(&value);
    } else {
        outln!("run {}", run.id);
        outln!("workflow {}", run.workflow);
        let now = duet_runtime::effects::now_ms().max(0) as u64;
        let follower = lease::follower(store.dir(), id, now);
        outln!("status {}", describe(&run.status, &follower));
        outln!("branch {}", run.current_branch);
    }
    match turns {
        Ok(turns) => {
            if !args.json {
                outln!("turns {}", turns.len());
                for line in spending.iter().flat_map(super::spending::lines) {
                    outln!("{line}");
                }
            }
            ExitCode::SUCCESS
        }
        Err(partial) => {
            if !args.json {
                outln!("turns {} readable, then damage", partial.turns.len());
            }
            output::error(&partial.error.to_string());
            ExitCode::from(1)
        }
    }
}

/// Arguments of `duet resume`.
#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The run, e.g. `r1`.
    run: String,
    /// Report the run as JSON events, one a line, on standard output.
    #[arg(long)]
    json: bool,
    /// Grant a capability for the rest of the run: shell, workspace/read, workspace/write,
    /// network (repeatable; journaled, so replay and later resumes see it).
    #[arg(long = "allow", value_name = "CAPABILITY")]
    allow: Vec<String>,
    /// Continue in the workflow file's current code: re-enter the run's state with its
    /// variables carried over by name, its conversations and its workspace.
    #[arg(long)]
    reload: bool,
    /// A new limit on what the run's agents may cost, in US dollars (journaled).
    #[arg(long = "budget-usd", value_name = "USD")]
    budget_usd: Option<f64>,
    /// Seconds to wait for the store while another process holds it (`--detach` uses it).
    #[arg(long, value_name = "SECONDS", hide = true)]
    wait_for_store: Option<u64>,
    #[command(flatten)]
    store: StoreArgs,
}

/// `duet resume RUN`
pub fn resume(args: &ResumeArgs) -> ExitCode {
    let dir = store_dir(args.store.store.as_deref());
    let patience = args
        .wait_for_store
        .map_or(STORE_PATIENCE, std::time::Duration::from_secs);
    followed(
        &dir,
        patience,
        &args.run,
        args.json,
        Resumption::Resume,
        &Continuing {
            allow: &args.allow,
            reload: args.reload,
            budget_usd: args.budget_usd,
        },
    )
}

/// What a person changes about a run as it continues.
struct Continuing<'a> {
    /// `--allow`: capabilities to grant.
    allow: &'a [String],
    /// `--reload`: continue in the file's current code.
    reload: bool,
    /// `--budget-usd`: a new limit on what its agents may cost.
    budget_usd: Option<f64>,
}

/// Opens the store at `dir` and follows run `run` in the engine from where it is (first
/// continuing it in its file's current code with `reload`), with reports for people on
/// stderr, or JSON events on stdout with `json`.
fn followed(
    dir: &std::path::Path,
    patience: std::time::Duration,
    run: &str,
    json: bool,
    how: Resumption,
    continuing: &Continuing,
) -> ExitCode {
    let Continuing {
        allow,
        reload,
        budget_usd,
    } = *continuing;
    let budget_microusd = match budget_usd.map(super::run::microusd).transpose() {
        Ok(budget) => budget,
        Err(message) => {
            output::error(&message);
            return ExitCode::from(2);
        }
    };
    let (mut out, mut err) = (output::stdout(), output::stderr());
    let mut report = Reporter::new(json, &mut out, &mut err);
    let store = match store::open(dir, patience) {
        Ok(store) => store,
        Err(e) => {
            report.error(e);
            return ExitCode::from(2);
        }
    };
    let id = match durable::find_run(&store, run) {
        Ok((id, _)) => id,
        Err(e) => {
            report.error(e);
            return ExitCode::from(2);
        }
    };
    if reload {
        let reloaded = super::reload::compile(&store, id, &mut report)
            .and_then(|code| super::reload::continue_in(&store, id, code, &mut report));
        match reloaded {
            Ok(reloaded) if !json => errln!("{}", super::reload::said(id, &reloaded)),
            Ok(_) => {}
            Err(refused) => return ExitCode::from(refused.exit_code()),
        }
    }
    let mut terminal = Terminal::new(true);
    let mut ports = Ports {
        observer: &mut report,
        answers: &mut terminal,
        clock: std::sync::Arc::new(SystemClock),
    };
    let mut grant = Vec::new();
    for name in allow {
        match name.parse() {
            Ok(capability) => grant.push(capability),
            Err(e) => {
                ports.observer.event(duet_runtime::durable::RunEvent {
                    kind: duet_runtime::durable::EventKind::Error { message: e },
                    run: Some(id.to_string()),
                    turn: None,
                    at: duet_runtime::effects::now_ms(),
                });
                return ExitCode::from(2);
            }
        }
    }
    let changes = durable::Changes {
        grant,
        budget_microusd,
    };
    // Through the daemon, or a foreground `duet` serving this command; else serving others
    // while following here.
    let (host, _serving) = duet::driver::served::following_host(&store);
    if let Some(host) = host {
        drop(ports);
        let answers = duet::driver::served::answers();
        let exit = host.follow(id, how, changes, answers, &mut report);
        return ExitCode::from(exit.exit_code());
    }
    let _lease = duet::driver::lease::hold(dir, id);
    let result = durable::follow_with(&store, id, how, &changes, &mut ports);
    ExitCode::from(workflow_outcome(result, &mut report).exit_code())
}

/// Arguments of `duet answer`.
#[derive(Debug, Args)]
pub struct AnswerArgs {
    /// The run, e.g. `r1`.
    run: String,
    /// The answer to the question it waits on.
    text: String,
    /// Grant a capability for the rest of the run (repeatable).
    #[arg(long = "allow", value_name = "CAPABILITY")]
    allow: Vec<String>,
    /// Report the run as JSON events, one a line, on standard output.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreArgs,
}

/// `duet answer RUN TEXT`
pub fn answer(args: &AnswerArgs) -> ExitCode {
    let dir = store_dir(args.store.store.as_deref());
    let how = Resumption::Answer(args.text.clone());
    followed(
        &dir,
        STORE_PATIENCE,
        &args.run,
        args.json,
        how,
        &Continuing {
            allow: &args.allow,
            reload: false,
            budget_usd: None,
        },
    )
}

/// Arguments of `duet history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The run, e.g. `r1`.
    run: String,
    /// The branch (default: the run's current branch).
    #[arg(long)]
    branch: Option<String>,
    /// Show only the last N turns.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// One JSON object a turn instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreArgs,
}

/// `duet history RUN`: its turns, oldest first, one a line: number, time, what came in.
pub fn history(args: &HistoryArgs) -> ExitCode {
    let store = match open(&args.store) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (id, run) = match durable::find_run(&store, &args.run) {
        Ok(found) => found,
        Err(e) => {
            output::error(&e.to_string());
            return ExitCode::from(2);
        }
    };
    let branch = args.branch.clone().unwrap_or(run.current_branch);
    if let Err(e) = store.branch(id, &branch) {
        output::error(&e.to_string());
        return ExitCode::from(2);
    }
    let (turns, damage) = match store.read_turns(id, &branch, 1) {
        Ok(turns) => (turns, None),
        Err(partial) => (partial.turns, Some(partial.error)),
    };
    let skip = args.limit.map_or(0, |n| turns.len().saturating_sub(n));
    let inputs: Vec<_> = turns
        .iter()
        .map(|turn| durable::read_input(&store, id, &branch, turn))
        .collect();
    // The branch's first checkpoint records the files before the run changed them.
    let baseline = inputs
        .iter()
        .position(|input| input.as_ref().ok().and_then(files_changed).is_some());
    for (at, (turn, input)) in turns.iter().zip(inputs).enumerate().skip(skip) {
        if args.json {
            #[derive(Serialize)]
            struct TurnJson<'a> {
                turn: u64,
                at: u64,
                #[serde(skip_serializing_if = "Option::is_none")]
                input: Option<&'a RunInput>,
                /// The workspace files the turn recorded as changed, and who changed them.
                #[serde(skip_serializing_if = "Option::is_none")]
                files: Option<&'a [String]>,
                #[serde(skip_serializing_if = "Option::is_none")]
                by: Option<&'a str>,
                #[serde(skip_serializing_if = "Option::is_none")]
                error: Option<String>,
            }
            let changed = input.as_ref().ok().and_then(files_changed);
            json_line(&TurnJson {
                turn: turn.turn,
                at: turn.at,
                input: input.as_ref().ok(),
                files: changed.map(|(files, _)| files),
                by: changed.map(|(_, by)| by),
                error: input.as_ref().err().map(|e| e.to_string()),
            });
            continue;
        }
        let summary = match &input {
            Ok(input) => match files_changed(input) {
                Some((files, by)) => one_line(&format!(
                    "{}: {}",
                    if baseline == Some(at) {
                        "files before the run changed them".to_string()
                    } else {
                        format!("files changed by {by}")
                    },
                    match files.len() {
                        0 => "none".to_string(),
                        1..=8 => files.join(", "),
                        n => format!("{n} files"),
                    }
                )),
                None => match input {
                    // The moment for people, not milliseconds since the epoch.
                    RunInput::Deadline { id, at } => format!(
                        "timer {id} set for {}",
                        duet::driver::times::local_time((*at).max(0) as u64)
                    ),
                    input => one_line(&input.to_string()),
                },
            },
            Err(e) => format!("(unreadable: {e})"),
        };
        outln!(
            "{}\t{}\t{summary}",
            turn.turn,
            duet::driver::times::local_time(turn.at)
        );
    }
    match damage {
        Some(e) => {
            output::error(&e.to_string());
            ExitCode::from(1)
        }
        None => ExitCode::SUCCESS,
    }
}

/// The workspace files a turn recorded as changed, and who changed them (a role, an effect,
/// or `person`): only a checkpoint turn records files.
fn files_changed(input: &RunInput) -> Option<(&[String], &str)> {
    match input {
        RunInput::Checkpoint { author, files, .. } => Some((files, author)),
        _ => None,
    }
}

/// `text` on one line of at most 100 characters.
fn one_line(text: &str) -> String {
    let line = text.replace('\n', "\\n");
    if line.chars().count() > 100 {
        format!("{}…", line.chars().take(99).collect::<String>())
    } else {
        line
    }
}

/// Arguments of `duet replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The run, e.g. `r1`.
    run: String,
    /// The branch (default: the run's current branch).
    #[arg(long)]
    branch: Option<String>,
    #[command(flatten)]
    store: StoreArgs,
}

/// `duet replay RUN`: re-executes the run from its journal and checks every turn reproduces.
pub fn replay(args: &ReplayArgs) -> ExitCode {
    with_run(&args.store, &args.run, |store, run| {
        match durable::replay(store, run, args.branch.as_deref()) {
            Ok(verified) => {
                errln!(
                    "replay: {run} branch {}: every turn reproduces ({}, {} identical)",
                    verified.branch,
                    counted(verified.turns, "turn"),
                    counted(verified.snapshots, "snapshot")
                );
                Ok(Exit::Done)
            }
            Err(durable::ReplayError::Engine(e)) => Err(e),
            Err(diverged) => {
                errln!("replay: {diverged}");
                Ok(Exit::Failed)
            }
        }
    })
}

/// Arguments of `duet back`.
#[derive(Debug, Args)]
pub struct BackArgs {
    /// The run, e.g. `r1`.
    run: String,
    /// How many turns to move back.
    #[arg(long, value_name = "N", default_value_t = 1)]
    count: u64,
    #[command(flatten)]
    store: StoreArgs,
}

/// `duet back RUN`: moves the current branch's head back; the abandoned turns stay as a branch.
pub fn back(args: &BackArgs) -> ExitCode {
    with_run(&args.store, &args.run, |store, run| {
        let moved = durable::back(store, run, args.count, &SystemClock)?;
        let (branch, turn) = (&moved.branch, moved.turn);
        match &moved.abandoned {
            None => errln!("run: {run} branch {branch} did not move (0 turns back)"),
            Some(abandoned) => {
                errln!(
                    "run: {run} branch {branch} moved back to turn {turn}; the {} turns after it \
                     are kept on branch {abandoned}",
                    args.count
                );
                errln!("  `duet resume {run}` continues from turn {turn}");
            }
        }
        report_files(moved.files.as_ref(), turn);
        Ok(Exit::Done)
    })
}

/// Arguments of `duet fork`.
#[derive(Debug, Args)]
pub struct ForkArgs {
    /// The run, e.g. `r1`.
    run: String,
    /// The turn of the current branch to fork from (0: before the first).
    #[arg(long, value_name = "TURN")]
    at: u64,
    /// The new branch's name (default: `fork-N`).
    #[arg(long, value_name = "B")]
    name: Option<String>,
    /// Continue the new branch in the workflow file's current code (see `duet resume
    /// --reload`); `duet resume` then runs it.
    #[arg(long)]
    reload: bool,
    #[command(flatten)]
    store: StoreArgs,
}

/// `duet fork RUN --at TURN`: a new branch from that turn, made the run's current branch.
pub fn fork(args: &ForkArgs) -> ExitCode {
    with_run(&args.store, &args.run, |store, run| {
        let (mut out, mut err) = (output::stdout(), output::stderr());
        let mut report = Reporter::new(false, &mut out, &mut err);
        // The file is compiled first: one that does not check changes nothing.
        let code = match args.reload {
            true => match super::reload::compile(store, run, &mut report) {
                Ok(code) => Some(code),
                Err(refused) => return Ok(refused.exit()),
            },
            false => None,
        };
        let forked = durable::fork(store, run, args.at, args.name.as_deref(), &SystemClock)?;
        errln!(
            "run: {run} forked branch {} from {} at turn {}; it is now the run's current branch",
            forked.name,
            forked.from,
            forked.turn
        );
        errln!(
            "  `duet resume {run}` continues it from turn {}",
            forked.turn
        );
        report_files(forked.files.as_ref(), forked.turn);
        if let Some(code) = code {
            match super::reload::continue_in(store, run, code, &mut report) {
                Ok(reloaded) => errln!("{}", super::reload::said(run, &reloaded)),
                Err(refused) => {
                    errln!(
                        "  branch {} was forked and stays in the code the run had",
                        forked.name
                    );
                    return Ok(refused.exit());
                }
            }
        }
        Ok(Exit::Done)
    })
}

/// `1 turn`, `2 turns`.
pub(super) fn counted(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Arguments of `duet rm`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// The run, e.g. `r1`.
    run: String,
    /// Remove it even if it is recorded as running.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    store: StoreArgs,
}

/// `duet rm RUN`: removes a run and all its branches; `duet gc` then frees its blobs.
pub fn rm(args: &RmArgs) -> ExitCode {
    with_run(&args.store, &args.run, |store, run| {
        let removed = durable::remove(store, run, args.force)?;
        errln!(
            "run: {run} removed ({}, {}, {}); `duet gc` frees what only it used",
            counted(removed.turns, "turn"),
            counted(removed.snapshots, "snapshot"),
            counted(removed.branches, "branch")
        );
        Ok(Exit::Done)
    })
}

/// `duet gc`: removes the blobs no run refers to.
pub fn gc(args: &StoreArgs) -> ExitCode {
    let store = match open(args) {
        Ok(store) => store,
        Err(code) => return code,
    };
    match durable::collect(&store) {
        Ok(collected) => {
            errln!(
                "gc: {} removed ({} bytes), {} still referred to",
                counted(collected.blobs, "blob"),
                collected.bytes,
                collected.kept
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            output::error(&e.to_string());
            ExitCode::from(1)
        }
    }
}

/// What a rewind did to the workspace's files, for people.
pub(super) fn report_files(files: Option<&durable::FilesMoved>, turn: u64) {
    let Some(files) = files else {
        return;
    };
    if let Some(person) = &files.person {
        errln!(
            "  {} changed outside duet since the last checkpoint: kept as checkpoint {} (turn {} \
             of branch {}; `duet switch` to it brings them back)",
            counted(person.files.len() as u64, "file"),
            &person.commit[..person.commit.len().min(12)],
            person.turn,
            person.branch
        );
    }
    match files.restored.len() {
        0 => errln!("  the workspace's files are already as they were at turn {turn}"),
        n => errln!(
            "  {n} workspace {} put back as at turn {turn}: {}",
            if n == 1 { "file" } else { "files" },
            duet::driver::visible::one_line(&files.restored.join(", "))
        ),
    }
}
