//! Where everything lives: the store directory's files, the fjall keyspaces and how their
//! keys are encoded. Numbers in keys are big-endian so that fjall's byte order is numeric
//! order, and every key of a run starts with the run's number so a run is one key range.
//!
//! ```text
//! DIR/lock                 the writer's pid, flock'ed while a Store is open
//! DIR/db/                  the fjall database:
//!   meta       "store"                          → StoreMeta  (format version, run counter)
//!   runs       run u64                          → RunRecord
//!   branches   run u64 | segment u32            → BranchRecord (name, parent segment, fork turn)
//!   names      run u64 | name (UTF-8)           → NameRecord (the segment the name points at)
//!   turns      run u64 | segment u32 | turn u64 → TurnRecord
//!   snapshots  run u64 | segment u32 | turn u64 → SnapshotRecord
//!   blobs      blake3 hash (32 bytes)           → BlobRecord
//! ```
//!
//! A *segment* is the physical storage of one branch's own tail: the turns after its fork
//! turn. Names point at segments; `back` re-points a name at a fresh segment and gives the
//! old segment (with the abandoned turns) a new name, so no turn is ever moved or copied.

/// The fjall database's directory inside the store's directory.
pub const DB_DIR: &str = "db";

/// Keyspace of the store's own record.
pub const META: &str = "meta";
/// Keyspace of run records.
pub const RUNS: &str = "runs";
/// Keyspace of branch (segment) records.
pub const BRANCHES: &str = "branches";
/// Keyspace of the name → segment index.
pub const NAMES: &str = "names";
/// Keyspace of journal records.
pub const TURNS: &str = "turns";
/// Keyspace of snapshots.
pub const SNAPSHOTS: &str = "snapshots";
/// Keyspace of content-addressed blobs.
pub const BLOBS: &str = "blobs";

/// The key of the store's own record in [`META`].
pub const META_KEY: &[u8] = b"store";

/// Key of a run record; also the prefix of all of a run's keys elsewhere.
pub fn run_key(run: u64) -> [u8; 8] {
    run.to_be_bytes()
}

/// Key of a segment record; also the prefix of the segment's turns and snapshots.
pub fn segment_key(run: u64, segment: u32) -> [u8; 12] {
    let mut key = [0u8; 12];
    key[..8].copy_from_slice(&run.to_be_bytes());
    key[8..].copy_from_slice(&segment.to_be_bytes());
    key
}

/// Key of a name in [`NAMES`].
pub fn name_key(run: u64, name: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(8 + name.len());
    key.extend_from_slice(&run.to_be_bytes());
    key.extend_from_slice(name.as_bytes());
    key
}

/// Key of a turn (in [`TURNS`]) or a snapshot (in [`SNAPSHOTS`]).
pub fn turn_key(run: u64, segment: u32, turn: u64) -> [u8; 20] {
    let mut key = [0u8; 20];
    key[..12].copy_from_slice(&segment_key(run, segment));
    key[12..].copy_from_slice(&turn.to_be_bytes());
    key
}

/// The turn number at the end of a [`turn_key`], if the key has the right length.
pub fn turn_of_key(key: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = key.get(12..20)?.try_into().ok()?;
    (key.len() == 20).then(|| u64::from_be_bytes(bytes))
}

/// The segment number at the end of a [`segment_key`].
pub fn segment_of_key(key: &[u8]) -> Option<u32> {
    let bytes: [u8; 4] = key.get(8..12)?.try_into().ok()?;
    (key.len() == 12).then(|| u32::from_be_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_numerically_and_round_trip() {
        assert!(turn_key(1, 0, 255) < turn_key(1, 0, 256));
        assert!(turn_key(1, 0, u64::MAX) < turn_key(1, 1, 0));
        assert!(turn_key(1, u32::MAX, u64::MAX) < turn_key(2, 0, 0));
        assert_eq!(turn_of_key(&turn_key(3, 4, 5)), Some(5));
        assert_eq!(segment_of_key(&segment_key(3, 4)), Some(4));
        assert_eq!(turn_of_key(b"short"), None);
        assert!(turn_key(7, 2, 9).starts_with(&segment_key(7, 2)));
        assert!(name_key(7, "main").starts_with(&run_key(7)));
    }
}
