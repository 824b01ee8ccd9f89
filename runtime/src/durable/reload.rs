//! Edit and run again (`duet resume --reload`, `duet fork --reload`; LANGUAGE.md §8): a
//! run continues in new code from the head of its current branch.
//!
//! The change is a journaled turn, [`RunInput::Reload`], naming two blobs: the new program
//! and the run's whole state in it before it settles — the new workflow with what the old
//! one carried over (`crate::workflow::entity::Carried`: variables by name, the state to
//! re-enter, conversations, capabilities). From that turn on the branch runs the new
//! program: a state names the program it runs when it is not the run's first
//! ([`WorkflowRun::program_of`]), so a restore from any later snapshot, a redelivery and
//! `duet replay` all use the right one. Replay does not recompile anything: it takes the
//! journaled state, so a file edited again later changes nothing of what was recorded.
//!
//! Everything is checked before anything is written: a state or variable the new code
//! no longer has is an error, and the branch is left as it was.

use duet_lang::compile::CompiledWorkflow;
use duet_lang::ir::Program;
use duet_store::{RunId, Status, Store};
use duet_vm::Vm;

use super::clock::Clock;
use super::cursor::Cursor;
use super::error::EngineError;
use super::manifest::Manifest;
use super::restore;
use crate::workflow::RunInput;
use crate::workflow::agents::Role;
use crate::workflow::host::WorkflowRun;

/// New code for a run: the workflow's file compiled as it is now.
pub struct NewCode {
    /// A VM holding the new program, its top-level forms run.
    pub vm: Vm,
    /// The workflow, compiled.
    pub workflow: CompiledWorkflow,
    /// Its roles and the agents that play them.
    pub roles: Vec<Role>,
}

/// Where a reload left a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reloaded {
    /// The branch.
    pub branch: String,
    /// The turn that records the new code.
    pub turn: u64,
    /// The state the run re-enters.
    pub state: String,
}

/// Continues run `id` in `code` from the head of its current branch, as a journaled turn;
/// `duet resume` (or following it) then runs it. Nothing is written when the run's state
/// cannot be carried into the new code.
pub fn reload(
    store: &Store,
    id: RunId,
    code: NewCode,
    clock: std::sync::Arc<dyn Clock>,
) -> Result<Reloaded, EngineError> {
    let restored = restore::restore(store, id)?;
    let head = restored.history.last_turn();
    let refused = |why: String| EngineError::CannotReload {
        run: id,
        turn: head,
        why,
    };
    let program_bytes = code.vm.program().encode();
    let program = store
        .put_blob(&program_bytes)
        .map_err(|e| EngineError::store(id, e))?
        .to_string();
    let entered = restored.run.state_name();
    let reloaded = restored
        .run
        .reload(code.vm, code.workflow, code.roles, program.clone())
        .map_err(refused)?;
    let new_state = store
        .put_blob(&reloaded.snapshot())
        .map_err(|e| EngineError::store(id, e))?
        .to_string();
    let mut cursor = Cursor::new(
        store,
        id,
        restored.history.branch.clone(),
        head,
        restored.snapshot_turn,
        clock.clone(),
    );
    let input = RunInput::Reload {
        state: new_state,
        program,
        entered: entered.clone(),
    };
    let turn = cursor.append(&input, &restored.run.snapshot())?;
    let reason = format!("continues in new code in state `{entered}`");
    store
        .set_status(id, Status::Waiting { reason }, clock.now_ms().max(0) as u64)
        .map_err(|e| EngineError::store(id, e))?;
    Ok(Reloaded {
        branch: restored.history.branch,
        turn,
        state: entered,
    })
}

/// The file run `id`'s workflow came from (if it came from one) and the workflow's name:
/// what `--reload` compiles again.
pub fn source_of(
    store: &Store,
    id: RunId,
) -> Result<(Option<std::path::PathBuf>, String), EngineError> {
    let record = store.run(id).map_err(|e| EngineError::store(id, e))?;
    let (manifest, _) = Manifest::load(store, id, &record)?;
    Ok((
        manifest.source.map(std::path::PathBuf::from),
        manifest.workflow.name,
    ))
}

/// The run in the state `bytes` of run `id`, with the program it runs: the run's first
/// (`first`), or the one a reload stored.
pub(crate) fn restore_state(
    store: &Store,
    id: RunId,
    first: &Program,
    bytes: &[u8],
    turn: u64,
) -> Result<WorkflowRun, EngineError> {
    let failed = |why: String| EngineError::Restore { run: id, turn, why };
    let program = match WorkflowRun::program_of(bytes).map_err(failed)? {
        None => first.clone(),
        Some(name) => self::program(store, id, &name).map_err(failed)?,
    };
    WorkflowRun::restore(&program, bytes).map_err(failed)
}

/// The run after `input`, when it is a reload: the state it names (which names its
/// program; run `id` started with `first`).
pub(crate) fn reloaded(
    store: &Store,
    id: RunId,
    first: &Program,
    input: &RunInput,
    turn: u64,
) -> Result<Option<WorkflowRun>, EngineError> {
    let RunInput::Reload { state, .. } = input else {
        return Ok(None);
    };
    let bytes =
        blob(store, id, state).map_err(|why| EngineError::Restore { run: id, turn, why })?;
    restore_state(store, id, first, &bytes, turn).map(Some)
}

/// The program in blob `name`.
fn program(store: &Store, id: RunId, name: &str) -> Result<Program, String> {
    let bytes = blob(store, id, name)?;
    Program::decode(&bytes).map_err(|e| format!("the program of a reload (blob {name}) is {e}"))
}

/// The bytes of blob `name`, or why they cannot be read.
fn blob(store: &Store, id: RunId, name: &str) -> Result<Vec<u8>, String> {
    let hash = name
        .parse()
        .map_err(|e: duet_store::StoreError| e.to_string())?;
    store
        .get_blob(&hash)
        .map_err(|e| EngineError::store(id, e).to_string())?
        .ok_or_else(|| {
            format!(
                "blob {name} of a reload is missing from the store; `duet store check` reports what else is damaged"
            )
        })
}
