//! What the command-line test binaries share: a fresh directory per test, running `duet` in
//! it, and reading its output. Each binary uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh, empty directory named for the test and this process.
pub fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("duet-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp dir");
    dir
}

/// The `duet` command, run in `dir` without colour and without a `DUET_STORE` of the
/// caller's, not yet started.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_duet"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DUET_STORE");
    command
}

/// Runs `duet ARGS…` in `dir` to its end.
pub fn duet(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("duet runs")
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
