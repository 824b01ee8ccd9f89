//! Time travel over a run's journal: `back` moves the current branch's head back, `fork`
//! starts a branch at any turn. Neither deletes a turn nor performs anything; both leave the
//! run waiting, so following it again continues from the turn chosen, performing afresh
//! every effect after it, while the turns left behind stay readable on their own branch.

use duet_store::{RunId, Status, Store};

use super::clock::Clock;
use super::error::EngineError;

/// Where `back` moved a branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// The branch moved.
    pub branch: String,
    /// The turn it ends at now.
    pub turn: u64,
    /// The branch now holding the abandoned turns; `None` when nothing moved.
    pub abandoned: Option<String>,
}

/// The branch `fork` made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forked {
    /// The branch it came from.
    pub from: String,
    /// The new branch, now the run's current one.
    pub name: String,
    /// The turn it starts after.
    pub turn: u64,
}

fn now(clock: &dyn Clock) -> u64 {
    clock.now_ms().max(0) as u64
}

/// Moves the head of run `id`'s current branch back `count` turns; the abandoned turns stay
/// on a new branch `BRANCH~N`.
pub fn back(store: &Store, id: RunId, count: u64, clock: &dyn Clock) -> Result<Moved, EngineError> {
    let record = store.run(id).map_err(|e| EngineError::store(id, e))?;
    let branch = record.current_branch;
    let outcome = store
        .back(id, &branch, count, now(clock))
        .map_err(|e| EngineError::store(id, e))?;
    let turn = outcome.branch.head;
    if outcome.abandoned.is_some() {
        rewound(store, id, turn, clock)?;
    }
    Ok(Moved {
        branch,
        turn,
        abandoned: outcome.abandoned,
    })
}

/// Forks a new branch of run `id` from its current branch at `turn`, named `name` (default
/// `fork-N`, the first free N), and makes it the run's current branch. The branch it came
/// from is untouched.
pub fn fork(
    store: &Store,
    id: RunId,
    turn: u64,
    name: Option<&str>,
    clock: &dyn Clock,
) -> Result<Forked, EngineError> {
    let record = store.run(id).map_err(|e| EngineError::store(id, e))?;
    let from = record.current_branch;
    let name = match name {
        Some(name) => name.to_string(),
        None => free_fork_name(store, id)?,
    };
    store
        .fork(id, &from, turn, &name, now(clock))
        .map_err(|e| EngineError::store(id, e))?;
    store
        .set_current_branch(id, &name, now(clock))
        .map_err(|e| EngineError::store(id, e))?;
    rewound(store, id, turn, clock)?;
    Ok(Forked { from, name, turn })
}

/// The first `fork-N` that names no branch of `run` yet.
fn free_fork_name(store: &Store, run: RunId) -> Result<String, EngineError> {
    let taken: Vec<String> = store
        .branches(run)
        .map_err(|e| EngineError::store(run, e))?
        .into_iter()
        .map(|branch| branch.name)
        .collect();
    Ok((1..)
        .map(|n| format!("fork-{n}"))
        .find(|name| !taken.contains(name))
        .expect("some fork-N is free"))
}

/// Marks the run as waiting to be continued from `turn`, whatever state it had ended in.
fn rewound(store: &Store, run: RunId, turn: u64, clock: &dyn Clock) -> Result<(), EngineError> {
    let reason = format!("resumption from turn {turn} (`duet resume {run}`)");
    store
        .set_status(run, Status::Waiting { reason }, now(clock))
        .map(|_| ())
        .map_err(|e| EngineError::store(run, e))
}
