//! What a run's agents have cost: the tokens and dollars of every agent call on the run's
//! current branch, by role and model, and the budget it runs under (`duet status`). The
//! agent service counts them from the journaled replies, so this is the run's own state
//! at the head of the branch.

use duet_store::{RunId, Store};

use super::error::EngineError;
use super::restore;
use crate::workflow::agents::Budget;

/// What run `id`'s agents have cost on its current branch, and what it may spend.
pub fn spending(store: &Store, id: RunId) -> Result<Budget, EngineError> {
    Ok(restore::restore(store, id)?.run.budget())
}
