//! Raw access to stored records, bypassing every check: for repair tools, and for tests that
//! must damage a record on purpose (fjall checksums its own files, so damage that the store
//! itself has to catch has to come in through fjall's API).

use super::Store;
use super::error::{Result, StoreError};
use super::layout;
use super::runs::RunId;
use super::snapshots::owning_piece;

/// Which kind of per-turn record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawKind {
    /// A journal record.
    Turn,
    /// A snapshot.
    Snapshot,
}

impl Store {
    /// The stored bytes (an envelope) of turn or snapshot `turn` as seen from `branch`, if
    /// present.
    pub fn raw_record(
        &self,
        kind: RawKind,
        run: RunId,
        branch: &str,
        turn: u64,
    ) -> Result<Option<Vec<u8>>> {
        let key = self.raw_key(run, branch, turn)?;
        Ok(self
            .get(self.raw_keyspace(kind), &key, "reading a raw record")?
            .map(|bytes| bytes.to_vec()))
    }

    /// Replaces the stored bytes of turn or snapshot `turn` as seen from `branch` with
    /// `bytes`, unchecked. Durable when it returns.
    pub fn put_raw_record(
        &self,
        kind: RawKind,
        run: RunId,
        branch: &str,
        turn: u64,
        bytes: &[u8],
    ) -> Result<()> {
        let key = self.raw_key(run, branch, turn)?;
        let guard = self.write_lock();
        let mut batch = self.inner.db.batch();
        batch.insert(self.raw_keyspace(kind), key, bytes);
        self.commit(guard, batch)
    }

    fn raw_keyspace(&self, kind: RawKind) -> &fjall::Keyspace {
        match kind {
            RawKind::Turn => &self.inner.ks.turns,
            RawKind::Snapshot => &self.inner.ks.snapshots,
        }
    }

    fn raw_key(&self, run: RunId, branch: &str, turn: u64) -> Result<[u8; 20]> {
        let pieces = self.pieces(run, branch)?;
        let piece = owning_piece(&pieces, turn).ok_or(StoreError::NoSuchTurn {
            run,
            branch: branch.to_string(),
            turn,
            head: 0,
        })?;
        Ok(layout::turn_key(run.0, piece.segment, turn))
    }
}
