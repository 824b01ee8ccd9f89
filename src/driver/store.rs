//! Opening the store a command works in. The store makes its directory private (mode 0700)
//! itself; the engine keeps it out of every run's workspace.

use std::path::Path;
use std::time::Duration;

use duet_store::Store;

/// How long a command waits for a store another process holds (a `duet status` holds it
/// for milliseconds) before saying it is in use.
pub const STORE_PATIENCE: Duration = Duration::from_secs(2);

/// Opens the store at `dir`, waiting up to `patience` for another process to let go of it;
/// the error says which store and why.
///
/// In a command the daemon serves, the store is the one the daemon holds.
pub fn open(dir: &Path, patience: Duration) -> Result<Store, String> {
    if let Some(store) = super::served::store() {
        return Ok(store);
    }
    Store::open_patiently(dir, patience)
        .map_err(|e| format!("cannot open the store {}: {e}", dir.display()))
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
