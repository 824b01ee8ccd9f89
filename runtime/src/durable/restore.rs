//! Restoring a run to the end of its current branch: the nearest snapshot at or before the
//! branch's last turn (or the manifest's initial state), then the journaled inputs after it,
//! delivered one at a time exactly as they were live. This is the only way a stored run
//! becomes a running one.

use duet_store::{RunId, Store};

use super::error::EngineError;
use super::history::History;
use super::reload;
use crate::effects::Workspace;
use crate::workflow::Output;
use crate::workflow::host::WorkflowRun;

/// A stored run restored to the end of its current branch.
pub(crate) struct Restored {
    /// The run's manifest, record and journal.
    pub(crate) history: History,
    /// The run, ready to continue.
    pub(crate) run: WorkflowRun,
    /// Where its effects work.
    pub(crate) workspace: Workspace,
    /// The turn of the snapshot the state was restored from, if it came from one.
    pub(crate) snapshot_turn: Option<u64>,
    /// What the redelivered turns printed and logged. The process that ran them may have
    /// died before showing it, so it is shown again: output is at least once.
    pub(crate) replayed: Vec<Output>,
}

/// Restores run `id` to the end of its current branch, reading only the journal after the
/// nearest snapshot.
pub(crate) fn restore(store: &Store, id: RunId) -> Result<Restored, EngineError> {
    let branch = store
        .run(id)
        .map_err(|e| EngineError::store(id, e))?
        .current_branch;
    restore_branch(store, id, &branch)
}

/// Restores run `id` to the end of `branch`, current or not.
pub(crate) fn restore_branch(
    store: &Store,
    id: RunId,
    branch: &str,
) -> Result<Restored, EngineError> {
    let branch = branch.to_string();
    let mut snapshot = None;
    let history = History::read_from(store, id, Some(&branch), |head| {
        snapshot = Some(store.nearest_snapshot(id, &branch, head));
        snapshot
            .as_ref()
            .and_then(|found| found.as_ref().ok())
            .and_then(|found| found.as_ref())
            .map_or(1, |s| s.turn + 1)
    })?;
    let snapshot = snapshot
        .expect("read_from asks for the first turn")
        .map_err(|e| EngineError::store(id, e))?;
    let snapshot_turn = snapshot.as_ref().map(|s| s.turn);
    let (from, state) = match snapshot {
        Some(snapshot) => (snapshot.turn, snapshot.state),
        None => (0, history.manifest.initial.clone()),
    };
    let mut run = reload::restore_state(store, id, &history.program, &state, from)?;
    let mut replayed = Vec::new();
    for (turn, input) in history.turns.iter().filter(|(turn, _)| turn.turn > from) {
        match reload::reloaded(store, id, &history.program, input, turn.turn)? {
            Some(reloaded) => run = reloaded,
            None => run.deliver(input),
        }
        replayed.extend(run.settle().outputs);
    }
    // The store is never part of a run's workspace, wherever it lies.
    let workspace = Workspace::new(&history.manifest.workspace)
        .map(|workspace| workspace.with_forbidden(store.dir()))
        .map_err(|e| EngineError::Workspace {
            run: id,
            path: history.manifest.workspace.clone(),
            why: e.to_string(),
        })?;
    Ok(Restored {
        history,
        run,
        workspace,
        snapshot_turn,
        replayed,
    })
}
