//! One writer per store: an advisory lock (`flock` on Unix, through
//! [`std::fs::File::try_lock`]) on the file `lock` in the store's directory, which also holds
//! the holder's process id so that a second process can say who is in the way.
//!
//! The kernel drops the lock when its process dies, however it dies, so a lock file left by a
//! dead process is simply taken over: the lock is free, and the new holder overwrites the pid.
//! fjall takes its own lock on its database directory as well; ours comes first and is the one
//! with a message for people.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{Result, StoreError};

/// The name of the lock file inside the store's directory.
pub const LOCK_FILE: &str = "lock";

/// A held store lock; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct StoreLock {
    file: File,
    path: PathBuf,
}

impl StoreLock {
    /// Takes the lock of the store in `dir`, writing this process's id into it.
    pub fn acquire(dir: &Path) -> Result<StoreLock> {
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|source| StoreError::Io {
                action: "open the lock file",
                path: path.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(StoreError::InUse {
                    dir: dir.to_path_buf(),
                    pid: read_pid_patiently(&mut file),
                });
            }
            Err(TryLockError::Error(source)) => {
                return Err(StoreError::Io {
                    action: "lock",
                    path,
                    source,
                });
            }
        }
        let pid = std::process::id();
        let written = file
            .set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(format!("{pid}\n").as_bytes()))
            .and_then(|()| file.flush());
        written.map_err(|source| StoreError::Io {
            action: "write the process id into the lock file",
            path: path.clone(),
            source,
        })?;
        Ok(StoreLock { file, path })
    }

    /// The path of the lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        // Clear the pid so nobody reads a stale one, then unlock; closing the file would
        // unlock anyway.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// The process holding the store in `dir` for writing, if any. `None` when the store is free
/// (or has never been opened).
pub fn holder(dir: &Path) -> Option<u32> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(dir.join(LOCK_FILE))
        .ok()?;
    match file.try_lock() {
        Ok(()) => {
            let _ = file.unlock();
            None
        }
        Err(_) => read_pid_patiently(&mut file),
    }
}

/// The holder writes its pid right after taking the lock; give it a moment if the file is
/// still empty.
fn read_pid_patiently(file: &mut File) -> Option<u32> {
    for _ in 0..20 {
        let mut text = String::new();
        if file.seek(SeekFrom::Start(0)).is_ok()
            && file.read_to_string(&mut text).is_ok()
            && let Ok(pid) = text.trim().parse()
        {
            return Some(pid);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    None
}
