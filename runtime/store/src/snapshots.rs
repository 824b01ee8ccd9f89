//! Snapshots: a run's state after a turn (opaque bytes from the runtime, e.g. a VM snapshot),
//! so a branch can be resumed from the nearest snapshot plus the turns after it instead of
//! from the start. A snapshot is stored with the segment that owns its turn, so every branch
//! sharing that turn finds it.

use super::Store;
use super::branches::Piece;
use super::error::{Location, Result, StoreError};
use super::layout;
use super::records::{self, SNAPSHOT_MAGIC, SNAPSHOT_VERSION, SnapshotRecord};
use super::runs::RunId;

/// A snapshot read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The turn after which it was taken (0: before the first turn).
    pub turn: u64,
    /// The state, as the runtime encoded it.
    pub state: Vec<u8>,
}

/// The piece of a branch that owns `turn`, with its bounds.
pub(crate) fn owning_piece(pieces: &[Piece], turn: u64) -> Option<Piece> {
    pieces.iter().enumerate().rev().find_map(|(index, piece)| {
        let low = if index == 0 { 0 } else { piece.from };
        (turn >= low && piece.to.is_none_or(|to| turn <= to)).then_some(*piece)
    })
}

impl Store {
    /// Stores the state after `turn` of `branch` (0 ≤ `turn` ≤ its head), replacing any
    /// snapshot already there. Durable when it returns.
    pub fn put_snapshot(&self, run: RunId, branch: &str, turn: u64, state: &[u8]) -> Result<()> {
        self.inner.commit.check()?;
        let guard = self.write_lock();
        let pieces = self.pieces(run, branch)?;
        let own = *pieces
            .last()
            .expect("a branch has at least its own segment");
        let head = self.segment_head(run, own.segment, own.from - 1)?;
        if turn > head {
            return Err(StoreError::NoSuchTurn {
                run,
                branch: branch.to_string(),
                turn,
                head,
            });
        }
        let piece = owning_piece(&pieces, turn).expect("every turn up to the head has an owner");
        let record = SnapshotRecord {
            turn,
            state: state.to_vec(),
        };
        let mut batch = self.inner.db.batch();
        batch.insert(
            &self.inner.ks.snapshots,
            layout::turn_key(run.0, piece.segment, turn),
            records::seal(SNAPSHOT_MAGIC, SNAPSHOT_VERSION, &record),
        );
        self.commit(guard, batch)
    }

    /// The snapshot of `branch` taken at the latest turn ≤ `turn`, if any. A damaged snapshot
    /// is an error naming its turn (ask again with an earlier turn to get past it).
    pub fn nearest_snapshot(
        &self,
        run: RunId,
        branch: &str,
        turn: u64,
    ) -> Result<Option<Snapshot>> {
        let pieces = self.pieces(run, branch)?;
        for (index, piece) in pieces.iter().enumerate().rev() {
            let low = if index == 0 { 0 } else { piece.from };
            let high = piece.to.unwrap_or(u64::MAX).min(turn);
            if low > high {
                continue;
            }
            let range = layout::turn_key(run.0, piece.segment, low)
                ..=layout::turn_key(run.0, piece.segment, high);
            if let Some(guard) = self.inner.ks.snapshots.range(range).next_back() {
                let (key, value) = guard
                    .into_inner()
                    .map_err(|source| self.db_error("reading a snapshot", source))?;
                let at = layout::turn_of_key(&key).unwrap_or(0);
                let location = || Location::Snapshot {
                    run,
                    branch: branch.to_string(),
                    turn: at,
                };
                let record: SnapshotRecord =
                    self.decode(SNAPSHOT_MAGIC, SNAPSHOT_VERSION, &value, location)?;
                if record.turn != at {
                    return Err(self.damaged(
                        location(),
                        super::Damage::Inconsistent(format!(
                            "the snapshot stored at turn {at} says it is of turn {}",
                            record.turn
                        )),
                    ));
                }
                return Ok(Some(Snapshot {
                    turn: at,
                    state: record.state,
                }));
            }
        }
        Ok(None)
    }
}
