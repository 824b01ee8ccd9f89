//! Which start of the HTTP API this is, so that event ids of different daemons never name
//! each other's events. Each start takes the next number from `STORE/daemon.epoch` (1 for
//! the first); a run's event ids are that number times [`ID_SPAN`] plus the event's place
//! among the run's events in this daemon's life (3000000000007: the 7th event the third
//! daemon numbered). A client resuming with an id of an earlier daemon is told its events
//! are not kept and gets every event this daemon keeps, instead of the ones after a number
//! that meant something else.

use std::path::Path;

/// The epoch file's name in the store.
pub const EPOCH_FILE: &str = "daemon.epoch";

/// How many ids each epoch has: the ids of epoch `e` are `e * ID_SPAN + 1 …`.
pub const ID_SPAN: u64 = 1_000_000_000_000;

/// The next epoch of the store in `dir`, recorded there before it is used.
pub fn next(dir: &Path) -> Result<u64, String> {
    let file = dir.join(EPOCH_FILE);
    let last = match std::fs::read_to_string(&file) {
        Ok(text) => text.trim().parse::<u64>().map_err(|_| {
            format!(
                "{} does not hold a number ({:?}); remove it and the HTTP API's event ids start \
                 over (clients resuming with an older id are told their events are not kept)",
                file.display(),
                text.trim()
            )
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(format!("cannot read {}: {e}", file.display())),
    };
    // Ids must stay below u64::MAX (and JavaScript's exact integers, 2^53, for browsers).
    let epoch = if last >= 9_000 { 1 } else { last + 1 };
    super::token::write_private(&file, &format!("{epoch}\n"))
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    Ok(epoch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_start_takes_the_next_epoch_and_a_damaged_file_is_named() {
        let dir = std::env::temp_dir().join(format!("duet-epoch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(next(&dir), Ok(1));
        assert_eq!(next(&dir), Ok(2));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join(EPOCH_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(dir.join(EPOCH_FILE), "x\n").unwrap();
        let error = next(&dir).unwrap_err();
        assert!(
            error.contains(EPOCH_FILE) && error.contains("remove it"),
            "{error}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
