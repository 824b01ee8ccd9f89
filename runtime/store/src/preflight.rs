//! The check made before fjall opens an existing store. fjall treats a database whose
//! bookkeeping files are gone as new: given a store whose `keyspaces/0/current` was deleted,
//! it recreates its keyspaces and every run's data is lost. So before fjall is asked to open
//! anything, the store's own inventory (`DIR/layout`, written once the database exists)
//! is compared with the files on disk; a missing file is an error naming it, and fjall is
//! never given the chance to start over.
//!
//! ```text
//! DIR/layout     one line per file a database of this store must have, relative to DIR/db:
//!                version, keyspaces/N/current for every keyspace, and `*.jnl` for "at least
//!                one journal file" (fjall numbers them as it rotates)
//! ```

use std::path::{Path, PathBuf};

use super::error::{Result, StoreError};

/// The inventory's file name, in the store's directory.
pub const LAYOUT_FILE: &str = "layout";

/// The inventory's line for "at least one journal file".
const JOURNALS: &str = "*.jnl";

/// Whether `db` holds what `line` of the inventory names.
fn present(db: &Path, line: &str) -> bool {
    if line == JOURNALS {
        return std::fs::read_dir(db).is_ok_and(|entries| {
            entries
                .filter_map(|e| e.ok())
                .any(|e| e.file_name().to_string_lossy().ends_with(".jnl"))
        });
    }
    db.join(line).is_file()
}

/// The files of `db` that must exist, relative to it: fjall's version file and the
/// `current` file of every keyspace directory.
fn required_files(db: &Path) -> Result<Vec<String>> {
    let mut files = vec!["version".to_string(), JOURNALS.to_string()];
    let keyspaces = db.join("keyspaces");
    let entries = std::fs::read_dir(&keyspaces).map_err(|source| StoreError::Io {
        action: "list the keyspaces of",
        path: keyspaces.clone(),
        source,
    })?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    files.extend(names.into_iter().map(|n| format!("keyspaces/{n}/current")));
    Ok(files)
}

/// Before opening: when the store has an inventory, every file in it must be there.
pub(crate) fn check(dir: &Path, db: &Path) -> Result<()> {
    let layout = dir.join(LAYOUT_FILE);
    let listed = match std::fs::read_to_string(&layout) {
        Ok(text) => text,
        // A new store, or one made before inventories: nothing to compare with yet.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(StoreError::Io {
                action: "read the store's inventory",
                path: layout,
                source,
            });
        }
    };
    let missing: Vec<PathBuf> = listed
        .lines()
        .filter(|line| !line.is_empty() && !present(db, line))
        .map(|line| db.join(line))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(StoreError::MissingFiles {
        dir: dir.to_path_buf(),
        missing,
    })
}

/// After opening: records the inventory of `db` (again, since keyspaces may have been
/// added), atomically.
pub(crate) fn record(dir: &Path, db: &Path) -> Result<()> {
    let mut text = required_files(db)?.join("\n");
    text.push('\n');
    let layout = dir.join(LAYOUT_FILE);
    if std::fs::read_to_string(&layout).is_ok_and(|old| old == text) {
        return Ok(());
    }
    let temporary = dir.join(format!("{LAYOUT_FILE}.new"));
    std::fs::write(&temporary, &text)
        .and_then(|()| std::fs::rename(&temporary, &layout))
        .map_err(|source| StoreError::Io {
            action: "write the store's inventory",
            path: layout,
            source,
        })
}
