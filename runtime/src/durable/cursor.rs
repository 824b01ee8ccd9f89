//! The journal cursor of a run being followed: where its next turn goes (run, branch, turn
//! number) and the writes the engine makes there — a turn's input, a snapshot, the status.
//!
//! Snapshots are taken by policy, not after every turn: when [`SNAPSHOT_EVERY_TURNS`] turns
//! or [`SNAPSHOT_EVERY_BYTES`] bytes of journal have accumulated since the last one, and
//! whenever the run suspends or ends. The state at any turn is still the nearest snapshot
//! plus the journaled inputs after it, so the store grows with what changed, not with
//! turns × state, and a restore redelivers at most a bounded number of turns.

use std::sync::Arc;

use duet_store::{NewTurn, RunId, Status, Store};

use super::clock::Clock;
use super::error::EngineError;
use super::payload;
use crate::workflow::RunInput;

/// A snapshot is due once this many turns were journaled since the last one.
pub const SNAPSHOT_EVERY_TURNS: u64 = 64;
/// … or once this many bytes of journal payload were written since the last one.
pub const SNAPSHOT_EVERY_BYTES: u64 = 1 << 20;

/// The end of a run's current branch, where the engine writes.
pub(crate) struct Cursor<'s> {
    store: &'s Store,
    /// The run.
    pub(crate) run: RunId,
    /// Its branch.
    pub(crate) branch: String,
    /// The last journaled turn (0 before the first).
    pub(crate) turn: u64,
    /// The turn of the newest snapshot on the branch, if any.
    snapshot_turn: Option<u64>,
    /// Journal payload bytes written since that snapshot.
    bytes_since_snapshot: u64,
    clock: Arc<dyn Clock>,
}

impl<'s> Cursor<'s> {
    /// A cursor after `turn` of `branch`, whose newest snapshot is at `snapshot_turn`.
    pub(crate) fn new(
        store: &'s Store,
        run: RunId,
        branch: String,
        turn: u64,
        snapshot_turn: Option<u64>,
        clock: Arc<dyn Clock>,
    ) -> Cursor<'s> {
        Cursor {
            store,
            run,
            branch,
            turn,
            snapshot_turn,
            bytes_since_snapshot: 0,
            clock,
        }
    }

    /// The store's directory.
    pub(crate) fn store_dir(&self) -> &std::path::Path {
        self.store.dir()
    }

    fn now(&self) -> u64 {
        self.clock.now_ms().max(0) as u64
    }

    /// Appends `input` as the next turn with the digest of `state`, the state it is applied
    /// to; returns once it is durable.
    pub(crate) fn append(&mut self, input: &RunInput, state: &[u8]) -> Result<u64, EngineError> {
        let (turn, bytes) = append(self.store, self.run, &self.branch, self.now(), input, state)?;
        self.bytes_since_snapshot += bytes;
        self.turn = turn;
        Ok(turn)
    }

    /// Whether the policy wants a snapshot of the state after the last turn.
    pub(crate) fn snapshot_due(&self) -> bool {
        match self.snapshot_turn {
            None => true,
            Some(at) if at == self.turn => false,
            Some(at) => {
                self.turn - at >= SNAPSHOT_EVERY_TURNS
                    || self.bytes_since_snapshot >= SNAPSHOT_EVERY_BYTES
            }
        }
    }

    /// Stores `state` as the state after the last turn, unless one is stored already.
    pub(crate) fn snapshot(&mut self, state: &[u8]) -> Result<(), EngineError> {
        if self.snapshot_turn == Some(self.turn) {
            return Ok(());
        }
        self.store
            .put_snapshot(self.run, &self.branch, self.turn, state)
            .map_err(|e| EngineError::store(self.run, e))?;
        self.snapshot_turn = Some(self.turn);
        self.bytes_since_snapshot = 0;
        Ok(())
    }

    /// Records the run's status.
    pub(crate) fn set_status(&self, status: Status) -> Result<(), EngineError> {
        self.store
            .set_status(self.run, status, self.now())
            .map(|_| ())
            .map_err(|e| EngineError::store(self.run, e))
    }
}

/// Appends `input` as the next turn of `run`'s `branch`, journaled `at`, with the digest of
/// `state`, the state it is applied to; returns the turn and the payload's size once it is
/// durable.
pub(crate) fn append(
    store: &Store,
    run: RunId,
    branch: &str,
    at: u64,
    input: &RunInput,
    state: &[u8],
) -> Result<(u64, u64), EngineError> {
    let payload = payload::write(store, run, input)?;
    let bytes = payload.len() as u64;
    let turn = NewTurn {
        at,
        payload,
        state_digest: *blake3::hash(state).as_bytes(),
    };
    let turn = store
        .append_turn(run, branch, &turn)
        .map_err(|e| EngineError::store(run, e))?;
    Ok((turn, bytes))
}
