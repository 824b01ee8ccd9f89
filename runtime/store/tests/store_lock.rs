//! One writer per store, across processes: a second process opening the store is told
//! "store in use by pid N"; a lock left by a killed process is taken over.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use duet_store::{Store, StoreError, holder};

/// The writer binary (`src/bin/store_writer.rs`), built by cargo with this test.
fn store_writer() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_store_writer"))
}

#[test]
fn a_second_process_is_told_who_holds_the_store() {
    let binary = store_writer();
    let dir = tempfile::tempdir().unwrap();

    // This process holds the store; a child cannot open it.
    let store = Store::open(dir.path()).unwrap();
    let out = Command::new(&binary)
        .arg("open")
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let me = std::process::id();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!("store in use by pid {me}")),
        "child said: {text}"
    );
    drop(store);

    // Now the child holds it; this process cannot open it and learns the child's pid.
    let mut child = Command::new(&binary)
        .arg("hold")
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready.trim(), format!("ready {}", child.id()));
    let err = Store::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, StoreError::InUse { pid: Some(pid), .. } if pid == child.id()),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains(&format!("store in use by pid {}", child.id())),
        "{message}"
    );
    assert_eq!(holder(dir.path()), Some(child.id()));

    // A clean exit releases it.
    writeln!(child.stdin.take().unwrap()).unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(holder(dir.path()), None);
    drop(Store::open(dir.path()).unwrap());

    // SIGKILL leaves the dead pid in the lock file; the lock itself dies with the process,
    // so the next open takes it over and writes its own pid.
    let mut child = Command::new(&binary)
        .arg("hold")
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    let dead = child.id();
    child.kill().unwrap();
    child.wait().unwrap();
    let left = std::fs::read_to_string(dir.path().join("lock")).unwrap();
    assert_eq!(
        left.trim(),
        dead.to_string(),
        "the killed holder's pid stays"
    );
    assert_eq!(holder(dir.path()), None, "but nobody holds the lock");
    let store = Store::open(dir.path()).unwrap();
    let now = std::fs::read_to_string(dir.path().join("lock")).unwrap();
    assert_eq!(now.trim(), me.to_string());
    drop(store);
}
