//! The HTTP API's bearer token: 32 bytes from the operating system's random source, written
//! as hex to `STORE/daemon.token` (mode 0600) each time the daemon starts. Nothing about any
//! run depends on it.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The token file's name in the store.
pub const TOKEN_FILE: &str = "daemon.token";

/// The token file's mode: its owner's alone.
const TOKEN_MODE: u32 = 0o600;

/// Where the token of the store in `dir` is.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(TOKEN_FILE)
}

/// A fresh token, written to the store in `dir` (replacing the last daemon's).
pub fn issue(dir: &Path) -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| format!("cannot draw a token from the system's random source: {e}"))?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_private(&path(dir), &format!("{token}\n")).map_err(|e| {
        format!(
            "cannot write the API's token to {}: {e}",
            path(dir).display()
        )
    })?;
    Ok(token)
}

/// Writes `contents` to `file`, readable by its owner alone (mode 0600). Written aside and
/// renamed, so the file is never seen half written or readable by others.
pub(super) fn write_private(file: &Path, contents: &str) -> std::io::Result<()> {
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let aside = file.with_file_name(format!("{name}.{}", std::process::id()));
    let written = (|| {
        use std::os::unix::fs::OpenOptionsExt;
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(TOKEN_MODE)
            .open(&aside)?;
        duet::driver::store::tighten(&aside, TOKEN_MODE)?;
        out.write_all(contents.as_bytes())?;
        out.sync_all()?;
        std::fs::rename(&aside, file)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&aside);
    }
    written
}

/// Whether the `Authorization` header `given` carries `token`, compared in time that does
/// not depend on where they differ.
pub fn authorises(given: Option<&[u8]>, token: &str) -> bool {
    let Some(given) = given.and_then(|g| g.strip_prefix(b"Bearer ")) else {
        return false;
    };
    let given = given.trim_ascii();
    given.len() == token.len()
        && given
            .iter()
            .zip(token.as_bytes())
            .fold(0u8, |differ, (a, b)| differ | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_private_and_new_at_each_start() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let first = issue(dir.path()).expect("a token");
        assert_eq!(first.len(), 64);
        assert!(first.bytes().all(|b| b.is_ascii_hexdigit()));
        let written = std::fs::read_to_string(path(dir.path())).expect("the token file");
        assert_eq!(written.trim(), first);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path(dir.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let second = issue(dir.path()).expect("another token");
        assert_ne!(first, second);
        let files = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(files, 1, "nothing is left aside");
    }

    #[test]
    fn only_the_bearer_token_itself_authorises() {
        let token = "ab12";
        assert!(authorises(Some(b"Bearer ab12"), token));
        assert!(!authorises(Some(b"Bearer ab13"), token));
        assert!(!authorises(Some(b"Bearer ab1"), token));
        assert!(!authorises(Some(b"Basic ab12"), token));
        assert!(!authorises(Some(b"ab12"), token));
        assert!(!authorises(None, token));
    }
}
