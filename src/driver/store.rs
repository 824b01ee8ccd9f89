//! Opening the store a command works in, and doing things to its runs with the answers
//! rendered for people.
//!
//! A store holds every prompt and reply of its runs, so only its owner may enter it: its
//! directory is made (or tightened to) mode 0700 here. And no workspace of this process may
//! reach it ([`forbid_in_every_workspace`]), wherever it lies.

use std::path::Path;
use std::time::Duration;

use duet_runtime::effects::workspace::forbid_in_every_workspace;
use duet_store::Store;

/// How long a command waits for a store another process holds (a `duet status` holds it
/// for milliseconds) before saying it is in use.
pub const STORE_PATIENCE: Duration = Duration::from_secs(2);

/// The mode of a store's directory: its owner's alone.
pub const STORE_MODE: u32 = 0o700;

/// Opens the store at `dir`, waiting up to `patience` for another process to let go of it;
/// the error says which store and why.
pub fn open(dir: &Path, patience: Duration) -> Result<Store, String> {
    forbid_in_every_workspace(dir);
    private_dir(dir).map_err(|e| format!("cannot create the store {}: {e}", dir.display()))?;
    let store = Store::open_patiently(dir, patience)
        .map_err(|e| format!("cannot open the store {}: {e}", dir.display()))?;
    // A store an earlier duet made is tightened too.
    tighten(dir, STORE_MODE).map_err(|e| {
        format!(
            "cannot make the store {} private (mode 700): {e}; check who owns it",
            dir.display()
        )
    })?;
    Ok(store)
}

/// Creates `dir` with mode 0700 (its missing parents as usual), before anything is put in
/// it; a directory already there is left as it is.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    match std::fs::DirBuilder::new().mode(STORE_MODE).create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Takes every permission outside `mode` away from `path` (it keeps those it has inside).
pub fn tighten(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let now = std::fs::metadata(path)?.permissions().mode() & 0o7777;
    if now & !mode != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(now & mode))?;
    }
    Ok(())
}
