//! The records the store writes, each sealed in the project's envelope
//! ([`duet_lang::envelope`]): its own magic bytes, a format version, the payload length and a
//! checksum, then the payload in postcard. Changing any record's shape means a new version
//! here and a decoder for the old one.

use duet_lang::envelope::{self, EnvelopeError};
use serde::{Deserialize, Serialize};

use super::branches::Origin;
use super::runs::Status;

/// Magic of the store's own record; its envelope version is the store's format version.
pub const META_MAGIC: [u8; 4] = *b"DUSM";
/// The store format this build writes and the newest it reads.
pub const STORE_FORMAT: u16 = 1;
/// Magic of a run record.
pub const RUN_MAGIC: [u8; 4] = *b"DURN";
/// Version of run records.
pub const RUN_VERSION: u16 = 1;
/// Magic of a branch (segment) record.
pub const BRANCH_MAGIC: [u8; 4] = *b"DUBR";
/// Version of branch records.
pub const BRANCH_VERSION: u16 = 1;
/// Magic of a name-index record.
pub const NAME_MAGIC: [u8; 4] = *b"DUBN";
/// Version of name-index records.
pub const NAME_VERSION: u16 = 1;
/// Magic of a journal record (one turn).
pub const TURN_MAGIC: [u8; 4] = *b"DUTN";
/// Version of journal records.
pub const TURN_VERSION: u16 = 1;
/// Magic of a stored snapshot.
pub const SNAPSHOT_MAGIC: [u8; 4] = *b"DUSS";
/// Version of stored snapshots.
pub const SNAPSHOT_VERSION: u16 = 1;
/// Magic of a blob.
pub const BLOB_MAGIC: [u8; 4] = *b"DUBL";
/// Version of blobs.
pub const BLOB_VERSION: u16 = 1;

/// The store's own record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoreMeta {
    /// The number the next run gets.
    pub next_run: u64,
}

/// A run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RunRecord {
    pub workflow: String,
    pub program_hash: String,
    pub status: Status,
    pub created_at: u64,
    pub updated_at: u64,
    pub current_branch: String,
    /// The number the run's next segment gets.
    pub next_segment: u32,
}

/// A segment: a branch's own tail, and where it forked from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BranchRecord {
    /// The name currently pointing at this segment.
    pub name: String,
    /// The segment holding the turns up to `fork_turn`; `None` for a run's first branch.
    pub parent: Option<u32>,
    /// The last turn read from the parent; the segment's own turns start after it.
    pub fork_turn: u64,
    pub created_at: u64,
    pub origin: Origin,
}

/// Which segment a branch name points at.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct NameRecord {
    pub segment: u32,
}

/// One turn of the journal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TurnRecord {
    pub turn: u64,
    pub at: u64,
    pub state_digest: [u8; 32],
    #[serde(with = "serde_bytes")]
    pub payload: Vec<u8>,
}

/// A snapshot of a run's state after a turn.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SnapshotRecord {
    pub turn: u64,
    #[serde(with = "serde_bytes")]
    pub state: Vec<u8>,
}

/// A blob's contents.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BlobRecord {
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
}

/// Seals `value` in an envelope.
pub(crate) fn seal<T: Serialize>(magic: [u8; 4], version: u16, value: &T) -> Vec<u8> {
    envelope::seal(magic, version, value)
}

/// Opens an envelope, dropping the version (every record has one version so far).
pub(crate) fn open<T: serde::de::DeserializeOwned>(
    magic: [u8; 4],
    version: u16,
    bytes: &[u8],
) -> Result<T, EnvelopeError> {
    envelope::open(magic, version, bytes).map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_strings_have_the_same_wire_form_as_vectors() {
        let record = TurnRecord {
            turn: 3,
            at: 4,
            state_digest: [7; 32],
            payload: vec![1, 2, 255],
        };
        let ours = postcard::to_stdvec(&record).unwrap();
        let plain = postcard::to_stdvec(&(3u64, 4u64, [7u8; 32], vec![1u8, 2, 255])).unwrap();
        assert_eq!(ours, plain);
        let back: TurnRecord = postcard::from_bytes(&ours).unwrap();
        assert_eq!(back.payload, vec![1, 2, 255]);
    }
}
