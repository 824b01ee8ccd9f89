//! Opening the store a command works in, and doing things to its runs with the answers
//! rendered for people.

use std::path::Path;
use std::time::Duration;

use duet_store::Store;

/// How long a command waits for a store another process holds (a `duet status` holds it
/// for milliseconds) before saying it is in use.
pub const STORE_PATIENCE: Duration = Duration::from_secs(2);

/// Opens the store at `dir`, waiting up to `patience` for another process to let go of it;
/// the error says which store and why.
pub fn open(dir: &Path, patience: Duration) -> Result<Store, String> {
    Store::open_patiently(dir, patience)
        .map_err(|e| format!("cannot open the store {}: {e}", dir.display()))
}
