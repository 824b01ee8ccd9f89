//! `duet runs`, `status`, `resume`, `answer`, `history`, `replay`, `back` and `fork`: the
//! runs in a store.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use duet::driver::events::Reporter;
use duet::driver::script::Outcome;
use duet::driver::{durable, replay, rewind};
use duet_store::{RunId, Status, Store};

use super::run::store_dir;
use crate::output;

/// Where the store is.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The store (default: `$DUET_STORE`, else `.duet` here).
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
}

/// Arguments naming one run.
#[derive(Debug, Args)]
pub struct RunIdArgs {
    /// The run, e.g. `r1`.
    run: String,
    #[command(flatten)]
    store: StoreArgs,
}

fn open(args: &StoreArgs) -> Result<Store, ExitCode> {
    let dir = store_dir(args.store.as_deref());
    if !dir.exists() {
        output::error(&format!(
            "there is no store at {}; `duet run` of a workflow creates one",
            dir.display()
        ));
        return Err(ExitCode::from(2));
    }
    Store::open_patiently(&dir, durable::STORE_PATIENCE).map_err(|e| {
        output::error(&format!("cannot open the store {}: {e}", dir.display()));
        ExitCode::from(2)
    })
}

/// Opens the store and does `act` in it, reporting on standard error.
fn in_store(
    args: &StoreArgs,
    act: impl FnOnce(&Store, &mut dyn std::io::Write) -> Outcome,
) -> ExitCode {
    match open(args) {
        Ok(store) => ExitCode::from(act(&store, &mut std::io::stderr()).exit_code()),
        Err(code) => code,
    }
}

fn describe(status: &Status) -> String {
    match status {
        Status::Running => "running".into(),
        Status::Waiting { reason } => format!("waiting: {reason}"),
        Status::Completed => "completed".into(),
        Status::Failed { error } => format!("failed: {error}"),
        Status::Cancelled => "cancelled".into(),
    }
}

/// `duet runs`: one run a line, starting with its id.
pub fn list(args: &StoreArgs) -> ExitCode {
    let store = match open(args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match store.runs() {
        Ok(runs) => {
            for run in runs {
                println!("{}\t{}\t{}", run.id, run.workflow, describe(&run.status));
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
    let found = args
        .run
        .parse::<RunId>()
        .and_then(|id| store.run(id).map(|r| (id, r)))
        .map(|(id, r)| {
            let turns = store
                .read_turns(id, &r.current_branch, 1)
                .map_or(0, |t| t.len());
            (r, turns)
        });
    match found {
        Ok((run, turns)) => {
            println!("run {}", run.id);
            println!("workflow {}", run.workflow);
            println!("status {}", describe(&run.status));
            println!("branch {}", run.current_branch);
            println!("turns {turns}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            output::error(&format!("no run `{}`: {e}", args.run));
            ExitCode::from(2)
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
        .map_or(durable::STORE_PATIENCE, std::time::Duration::from_secs);
    reported(args.json, |report| {
        durable::resume(&dir, &args.run, patience, report)
    })
}

/// Runs `follow` with reports for people on stderr, or JSON events on stdout with `json`.
fn reported(json: bool, follow: impl FnOnce(&mut Reporter) -> Outcome) -> ExitCode {
    let stdout = std::io::stdout();
    let (mut out, mut err) = (stdout.lock(), std::io::stderr());
    let outcome = follow(&mut Reporter::new(json, &mut out, &mut err));
    ExitCode::from(outcome.exit_code())
}

/// Arguments of `duet answer`.
#[derive(Debug, Args)]
pub struct AnswerArgs {
    /// The run, e.g. `r1`.
    run: String,
    /// The answer to the question it waits on.
    text: String,
    /// Report the run as JSON events, one a line, on standard output.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreArgs,
}

/// `duet answer RUN TEXT`
pub fn answer(args: &AnswerArgs) -> ExitCode {
    let dir = store_dir(args.store.store.as_deref());
    reported(args.json, |report| {
        durable::answer(&dir, &args.run, &args.text, report)
    })
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
    #[command(flatten)]
    store: StoreArgs,
}

/// `duet history RUN`: its turns, oldest first, one a line: number, time, what came in.
pub fn history(args: &HistoryArgs) -> ExitCode {
    let store = match open(&args.store) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let found = args
        .run
        .parse::<RunId>()
        .and_then(|id| store.run(id).map(|r| (id, r)));
    let (id, run) = match found {
        Ok(found) => found,
        Err(e) => {
            output::error(&format!("no run `{}`: {e}", args.run));
            return ExitCode::from(2);
        }
    };
    let branch = args.branch.clone().unwrap_or(run.current_branch);
    let (turns, damage) = match store.read_turns(id, &branch, 1) {
        Ok(turns) => (turns, None),
        Err(partial) => (partial.turns, Some(partial.error)),
    };
    let skip = args.limit.map_or(0, |n| turns.len().saturating_sub(n));
    for turn in &turns[skip..] {
        let summary = postcard::from_bytes::<duet_sam::Term>(&turn.payload)
            .map(|t| summarise(&t))
            .unwrap_or_else(|_| "(undecodable payload)".into());
        println!("{}\t{}\t{summary}", turn.turn, turn.at);
    }
    match damage {
        Some(e) => {
            output::error(&e.to_string());
            ExitCode::from(1)
        }
        None => ExitCode::SUCCESS,
    }
}

/// One line about a turn's input.
fn summarise(input: &duet_sam::Term) -> String {
    use duet_sam::Term;
    let label = duet_runtime::workflow::agents::ANSWER_LABEL;
    let text = match (
        input.record_fields("%answer"),
        input.record_fields("%deadline"),
        input.record_fields(label),
    ) {
        (Some([Term::Int(id), result]), _, _) => format!("effect {id} answered: {result}"),
        (_, Some([Term::Int(id), Term::Int(at)]), _) => format!("timer {id} set for {at}"),
        (_, _, Some([Term::Int(id), result])) => format!("agent call {id} answered: {result}"),
        _ => input.to_string(),
    };
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
    in_store(&args.store, |store, err| {
        replay::replay(store, &args.run, args.branch.as_deref(), err)
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
    in_store(&args.store, |store, err| {
        rewind::back(store, &args.run, args.count, err)
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
    #[command(flatten)]
    store: StoreArgs,
}

/// `duet fork RUN --at TURN`: a new branch from that turn, made the run's current branch.
pub fn fork(args: &ForkArgs) -> ExitCode {
    in_store(&args.store, |store, err| {
        rewind::fork(store, &args.run, args.at, args.name.as_deref(), err)
    })
}
