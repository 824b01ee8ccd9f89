//! Removing runs and collecting what nothing refers to: `duet rm RUN` and `duet gc`. Only
//! these delete anything from a store; rewinding and forking never do.

use std::collections::BTreeSet;

use duet_store::{BlobHash, Removed, RunId, Status, Store};

use super::error::EngineError;
use super::payload;

/// What a collection freed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Collected {
    /// Blobs removed.
    pub blobs: u64,
    /// Their stored size in bytes.
    pub bytes: u64,
    /// Blobs kept because a run refers to them.
    pub kept: u64,
}

/// Removes run `id` and everything of it but its blobs. A run recorded as running is refused
/// unless `force`: a process may be following it.
pub fn remove(store: &Store, id: RunId, force: bool) -> Result<Removed, EngineError> {
    let record = store.run(id).map_err(|e| EngineError::store(id, e))?;
    if record.status == Status::Running && !force {
        return Err(EngineError::RunIsRunning { run: id });
    }
    let removed = store
        .remove_run(id)
        .map_err(|e| EngineError::store(id, e))?;
    // The copies of its attempts a killed process may have left.
    super::attempts::remove_copies(store.dir(), id);
    Ok(removed)
}

/// Removes every blob no run refers to (as its manifest, or from a turn's payload: bulky
/// text, a reloaded state and its program).
pub fn collect(store: &Store) -> Result<Collected, EngineError> {
    let unscoped = |source| EngineError::Store {
        run: None,
        source: Box::new(source),
    };
    let mut referenced: BTreeSet<BlobHash> = BTreeSet::new();
    for run in store.runs().map_err(unscoped)? {
        if let Ok(hash) = run.program_hash.parse() {
            referenced.insert(hash);
        }
    }
    store
        .for_each_payload(|_, bytes| referenced.extend(payload::blobs_of(bytes)))
        .map_err(unscoped)?;
    let mut collected = Collected::default();
    let mut unreferenced = Vec::new();
    for (hash, size) in store.blobs().map_err(unscoped)? {
        if referenced.contains(&hash) {
            collected.kept += 1;
        } else {
            collected.blobs += 1;
            collected.bytes += size;
            unreferenced.push(hash);
        }
    }
    store.remove_blobs(&unreferenced).map_err(unscoped)?;
    Ok(collected)
}
