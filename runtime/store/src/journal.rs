//! The journal: one record per turn per branch, numbered from 1, each holding the turn's
//! payload (opaque bytes: the runtime decides what a turn holds — inputs, effect results,
//! outputs), the time the caller gives and a digest of the state the turn produced.
//!
//! [`Store::append_turn`] returns once the record is durable. Reading a branch walks its
//! ancestors up to each fork turn, checking every record: a damaged or missing one stops the
//! read with an error naming its run, branch and turn, and hands back every turn before it
//! ([`PartialRead`]).

use std::fmt;

use serde::Serialize;

use super::Store;
use super::error::{Damage, Location, Result, StoreError};
use super::layout;
use super::records::{self, TURN_MAGIC, TURN_VERSION, TurnRecord};
use super::runs::RunId;

/// A turn to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTurn {
    /// When the turn committed (caller's clock).
    pub at: u64,
    /// What the turn holds, encoded by the runtime.
    pub payload: Vec<u8>,
    /// A digest of the state after the turn, for replay checks.
    pub state_digest: [u8; 32],
}

/// A turn read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournaledTurn {
    /// Its number on the branch it was read through (the first turn is 1).
    pub turn: u64,
    /// When it committed (caller's clock).
    pub at: u64,
    /// What it holds.
    pub payload: Vec<u8>,
    /// The digest of the state after it.
    pub state_digest: [u8; 32],
}

impl From<TurnRecord> for JournaledTurn {
    fn from(record: TurnRecord) -> JournaledTurn {
        JournaledTurn {
            turn: record.turn,
            at: record.at,
            payload: record.payload,
            state_digest: record.state_digest,
        }
    }
}

/// A read of a branch's turns that stopped early: the turns read before the problem, and the
/// problem (for damage, a [`StoreError::Damaged`] naming the turn).
#[derive(Debug)]
pub struct PartialRead {
    /// Every turn before the problem, in order.
    pub turns: Vec<JournaledTurn>,
    /// What stopped the read (boxed to keep results small).
    pub error: Box<StoreError>,
}

impl fmt::Display for PartialRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.error)
    }
}

impl std::error::Error for PartialRead {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.error)
    }
}

impl From<PartialRead> for StoreError {
    fn from(partial: PartialRead) -> StoreError {
        *partial.error
    }
}

/// [`TurnRecord`] by reference, to seal a payload without copying it.
#[derive(Serialize)]
struct TurnRecordRef<'a> {
    turn: u64,
    at: u64,
    state_digest: &'a [u8; 32],
    #[serde(serialize_with = "serialize_bytes")]
    payload: &'a [u8],
}

fn serialize_bytes<S: serde::Serializer>(bytes: &&[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bytes(bytes)
}

impl Store {
    /// Appends a turn to `branch` of `run` and returns its number (the branch's head + 1).
    /// Returns only once the turn is durable; concurrent appenders share `fdatasync`s.
    /// The store does not look at the run's status: whether a finished run may take more
    /// turns is the runtime's decision.
    pub fn append_turn(&self, run: RunId, branch: &str, turn: &NewTurn) -> Result<u64> {
        self.inner.commit.check()?;
        let mut guard = self.write_lock();
        let segment = self.segment_of(run, branch)?;
        let head = match guard.heads.get(&(run.0, segment)) {
            Some(head) => *head,
            None => {
                let record = self.segment_record(run, segment)?;
                self.cached_head(&mut guard, run, segment, record.fork_turn)?
            }
        };
        let number = head + 1;
        let sealed = records::seal(
            TURN_MAGIC,
            TURN_VERSION,
            &TurnRecordRef {
                turn: number,
                at: turn.at,
                state_digest: &turn.state_digest,
                payload: &turn.payload,
            },
        );
        let mut batch = self.inner.db.batch();
        batch.insert(
            &self.inner.ks.turns,
            layout::turn_key(run.0, segment, number),
            sealed,
        );
        guard.heads.insert((run.0, segment), number);
        self.commit(guard, batch)?;
        Ok(number)
    }

    /// The turns of `branch` from turn `from` on (1 for all), oldest first, through the
    /// branch's ancestors. On damage, the error names the turn and carries every turn before
    /// it.
    pub fn read_turns(
        &self,
        run: RunId,
        branch: &str,
        from: u64,
    ) -> std::result::Result<Vec<JournaledTurn>, PartialRead> {
        let mut turns = Vec::new();
        match self.read_turns_into(run, branch, from, &mut turns) {
            Ok(()) => Ok(turns),
            Err(error) => Err(PartialRead {
                turns,
                error: Box::new(error),
            }),
        }
    }

    fn read_turns_into(
        &self,
        run: RunId,
        branch: &str,
        from: u64,
        out: &mut Vec<JournaledTurn>,
    ) -> Result<()> {
        let pieces = self.pieces(run, branch)?;
        let mut expected = from.max(1);
        for piece in pieces {
            let low = piece.from.max(expected);
            let high = piece.to.unwrap_or(u64::MAX);
            if low > high {
                continue;
            }
            let range = layout::turn_key(run.0, piece.segment, low)
                ..=layout::turn_key(run.0, piece.segment, high);
            for guard in self.inner.ks.turns.range(range) {
                let (key, value) = guard
                    .into_inner()
                    .map_err(|source| self.db_error("reading turns", source))?;
                let number = layout::turn_of_key(&key).unwrap_or(0);
                if number != expected {
                    return Err(self.missing_turn(run, branch, expected, Some(number)));
                }
                out.push(self.decode_turn(run, branch, number, &value)?);
                expected += 1;
            }
            if let Some(to) = piece.to
                && expected <= to
            {
                return Err(self.missing_turn(run, branch, expected, None));
            }
        }
        Ok(())
    }

    /// One turn of `branch`.
    pub fn turn(&self, run: RunId, branch: &str, number: u64) -> Result<JournaledTurn> {
        let pieces = self.pieces(run, branch)?;
        let own = pieces.last().copied();
        let holder = pieces
            .iter()
            .rev()
            .find(|p| number >= p.from && p.to.is_none_or(|to| number <= to));
        if let Some(piece) = holder {
            let key = layout::turn_key(run.0, piece.segment, number);
            if let Some(value) = self.get(&self.inner.ks.turns, &key, "reading a turn")? {
                return self.decode_turn(run, branch, number, &value);
            }
            // Inside an ancestor's range, the turn must exist.
            if piece.to.is_some() {
                return Err(self.missing_turn(run, branch, number, None));
            }
        }
        let head = match own {
            Some(piece) => self.segment_head(run, piece.segment, piece.from - 1)?,
            None => 0,
        };
        Err(StoreError::NoSuchTurn {
            run,
            branch: branch.to_string(),
            turn: number,
            head,
        })
    }

    fn decode_turn(
        &self,
        run: RunId,
        branch: &str,
        number: u64,
        bytes: &[u8],
    ) -> Result<JournaledTurn> {
        let location = || Location::Turn {
            run,
            branch: branch.to_string(),
            turn: number,
        };
        let record: TurnRecord = self.decode(TURN_MAGIC, TURN_VERSION, bytes, location)?;
        if record.turn != number {
            return Err(self.damaged(
                location(),
                Damage::Inconsistent(format!(
                    "the record stored as turn {number} says it is turn {}",
                    record.turn
                )),
            ));
        }
        Ok(record.into())
    }

    fn missing_turn(&self, run: RunId, branch: &str, turn: u64, next: Option<u64>) -> StoreError {
        let why = match next {
            Some(next) => format!("it is missing from the journal (the next turn found is {next})"),
            None => "it is missing from the journal".to_string(),
        };
        self.damaged(
            Location::Turn {
                run,
                branch: branch.to_string(),
                turn,
            },
            Damage::Inconsistent(why),
        )
    }
}
