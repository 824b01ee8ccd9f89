//! Durable workflow runs: every effect result is journaled in the store before the workflow
//! sees it, and the run's whole state is snapshotted after each turn, so a run killed at any
//! moment continues with `duet resume` exactly where its journal ends.
//!
//! A turn's payload is the input it delivered (an effect's answer as a term); its digest is
//! that of the state the input was applied to. State at turn N = the nearest snapshot at or
//! before N, then the journaled inputs after it, delivered one at a time as they were live.

use std::io::Write;
use std::path::Path;

use duet_lang::compile::CompiledWorkflow;
use duet_lang::ir::Program;
use duet_runtime::effects::{self, Capabilities, Effect, Workspace};
use duet_runtime::workflow::Output;
use duet_runtime::workflow::agents::Role;
use duet_runtime::workflow::host::Run;
use duet_sam::Term;
use duet_store::{MAIN, NewRun, RunId, Status, Store};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::events::Reporter;
use super::follow::{Place, follow};
use super::script::Outcome;

/// What a run needs besides its journal, stored once as a blob named in the run record.
#[derive(Serialize, Deserialize)]
pub(super) struct Manifest {
    /// The encoded program (IR).
    pub(super) program: Vec<u8>,
    workflow: CompiledWorkflow,
    roles: Vec<Role>,
    capabilities: Vec<String>,
    workspace: String,
    /// The run's state before its first turn, so a run killed before its first snapshot
    /// still resumes.
    pub(super) initial: Vec<u8>,
}

/// The wall clock in milliseconds, for the store's records (never for a run's state).
pub(super) fn now_ms() -> u64 {
    effects::now_ms().max(0) as u64
}

/// How long a command waits for a store another process holds (a `duet status` holds it
/// for milliseconds) before saying it is in use.
pub const STORE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

fn open(dir: &Path, report: &mut Reporter) -> Option<Store> {
    open_waiting(dir, STORE_PATIENCE, report)
}

fn open_waiting(dir: &Path, patience: std::time::Duration, report: &mut Reporter) -> Option<Store> {
    match Store::open_patiently(dir, patience) {
        Ok(store) => Some(store),
        Err(e) => {
            report.error(format!("cannot open the store {}: {e}", dir.display()));
            None
        }
    }
}

/// Starts a new durable run of `workflow` in the store at `dir` and follows it, or with
/// `detach` hands it to a process in the background.
#[allow(clippy::too_many_arguments)]
pub fn start(
    dir: &Path,
    vm: duet_vm::Vm,
    workflow: CompiledWorkflow,
    roles: Vec<Role>,
    capabilities: Capabilities,
    workspace: Workspace,
    detach: bool,
    report: &mut Reporter,
) -> Outcome {
    let Some(store) = open(dir, report) else {
        return Outcome::Rejected;
    };
    let program = vm.program().encode();
    let run = Run::start(vm, workflow.clone(), roles.clone(), capabilities.clone());
    let manifest = Manifest {
        initial: run.snapshot(),
        program,
        workflow: workflow.clone(),
        roles: roles.clone(),
        capabilities: Capabilities::ALL
            .iter()
            .filter(|c| capabilities.allows(c))
            .map(|c| c.to_string())
            .collect(),
        workspace: workspace.root().to_string_lossy().into_owned(),
    };
    let stored = postcard::to_stdvec(&manifest)
        .map_err(|e| e.to_string())
        .and_then(|bytes| store.put_blob(&bytes).map_err(|e| e.to_string()))
        .and_then(|hash| {
            store
                .create_run(NewRun {
                    workflow: workflow.name.clone(),
                    program_hash: hash.to_string(),
                    at: now_ms(),
                })
                .map_err(|e| e.to_string())
        });
    let record = match stored {
        Ok(record) => record,
        Err(e) => {
            report.error(format!("cannot record the run: {e}"));
            return Outcome::Failed;
        }
    };
    report.report(
        format!(
            "run: {} started (workflow `{}`, store {})",
            record.id,
            workflow.name,
            dir.display()
        ),
        json!({
            "event": "started",
            "run": record.id.to_string(),
            "workflow": workflow.name,
            "store": dir.display().to_string(),
        }),
    );
    if detach {
        let reason = "starting in the background".to_string();
        if let Err(e) = store.set_status(record.id, Status::Waiting { reason }, now_ms()) {
            report.error(format!("cannot record the run: {e}"));
            return Outcome::Failed;
        }
        drop(store);
        return super::detach::hand_over(dir, record.id, report);
    }
    let place = Place {
        store: &store,
        id: record.id,
        branch: MAIN.to_string(),
    };
    follow(&place, run, 0, Vec::new(), None, &workspace, report)
}

/// A stored run restored to the end of its journal.
struct Restored {
    id: RunId,
    /// The run's current branch, which it continues on.
    branch: String,
    run: Run,
    last: u64,
    workspace: Workspace,
    /// What the replayed turns printed and logged. The crash may have come before it was
    /// shown, so it is shown again: output is at least once.
    replayed: Vec<Output>,
}

fn restore(store: &Store, id: &str, report: &mut Reporter) -> Result<Restored, Outcome> {
    let loaded = (|| -> Result<_, String> {
        let id: RunId = id
            .parse()
            .map_err(|e: duet_store::StoreError| e.to_string())?;
        let record = store.run(id).map_err(|e| e.to_string())?;
        let manifest = load_manifest(store, &record.program_hash)?;
        Ok((id, record, manifest))
    })();
    let (id, record, manifest) = loaded.map_err(|e| {
        report.error(format!("cannot find run `{id}`: {e}"));
        Outcome::Rejected
    })?;
    match &record.status {
        Status::Completed | Status::Cancelled => {
            report.report(
                format!("run: {id} has already ended; nothing to continue"),
                json!({"event": "ended", "run": id.to_string(), "status": record.status.to_string()}),
            );
            return Err(Outcome::Done);
        }
        Status::Failed { error } => {
            report.report(
                format!("run: {id} has already failed: {error}"),
                json!({"event": "ended", "run": id.to_string(), "status": "failed", "error": error}),
            );
            return Err(Outcome::Failed);
        }
        _ => {}
    }
    let restored = (|| -> Result<_, String> {
        let program =
            Program::decode(&manifest.program).map_err(|e| format!("its program is {e}"))?;
        let turns = store
            .read_turns(id, &record.current_branch, 1)
            .map_err(|p| p.error.to_string())?;
        let last = turns.last().map_or(0, |t| t.turn);
        let snapshot = store
            .nearest_snapshot(id, &record.current_branch, last)
            .map_err(|e| e.to_string())?
            .unwrap_or(duet_store::Snapshot {
                turn: 0,
                state: manifest.initial.clone(),
            });
        let mut run = Run::restore(&program, &snapshot.state)?;
        let mut replayed = Vec::new();
        for turn in turns.iter().filter(|t| t.turn > snapshot.turn) {
            let input: Term = postcard::from_bytes(&turn.payload)
                .map_err(|e| format!("turn {} does not decode: {e}", turn.turn))?;
            run.deliver(input);
            replayed.extend(run.settle().outputs);
        }
        Ok((run, last, replayed))
    })();
    let (run, last, replayed) = restored.map_err(|e| {
        report.error(format!("cannot restore {id}: {e}"));
        Outcome::Failed
    })?;
    let workspace = Workspace::new(&manifest.workspace).map_err(|e| {
        report.error(format!(
            "the run's workspace {} is gone: {e}",
            manifest.workspace
        ));
        Outcome::Failed
    })?;
    Ok(Restored {
        id,
        branch: record.current_branch,
        run,
        last,
        workspace,
        replayed,
    })
}

/// Continues run `id` from its journal, waiting up to `patience` for the store if another
/// process holds it.
pub fn resume(
    dir: &Path,
    id: &str,
    patience: std::time::Duration,
    report: &mut Reporter,
) -> Outcome {
    let Some(store) = open_waiting(dir, patience, report) else {
        return Outcome::Rejected;
    };
    let r = match restore(&store, id, report) {
        Ok(r) => r,
        Err(outcome) => return outcome,
    };
    report.report(
        format!(
            "run: {} resumed in state `{}` after turn {}",
            r.id,
            r.run.state_name(),
            r.last
        ),
        json!({
            "event": "resumed",
            "run": r.id.to_string(),
            "state": r.run.state_name(),
            "turn": r.last,
        }),
    );
    report.outputs(&r.replayed);
    let pending = r.run.unanswered();
    let place = Place {
        store: &store,
        id: r.id,
        branch: r.branch,
    };
    follow(&place, r.run, r.last, pending, None, &r.workspace, report)
}

/// Answers the question run `id` waits on with `text`, then continues it.
pub fn answer(dir: &Path, id: &str, text: &str, report: &mut Reporter) -> Outcome {
    let Some(store) = open(dir, report) else {
        return Outcome::Rejected;
    };
    let r = match restore(&store, id, report) {
        Ok(r) => r,
        Err(outcome) => return outcome,
    };
    report.outputs(&r.replayed);
    let mut pending = r.run.unanswered();
    let Some(position) = pending
        .iter()
        .position(|p| matches!(p.effect, Effect::AskUser { .. }))
    else {
        report.error(format!(
            "run {} is not waiting for an answer; `duet status {}` shows what it waits for",
            r.id, r.id
        ));
        return Outcome::Rejected;
    };
    let question = pending.remove(position);
    // The answer is journaled and delivered like any effect's result, first in line.
    pending.insert(0, question);
    report.report(
        format!(
            "run: {} answered; continuing in state `{}`",
            r.id,
            r.run.state_name()
        ),
        json!({"event": "answered", "run": r.id.to_string(), "state": r.run.state_name()}),
    );
    let place = Place {
        store: &store,
        id: r.id,
        branch: r.branch,
    };
    follow(
        &place,
        r.run,
        r.last,
        pending,
        Some(text.to_string()),
        &r.workspace,
        report,
    )
}

/// The run named `id` (e.g. `r1`) and its record, or `None` after saying on `err` why not.
pub(super) fn find_run(
    store: &Store,
    id: &str,
    err: &mut dyn Write,
) -> Option<(RunId, duet_store::Run)> {
    let found = id
        .parse::<RunId>()
        .and_then(|run| store.run(run).map(|record| (run, record)));
    match found {
        Ok(found) => Some(found),
        Err(e) => {
            let _ = writeln!(err, "error: no run `{id}`: {e}; `duet runs` lists them");
            None
        }
    }
}

pub(super) fn load_manifest(store: &Store, hash: &str) -> Result<Manifest, String> {
    let hash = hash
        .parse()
        .map_err(|e: duet_store::StoreError| e.to_string())?;
    let bytes = store
        .get_blob(&hash)
        .map_err(|e| e.to_string())?
        .ok_or("its manifest blob is missing")?;
    postcard::from_bytes(&bytes).map_err(|e| {
        format!(
            "its manifest does not decode ({e}); if an earlier version of duet started it, that version must finish it"
        )
    })
}
