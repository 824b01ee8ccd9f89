//! Letting go of data, only when asked: removing a run ([`Store::remove_run`], `duet rm`)
//! and the blobs nothing refers to any more ([`Store::remove_blobs`], which `duet gc` calls
//! with what the engine found unreferenced). Nothing else in the store ever deletes a
//! record.

use super::Store;
use super::blobs::BlobHash;
use super::error::Result;
use super::layout;
use super::runs::RunId;

/// What removing a run took away.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    /// Journal records.
    pub turns: u64,
    /// Snapshots.
    pub snapshots: u64,
    /// Branches (segments).
    pub branches: u64,
}

impl Store {
    /// Removes run `run` — its record, branches, names, turns and snapshots — in one durable
    /// batch. The blobs it referred to stay until a collection finds them unreferenced.
    pub fn remove_run(&self, run: RunId) -> Result<Removed> {
        self.run(run)?;
        let mut writer = self.write_lock();
        let ks = &self.inner.ks;
        let prefix = layout::run_key(run.0);
        let mut batch = self.inner.db.batch();
        let mut removed = Removed::default();
        let mut take = |keyspace: &fjall::Keyspace, count: Option<&mut u64>| -> Result<()> {
            let mut n = 0;
            for guard in keyspace.prefix(prefix) {
                let key = guard
                    .key()
                    .map_err(|source| self.db_error("listing a run's records", source))?;
                batch.remove(keyspace, key);
                n += 1;
            }
            if let Some(count) = count {
                *count = n;
            }
            Ok(())
        };
        take(&ks.turns, Some(&mut removed.turns))?;
        take(&ks.snapshots, Some(&mut removed.snapshots))?;
        take(&ks.branches, Some(&mut removed.branches))?;
        take(&ks.names, None)?;
        batch.remove(&ks.runs, prefix);
        writer.heads.retain(|(r, _), _| *r != run.0);
        self.commit(writer, batch)?;
        Ok(removed)
    }

    /// Every journal payload of every run, in key order, with its run.
    pub fn for_each_payload(&self, mut visit: impl FnMut(RunId, &[u8])) -> Result<()> {
        for guard in self.inner.ks.turns.iter() {
            let (key, value) = guard
                .into_inner()
                .map_err(|source| self.db_error("reading turns", source))?;
            let run = key
                .get(..8)
                .and_then(|b| b.try_into().ok())
                .map_or(0, u64::from_be_bytes);
            let record: super::records::TurnRecord = self.decode(
                super::records::TURN_MAGIC,
                super::records::TURN_VERSION,
                &value,
                || super::error::Location::Turn {
                    run: RunId(run),
                    branch: format!(
                        "#{}",
                        layout::segment_of_key(&key[..12.min(key.len())]).unwrap_or(0)
                    ),
                    turn: layout::turn_of_key(&key).unwrap_or(0),
                },
            )?;
            visit(RunId(run), &record.payload);
        }
        Ok(())
    }

    /// The hashes of every stored blob, with each blob's size in bytes.
    pub fn blobs(&self) -> Result<Vec<(BlobHash, u64)>> {
        let mut out = Vec::new();
        for guard in self.inner.ks.blobs.iter() {
            let (key, value) = guard
                .into_inner()
                .map_err(|source| self.db_error("listing blobs", source))?;
            if let Ok(hash) = <[u8; 32]>::try_from(key.as_ref()) {
                out.push((BlobHash(hash), value.len() as u64));
            }
        }
        Ok(out)
    }

    /// Removes the blobs `hashes`, in one durable batch.
    pub fn remove_blobs(&self, hashes: &[BlobHash]) -> Result<()> {
        let guard = self.write_lock();
        let mut batch = self.inner.db.batch();
        for hash in hashes {
            batch.remove(&self.inner.ks.blobs, hash.0);
        }
        self.commit(guard, batch)
    }
}
