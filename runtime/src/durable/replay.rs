//! Replay: re-execute a run's branch from its initial state and its journal, and check that
//! every turn reproduces what the live run recorded. At each turn N:
//! - the digest journaled with turn N is that of the state the replay reached before
//!   delivering it (the journal records the state an input was applied to, since the input
//!   is durable before the run sees it);
//! - where a snapshot was stored after turn N, the replayed state is byte for byte the same.
//!
//! No effect is performed: every result comes from the journal, so replay is safe on any
//! run, ended or not, and changes nothing in the store.

use std::fmt;

use duet_store::{RunId, Store};

use super::error::EngineError;
use super::history::History;
use super::reload;
use crate::workflow::host::WorkflowRun;

/// What a replay checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The branch replayed.
    pub branch: String,
    /// Turns replayed.
    pub turns: u64,
    /// Stored snapshots found identical.
    pub snapshots: u64,
}

/// Where a replay stopped reproducing the live run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Divergence {
    /// The state turn `turn`'s input was applied to differs from the one journaled.
    Digest {
        /// The turn.
        turn: u64,
    },
    /// The state after turn `turn` differs from the snapshot stored then.
    Snapshot {
        /// The turn.
        turn: u64,
    },
}

/// Why a replay did not verify a run.
#[derive(Debug)]
pub enum ReplayError {
    /// The run does not reproduce.
    Diverged {
        /// The run.
        run: RunId,
        /// The branch.
        branch: String,
        /// Where.
        divergence: Divergence,
    },
    /// The run could not be read.
    Engine(EngineError),
}

impl From<EngineError> for ReplayError {
    fn from(e: EngineError) -> ReplayError {
        ReplayError::Engine(e)
    }
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::Diverged {
                run,
                branch,
                divergence,
            } => {
                match divergence {
                    Divergence::Digest { turn } => write!(
                        f,
                        "run {run} branch {branch} diverges at turn {turn}: the state it was applied \
                         to differs from the one journaled"
                    )?,
                    Divergence::Snapshot { turn } => write!(
                        f,
                        "run {run} branch {branch} diverges after turn {turn}: the replayed state \
                         differs from the snapshot stored then"
                    )?,
                }
                write!(
                    f,
                    "; the program or the runtime is not deterministic (report it with `duet history {run}`)"
                )
            }
            ReplayError::Engine(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ReplayError {}

/// Replays `branch` (default: the current one) of run `id`, stopping at the first turn that
/// does not reproduce.
pub fn replay(store: &Store, id: RunId, branch: Option<&str>) -> Result<Verified, ReplayError> {
    let history = History::read(store, id, branch)?;
    let diverged = |divergence| ReplayError::Diverged {
        run: id,
        branch: history.branch.clone(),
        divergence,
    };
    let mut run = reload::restore_state(store, id, &history.program, &history.manifest.initial, 0)?;
    let mut snapshots = 0;
    let mut check_snapshot = |run: &mut WorkflowRun, turn: u64| -> Result<(), ReplayError> {
        run.settle();
        let stored = store
            .nearest_snapshot(id, &history.branch, turn)
            .map_err(|e| EngineError::store(id, e))?;
        match stored {
            Some(stored) if stored.turn == turn => {
                if stored.state != run.snapshot() {
                    return Err(diverged(Divergence::Snapshot { turn }));
                }
                snapshots += 1;
                Ok(())
            }
            _ => Ok(()),
        }
    };
    check_snapshot(&mut run, 0)?;
    for (turn, input) in &history.turns {
        if *blake3::hash(&run.snapshot()).as_bytes() != turn.state_digest {
            return Err(diverged(Divergence::Digest { turn: turn.turn }));
        }
        match reload::reloaded(store, id, &history.program, input, turn.turn)? {
            Some(reloaded) => run = reloaded,
            None => run.deliver(input),
        }
        check_snapshot(&mut run, turn.turn)?;
    }
    Ok(Verified {
        branch: history.branch.clone(),
        turns: history.turns.len() as u64,
        snapshots,
    })
}
