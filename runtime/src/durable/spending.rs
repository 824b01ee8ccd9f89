//! What a run's agents have cost — the tokens and dollars of every agent call on the run's
//! current branch, by role and model, and the budget it runs under (`duet status`) — and
//! what a role was told and answered (`duet agent history`). Both are the run's own state
//! at the head of the branch, restored from the journal.

use duet_store::{RunId, Store};

use super::error::EngineError;
use super::manifest::Manifest;
use super::restore;
use crate::agents::Exchange;
use crate::workflow::agents::{Budget, Role};

/// What run `id`'s agents have cost on its current branch, and what it may spend.
pub fn spending(store: &Store, id: RunId) -> Result<Budget, EngineError> {
    Ok(restore::restore(store, id)?.run.budget())
}

/// Role `role`'s conversation at the head of run `id`'s current branch, oldest first
/// (`duet agent history`).
pub fn conversation(store: &Store, id: RunId, role: &str) -> Result<Vec<Exchange>, EngineError> {
    Ok(restore::restore(store, id)?.run.conversation(role))
}

/// The roles run `id` was started with, each with the agent playing it.
pub fn roles(store: &Store, id: RunId) -> Result<Vec<Role>, EngineError> {
    let record = store.run(id).map_err(|e| EngineError::store(id, e))?;
    Ok(Manifest::load(store, id, &record)?.0.roles)
}
