//! The journal cursor of a run being followed: where its next turn goes (run, branch, turn
//! number) and the writes the engine makes there — a turn's input, a snapshot, the status.

use std::sync::Arc;

use duet_store::{NewTurn, RunId, Status, Store};

use super::clock::Clock;
use super::error::EngineError;
use crate::workflow::RunInput;

/// The end of a run's current branch, where the engine writes.
pub(crate) struct Cursor<'s> {
    store: &'s Store,
    /// The run.
    pub(crate) run: RunId,
    /// Its branch.
    pub(crate) branch: String,
    /// The last journaled turn (0 before the first).
    pub(crate) turn: u64,
    clock: Arc<dyn Clock>,
}

impl<'s> Cursor<'s> {
    /// A cursor after `turn` of `branch`.
    pub(crate) fn new(
        store: &'s Store,
        run: RunId,
        branch: String,
        turn: u64,
        clock: Arc<dyn Clock>,
    ) -> Cursor<'s> {
        Cursor {
            store,
            run,
            branch,
            turn,
            clock,
        }
    }

    fn now(&self) -> u64 {
        self.clock.now_ms().max(0) as u64
    }

    /// Appends `input` as the next turn with the digest of `state`, the state it is applied
    /// to; returns once it is durable.
    pub(crate) fn append(&mut self, input: &RunInput, state: &[u8]) -> Result<u64, EngineError> {
        let turn = NewTurn {
            at: self.now(),
            payload: input.encode(),
            state_digest: *blake3::hash(state).as_bytes(),
        };
        self.turn = self
            .store
            .append_turn(self.run, &self.branch, &turn)
            .map_err(|e| EngineError::store(self.run, e))?;
        Ok(self.turn)
    }

    /// Stores `state` as the state after the last turn.
    pub(crate) fn snapshot(&self, state: &[u8]) -> Result<(), EngineError> {
        self.store
            .put_snapshot(self.run, &self.branch, self.turn, state)
            .map_err(|e| EngineError::store(self.run, e))
    }

    /// Records the run's status.
    pub(crate) fn set_status(&self, status: Status) -> Result<(), EngineError> {
        self.store
            .set_status(self.run, status, self.now())
            .map(|_| ())
            .map_err(|e| EngineError::store(self.run, e))
    }
}
