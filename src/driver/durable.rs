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
use duet_runtime::sam::Term;
use duet_runtime::store::{MAIN, NewRun, NewTurn, RunId, Status, Store};
use duet_runtime::workflow::agents::Role;
use duet_runtime::workflow::entity::ExternalRequest;
use duet_runtime::workflow::host::Run;
use duet_runtime::workflow::{Ending, Output, WorkflowEntity};
use serde::{Deserialize, Serialize};

use super::script::Outcome;

/// What a run needs besides its journal, stored once as a blob named in the run record.
#[derive(Serialize, Deserialize)]
struct Manifest {
    /// The encoded program (IR).
    program: Vec<u8>,
    workflow: CompiledWorkflow,
    roles: Vec<Role>,
    capabilities: Vec<String>,
    workspace: String,
}

fn now_ms() -> u64 {
    effects::now_ms().max(0) as u64
}

fn open(dir: &Path, err: &mut dyn Write) -> Option<Store> {
    match Store::open(dir) {
        Ok(store) => Some(store),
        Err(e) => {
            let _ = writeln!(err, "error: cannot open the store {}: {e}", dir.display());
            None
        }
    }
}

/// Starts a new durable run of `workflow` in the store at `dir` and follows it.
#[allow(clippy::too_many_arguments)]
pub fn start(
    dir: &Path,
    vm: duet_runtime::vm::Vm,
    workflow: CompiledWorkflow,
    roles: Vec<Role>,
    capabilities: Capabilities,
    workspace: Workspace,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Outcome {
    let Some(store) = open(dir, err) else {
        return Outcome::Rejected;
    };
    let manifest = Manifest {
        program: vm.program().encode(),
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
            let _ = writeln!(err, "error: cannot record the run: {e}");
            return Outcome::Failed;
        }
    };
    let _ = writeln!(
        err,
        "run: {} started (workflow `{}`, store {})",
        record.id,
        workflow.name,
        dir.display()
    );
    let run = Run::start(vm, workflow, roles, capabilities);
    follow(&store, record.id, run, 0, Vec::new(), &workspace, out, err)
}

/// Continues run `id` from its journal.
pub fn resume(dir: &Path, id: &str, out: &mut dyn Write, err: &mut dyn Write) -> Outcome {
    let Some(store) = open(dir, err) else {
        return Outcome::Rejected;
    };
    let loaded = (|| -> Result<_, String> {
        let id: RunId = id
            .parse()
            .map_err(|e: duet_runtime::store::StoreError| e.to_string())?;
        let record = store.run(id).map_err(|e| e.to_string())?;
        let manifest = load_manifest(&store, &record.program_hash)?;
        Ok((id, record, manifest))
    })();
    let (id, record, manifest) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => {
            let _ = writeln!(err, "error: cannot resume `{id}`: {e}");
            return Outcome::Rejected;
        }
    };
    match &record.status {
        Status::Completed | Status::Cancelled => {
            let _ = writeln!(
                err,
                "run: {id} has already ended ({:?}); nothing to resume",
                record.status
            );
            return Outcome::Done;
        }
        Status::Failed { error } => {
            let _ = writeln!(err, "run: {id} has already failed: {error}");
            return Outcome::Failed;
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
            .ok_or("it has no snapshot to start from")?;
        let mut run = Run::restore(&program, &snapshot.state)?;
        for turn in turns.iter().filter(|t| t.turn > snapshot.turn) {
            let input: Term = postcard::from_bytes(&turn.payload)
                .map_err(|e| format!("turn {} does not decode: {e}", turn.turn))?;
            run.deliver(input);
            let _ = run.settle();
        }
        Ok((run, last))
    })();
    let (run, last) = match restored {
        Ok(restored) => restored,
        Err(e) => {
            let _ = writeln!(err, "error: cannot resume {id}: {e}");
            return Outcome::Failed;
        }
    };
    let workspace = match Workspace::new(&manifest.workspace) {
        Ok(w) => w,
        Err(e) => {
            let _ = writeln!(
                err,
                "error: the run's workspace {} is gone: {e}",
                manifest.workspace
            );
            return Outcome::Failed;
        }
    };
    let _ = writeln!(
        err,
        "run: {id} resumed in state `{}` after turn {last}",
        run.state_name()
    );
    let pending = run.unanswered();
    follow(&store, id, run, last, pending, &workspace, out, err)
}

fn load_manifest(store: &Store, hash: &str) -> Result<Manifest, String> {
    let hash = hash
        .parse()
        .map_err(|e: duet_runtime::store::StoreError| e.to_string())?;
    let bytes = store
        .get_blob(&hash)
        .map_err(|e| e.to_string())?
        .ok_or("its manifest blob is missing")?;
    postcard::from_bytes(&bytes).map_err(|e| format!("its manifest does not decode: {e}"))
}

/// Appends `input` as the next turn; returns its number once it is durable.
fn journal(store: &Store, id: RunId, input: &Term, state: &[u8]) -> Result<u64, String> {
    let payload = postcard::to_stdvec(input).map_err(|e| e.to_string())?;
    store
        .append_turn(
            id,
            MAIN,
            &NewTurn {
                at: now_ms(),
                payload,
                state_digest: *blake3::hash(state).as_bytes(),
            },
        )
        .map_err(|e| e.to_string())
}

/// Drives a run, journaling each input before delivering it and snapshotting each state.
#[allow(clippy::too_many_arguments)]
fn follow(
    store: &Store,
    id: RunId,
    mut run: Run,
    mut turn: u64,
    mut pending: Vec<ExternalRequest>,
    workspace: &Workspace,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Outcome {
    let fail = |err: &mut dyn Write, e: String| {
        let _ = writeln!(
            err,
            "error: the store failed: {e}; the run stops here and `duet resume {id}` continues it"
        );
        Outcome::Failed
    };
    loop {
        let progress = run.settle();
        for output in &progress.outputs {
            match output {
                Output::Print(text) => {
                    let _ = out.write_all(text.as_bytes());
                }
                Output::Log(text) => {
                    let _ = writeln!(err, "log: {text}");
                }
            }
        }
        let _ = out.flush();
        let state = run.snapshot();
        if let Err(e) = store.put_snapshot(id, MAIN, turn, &state) {
            return fail(err, e.to_string());
        }
        if let Some(ending) = progress.ending {
            let (status, outcome, message) = match ending {
                Ending::Completed(Term::Nil) => {
                    (Status::Completed, Outcome::Done, "completed".to_string())
                }
                Ending::Completed(result) => (
                    Status::Completed,
                    Outcome::Done,
                    format!("completed with {result}"),
                ),
                Ending::Cancelled(result) => (
                    Status::Cancelled,
                    Outcome::Done,
                    format!("cancelled ({result})"),
                ),
                Ending::Failed(error) => (
                    Status::Failed {
                        error: error.clone(),
                    },
                    Outcome::Failed,
                    format!("failed: {error}"),
                ),
            };
            if let Err(e) = store.set_status(id, status, now_ms()) {
                return fail(err, e.to_string());
            }
            let _ = writeln!(err, "run: {id} {message}");
            return outcome;
        }
        pending.extend(progress.requests);
        if pending.is_empty() {
            let reason = run.waiting_reason();
            if let Err(e) = store.set_status(
                id,
                Status::Waiting {
                    reason: reason.clone(),
                },
                now_ms(),
            ) {
                return fail(err, e.to_string());
            }
            let _ = writeln!(err, "run: {id} suspended: {reason}");
            return Outcome::Waiting;
        }
        let mut request = pending.remove(0);
        if let Effect::Sleep(ms) = request.effect {
            // Fix the deadline in the journal first, so a restart waits for the same moment.
            let at = effects::now_ms() + ms as i64;
            let input = WorkflowEntity::deadline(request.id, at);
            if let Err(e) = journal(store, id, &input, &state) {
                return fail(err, e);
            }
            run.deliver(input);
            let _ = run.settle();
            request.effect = Effect::SleepUntil(at);
        }
        let result = effects::perform_blocking(&request.effect, workspace);
        let input = WorkflowEntity::answer(request.id, result);
        match journal(store, id, &input, &state) {
            Ok(n) => turn = n,
            Err(e) => return fail(err, e),
        }
        run.deliver(input);
    }
}
