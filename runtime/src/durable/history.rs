//! A stored run read back: its record, its manifest and program, and the journaled inputs of
//! one of its branches, decoded. Restoring and replaying both start here.

use duet_lang::ir::Program;
use duet_store::{JournaledTurn, RunId, Store, StoredRun};

use super::error::EngineError;
use super::manifest::Manifest;
use super::payload;
use crate::workflow::RunInput;

/// A run's manifest and one branch's turns.
pub(crate) struct History {
    /// The branch read.
    pub(crate) branch: String,
    /// What the run needs besides its journal.
    pub(crate) manifest: Manifest,
    /// The program, decoded.
    pub(crate) program: Program,
    /// The branch's turns from the first read on, oldest first, each with its input.
    pub(crate) turns: Vec<(JournaledTurn, RunInput)>,
    /// The branch's last turn (0 before the first).
    pub(crate) head: u64,
}

impl History {
    /// Reads run `id`'s `branch` (default: its current branch), every turn. A turn that does
    /// not read back is an error naming it: nothing is skipped and nothing is repaired.
    pub(crate) fn read(
        store: &Store,
        id: RunId,
        branch: Option<&str>,
    ) -> Result<History, EngineError> {
        History::read_from(store, id, branch, |_| 1)
    }

    /// Like [`History::read`], but only the turns from `first(head)` on.
    pub(crate) fn read_from(
        store: &Store,
        id: RunId,
        branch: Option<&str>,
        first: impl FnOnce(u64) -> u64,
    ) -> Result<History, EngineError> {
        let record = store.run(id).map_err(|e| EngineError::store(id, e))?;
        let branch = branch.unwrap_or(&record.current_branch).to_string();
        let head = store
            .branch(id, &branch)
            .map_err(|e| EngineError::store(id, e))?
            .head;
        let (manifest, program) = Manifest::load(store, id, &record)?;
        let journaled = store
            .read_turns(id, &branch, first(head))
            .map_err(|partial| EngineError::store(id, *partial.error))?;
        let turns = journaled
            .into_iter()
            .map(|turn| payload::read(store, id, &branch, &turn).map(|input| (turn, input)))
            .collect::<Result<_, _>>()?;
        Ok(History {
            head,
            branch,
            manifest,
            program,
            turns,
        })
    }

    /// The branch's last turn (0 before the first).
    pub(crate) fn last_turn(&self) -> u64 {
        self.head
    }
}

/// The run named `name` (e.g. `r1`) and its record.
pub fn find_run(store: &Store, name: &str) -> Result<(RunId, StoredRun), EngineError> {
    name.parse::<RunId>()
        .and_then(|id| store.run(id).map(|record| (id, record)))
        .map_err(|source| EngineError::NoSuchRun {
            name: name.to_string(),
            source: Box::new(source),
        })
}
