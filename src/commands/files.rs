//! `duet diff`, `blame`, `branches` and `switch`: a run's workspace files as its checkpoints
//! recorded them, and its branches.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use duet::driver::script::Exit;
use duet::driver::visible::{escaped, one_line};
use duet_runtime::durable::{self, Checkpointed, LineOrigin, SystemClock};
use duet_store::Origin;
use serde::Serialize;

use super::runs::{StoreArgs, counted, json_line, open, report_files, with_run};
use crate::output::{self, errln, outln};

/// Arguments of `duet diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The run, e.g. `r1`.
    run: String,
    /// Only what this turn's checkpoint changed (`duet history` shows which turns have one).
    #[arg(long, value_name = "N")]
    turn: Option<u64>,
    /// One JSON object (the files changed and the patch) instead of the diff.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreArgs,
}

/// A checkpoint as `--json` shows it.
#[derive(Serialize)]
struct CheckpointJson<'a> {
    turn: u64,
    commit: &'a str,
    by: &'a str,
}

impl<'a> CheckpointJson<'a> {
    fn of(checkpoint: &'a Checkpointed) -> Self {
        CheckpointJson {
            turn: checkpoint.turn,
            commit: &checkpoint.commit,
            by: &checkpoint.author,
        }
    }
}

/// `duet diff RUN [--turn N]`: the unified diff of one turn's changes to the workspace, or
/// of the whole run on its current branch, on standard output.
pub fn diff(args: &DiffArgs) -> ExitCode {
    with_run(&args.store, &args.run, |store, run| {
        let Some(diff) = durable::diff(store, run, args.turn)? else {
            if args.json {
                json_line(&serde_json::json!({
                    "run": run.to_string(), "from": null, "to": null, "files": [], "patch": ""
                }));
            }
            errln!(
                "diff: run {run} has no checkpoint on its current branch: nothing it did could \
                 change the workspace's files"
            );
            return Ok(Exit::Done);
        };
        if args.json {
            #[derive(Serialize)]
            struct FileJson<'a> {
                status: &'a str,
                path: &'a str,
            }
            #[derive(Serialize)]
            struct DiffJson<'a> {
                run: String,
                branch: &'a str,
                from: Option<CheckpointJson<'a>>,
                to: CheckpointJson<'a>,
                files: Vec<FileJson<'a>>,
                patch: &'a str,
            }
            json_line(&DiffJson {
                run: run.to_string(),
                branch: &diff.branch,
                from: diff.from.as_ref().map(CheckpointJson::of),
                to: CheckpointJson::of(&diff.to),
                files: diff
                    .files
                    .iter()
                    .map(|f| FileJson {
                        status: &f.status,
                        path: &f.path,
                    })
                    .collect(),
                patch: &diff.patch,
            });
            return Ok(Exit::Done);
        }
        let what = match (args.turn, &diff.from) {
            (Some(turn), Some(from)) => format!(
                "turn {turn} (by {}) against turn {}",
                one_line(&diff.to.author),
                from.turn
            ),
            (Some(turn), None) => {
                format!("turn {turn}, the run's first checkpoint: the files as a person left them")
            }
            (None, from) => format!(
                "the whole run: turn {} against turn {}",
                diff.to.turn,
                from.as_ref().map_or(0, |f| f.turn)
            ),
        };
        errln!(
            "diff: run {run} branch {}, {what}: {} changed",
            diff.branch,
            counted(diff.files.len() as u64, "file")
        );
        // The files' text is data; on a terminal, its control characters are shown escaped.
        if output::stdout_terminal() {
            output::write(false, &escaped(&diff.patch));
        } else {
            output::write(false, &diff.patch);
        }
        Ok(Exit::Done)
    })
}

/// Arguments of `duet blame`.
#[derive(Debug, Args)]
pub struct BlameArgs {
    /// The file (a path in a run's workspace).
    file: PathBuf,
    /// One JSON object a line instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreArgs,
}

/// `duet blame FILE`: each line of the file with the run, turn and role or effect that last
/// changed it.
pub fn blame(args: &BlameArgs) -> ExitCode {
    let store = match open(&args.store) {
        Ok(store) => store,
        Err(code) => return code,
    };
    let file = duet::driver::served::path(&args.file);
    let blame = match durable::blame_as(&store, &file, &args.file) {
        Ok(blame) => blame,
        Err(e) => {
            output::error(&e.to_string());
            return ExitCode::from(if e.is_usage() { 2 } else { 1 });
        }
    };
    let label = |by: &LineOrigin| match by {
        LineOrigin::Unchanged => "not changed by duet".to_string(),
        LineOrigin::Turn { run, turn, author } => {
            format!("{run} turn {turn} {}", one_line(author))
        }
        LineOrigin::Outside => "person, not checkpointed yet".to_string(),
    };
    if args.json {
        #[derive(Serialize)]
        struct LineJson<'a> {
            line: usize,
            text: &'a str,
            origin: &'a str,
            run: Option<String>,
            turn: Option<u64>,
            by: Option<&'a str>,
        }
        for line in &blame.lines {
            let (origin, run, turn, by) = match &line.by {
                LineOrigin::Unchanged => ("unchanged", None, None, None),
                LineOrigin::Turn { run, turn, author } => (
                    "turn",
                    Some(run.to_string()),
                    Some(*turn),
                    Some(author.as_str()),
                ),
                LineOrigin::Outside => ("outside", None, None, Some("person")),
            };
            json_line(&LineJson {
                line: line.number,
                text: &line.text,
                origin,
                run,
                turn,
                by,
            });
        }
        return ExitCode::SUCCESS;
    }
    let labels: Vec<String> = blame.lines.iter().map(|l| label(&l.by)).collect();
    let width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let digits = blame.lines.len().to_string().len();
    for (line, label) in blame.lines.iter().zip(&labels) {
        outln!(
            "{label:<width$}  {:>digits$}  {}",
            line.number,
            one_line(&line.text)
        );
    }
    ExitCode::SUCCESS
}

/// Arguments of `duet branches`.
#[derive(Debug, Args)]
pub struct BranchesArgs {
    /// The run, e.g. `r1`.
    run: String,
    /// One JSON object a branch instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreArgs,
}

/// `duet branches RUN`: its branches in the order they were made, the current one marked.
pub fn branches(args: &BranchesArgs) -> ExitCode {
    with_run(&args.store, &args.run, |store, run| {
        let current = store
            .run(run)
            .map_err(|e| durable::EngineError::Store {
                run: Some(run),
                source: Box::new(e),
            })?
            .current_branch;
        let branches = store
            .branches(run)
            .map_err(|e| durable::EngineError::Store {
                run: Some(run),
                source: Box::new(e),
            })?;
        let width = branches.iter().map(|b| b.name.len()).max().unwrap_or(0);
        for branch in &branches {
            let is_current = branch.name == current;
            let origin = match &branch.origin {
                Origin::Start => "start",
                Origin::Fork { .. } => "fork",
                Origin::Back { .. } => "back",
            };
            if args.json {
                json_line(&serde_json::json!({
                    "branch": branch.name,
                    "current": is_current,
                    "head": branch.head,
                    "fork": branch.parent.as_ref().map(|p| serde_json::json!({
                        "branch": p.branch, "turn": p.turn
                    })),
                    "origin": origin,
                    "created_at": branch.created_at,
                }));
                continue;
            }
            let from = match (&branch.parent, &branch.origin) {
                (None, _) => "the run's first branch".to_string(),
                (Some(p), Origin::Back { from_head, .. }) => format!(
                    "fork point {} turn {} (`duet back` from turn {from_head})",
                    p.branch, p.turn
                ),
                (Some(p), _) => format!("fork point {} turn {}", p.branch, p.turn),
            };
            outln!(
                "{} {:<width$}  head turn {:<4} {from}",
                if is_current { "*" } else { " " },
                branch.name,
                branch.head
            );
        }
        Ok(Exit::Done)
    })
}

/// Arguments of `duet switch`.
#[derive(Debug, Args)]
pub struct SwitchArgs {
    /// The run, e.g. `r1`.
    run: String,
    /// The branch to make current (`duet branches` lists them).
    branch: String,
    #[command(flatten)]
    store: StoreArgs,
}

/// `duet switch RUN BRANCH`: makes another branch current, with its files and state.
pub fn switch(args: &SwitchArgs) -> ExitCode {
    with_run(&args.store, &args.run, |store, run| {
        let switched = durable::switch(store, run, &args.branch, &SystemClock)?;
        if switched.from == switched.to {
            errln!(
                "run: {run} is on branch {} already; nothing changed",
                switched.to
            );
            return Ok(Exit::Done);
        }
        errln!(
            "run: {run} switched from branch {} to {}, at turn {}",
            switched.from,
            switched.to,
            switched.turn
        );
        errln!(
            "  `duet resume {run}` continues it from turn {}",
            switched.turn
        );
        report_files(switched.files.as_ref(), switched.turn);
        Ok(Exit::Done)
    })
}
