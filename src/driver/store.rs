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
///
/// While it waits, a process that took the store and serves it (a daemon, or a `duet` that
/// follows a run) is handed the command ([`hand_over_with`]): a command that found no one
/// serving the store and then lost the race to open it to such a process is served by it
/// instead of waiting out its patience.
pub fn open(dir: &Path, patience: Duration) -> Result<Store, String> {
    if let Some(store) = super::served::store() {
        return Ok(store);
    }
    let hand_over = || {
        if let Some(hand_over) = HAND_OVER.get() {
            hand_over(dir);
        }
    };
    Store::open_patiently(dir, patience, hand_over)
        .map_err(|e| format!("cannot open the store {}: {e}", dir.display()))
}

/// How a command hands itself over to the process serving the store in the given
/// directory, if one does: the `duet` binary sets it for the commands a daemon serves (it
/// sends the command there and exits with its status); it returns when none serves.
pub type HandOver = fn(&Path);

static HAND_OVER: std::sync::OnceLock<HandOver> = std::sync::OnceLock::new();

/// Makes `hand_over` what [`open`] does while another process holds the store.
pub fn hand_over_with(hand_over: HandOver) {
    let _ = HAND_OVER.set(hand_over);
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
