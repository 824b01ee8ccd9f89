//! The high-water mark of acknowledged writes, kept outside fjall. Every committed batch
//! carries the next number of a store-wide sequence (in the `meta` keyspace); once a batch is
//! durable, its number is written to `DIR/acked`. fjall recovers its journal by cutting it at
//! the first record that does not check — right after a crash, and equally after damage to
//! the journal, when the cut takes acknowledged writes with it. The mark tells the two apart:
//! opening a store whose database holds an older number than the mark means acknowledged
//! writes are gone, and the store says so instead of answering with less.
//!
//! The mark is written after the journal's `fdatasync`, without a sync of its own: after a
//! crash it can only lag behind the journal, never run ahead of it, so it never accuses an
//! intact store.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::error::{Result, StoreError};

/// The mark's file name, in the store's directory.
pub const ACKED_FILE: &str = "acked";

/// The key of the sequence number in the `meta` keyspace.
pub const SEQ_KEY: &[u8] = b"seq";

/// The mark file, and the highest number written to it.
pub(crate) struct Acked {
    file: Mutex<(File, u64)>,
}

/// The number in the mark file of `dir`, if there is a readable one.
fn read(path: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    text.trim().parse().ok()
}

impl Acked {
    /// Compares the mark of `dir` with `found`, the number the database holds, and opens the
    /// mark for writing.
    pub(crate) fn open(dir: &Path, found: u64) -> Result<Acked> {
        let path = dir.join(ACKED_FILE);
        if let Some(acknowledged) = read(&path)
            && acknowledged > found
        {
            return Err(StoreError::LostWrites {
                dir: dir.to_path_buf(),
                acknowledged,
                found,
            });
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| io_error(path.clone(), source))?;
        let acked = Acked {
            file: Mutex::new((file, 0)),
        };
        acked.record(found)?;
        Ok(acked)
    }

    /// Records that every batch up to number `seq` is durable.
    pub(crate) fn record(&self, seq: u64) -> Result<()> {
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let (file, highest) = &mut *guard;
        if seq <= *highest && *highest != 0 {
            return Ok(());
        }
        *highest = seq;
        // Fixed width, so a shorter number never leaves digits of a longer one behind.
        let text = format!("{seq:020}\n");
        file.write_all_at(text.as_bytes(), 0)
            .and_then(|()| file.flush())
            .map_err(|source| io_error(PathBuf::from(ACKED_FILE), source))
    }
}

fn io_error(path: PathBuf, source: std::io::Error) -> StoreError {
    StoreError::Io {
        action: "record the acknowledged writes in",
        path,
        source,
    }
}
