//! `duet fmt` from the command line: in place, `--check`, stdin, and refusing files that do
//! not read.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

const UNFORMATTED: &str = "(defn f [x]\n(+ x   1))\n";
const FORMATTED: &str = "(defn f [x]\n  (+ x 1))\n";

/// A fresh directory for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("duet-fmt-cli-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        fs::write(&path, text).expect("write test file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn duet(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_duet"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run duet");
    let mut pipe = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(pipe);
    child.wait_with_output().expect("wait for duet")
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn formats_files_in_place() {
    let dir = TempDir::new("in-place");
    let a = dir.file("a.lisp", UNFORMATTED);
    let b = dir.file("b.lisp", FORMATTED);
    // An already formatted file is not rewritten: its modification time stays put.
    let old = SystemTime::now() - Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(&b)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let out = duet(&["fmt", arg(&a), arg(&b)], None);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(fs::read_to_string(&a).unwrap(), FORMATTED);
    assert_eq!(fs::read_to_string(&b).unwrap(), FORMATTED);
    assert_eq!(fs::metadata(&b).unwrap().modified().unwrap(), old);
    // No temporary files are left behind.
    let names: Vec<_> = fs::read_dir(&dir.0)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_stays_a_link_and_its_target_is_formatted() {
    let dir = TempDir::new("symlink");
    fs::create_dir_all(dir.0.join("real")).unwrap();
    let target = dir.file("real/a.lisp", UNFORMATTED);
    let link = dir.0.join("link.lisp");
    std::os::unix::fs::symlink("real/a.lisp", &link).unwrap();
    let out = duet(&["fmt", arg(&link)], None);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced by a file"
    );
    assert_eq!(fs::read_to_string(&target).unwrap(), FORMATTED);
    // No temporary file is left beside the link or the target.
    assert_eq!(fs::read_dir(&dir.0).unwrap().count(), 2);
    assert_eq!(fs::read_dir(dir.0.join("real")).unwrap().count(), 1);
}

#[cfg(unix)]
#[test]
fn keeps_file_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("permissions");
    let a = dir.file("a.lisp", UNFORMATTED);
    fs::set_permissions(&a, fs::Permissions::from_mode(0o640)).unwrap();
    let out = duet(&["fmt", arg(&a)], None);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(
        fs::metadata(&a).unwrap().permissions().mode() & 0o777,
        0o640
    );
}

#[test]
fn check_lists_files_that_would_change() {
    let dir = TempDir::new("check");
    let a = dir.file("a.lisp", UNFORMATTED);
    let b = dir.file("b.lisp", FORMATTED);
    let out = duet(&["fmt", "--check", arg(&b)], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "");
    let out = duet(&["fmt", "--check", arg(&a), arg(&b)], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), format!("{}\n", arg(&a)));
    assert_eq!(
        fs::read_to_string(&a).unwrap(),
        UNFORMATTED,
        "--check changed the file"
    );
}

#[test]
fn stdin_to_stdout() {
    let out = duet(&["fmt", "-"], Some(UNFORMATTED));
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), FORMATTED);
    let out = duet(&["fmt", "--check", "-"], Some(UNFORMATTED));
    assert_eq!(out.status.code(), Some(1));
    let out = duet(&["fmt", "--check", "-"], Some(FORMATTED));
    assert_eq!(out.status.code(), Some(0));
    let out = duet(&["fmt", "-"], Some(""));
    assert_eq!((out.status.code(), stdout(&out)), (Some(0), String::new()));
}

#[test]
fn refuses_files_with_read_errors() {
    let dir = TempDir::new("read-errors");
    let broken_text = "(defn f [x]\n   (+ x 1)\n";
    let broken = dir.file("broken.lisp", broken_text);
    let fine = dir.file("fine.lisp", UNFORMATTED);
    let out = duet(&["fmt", arg(&broken), arg(&fine)], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("E0101"), "no diagnostic code in {err}");
    assert!(err.contains("broken.lisp"), "file not named in {err}");
    assert_eq!(
        fs::read_to_string(&broken).unwrap(),
        broken_text,
        "touched a broken file"
    );
    // The other files are still formatted.
    assert_eq!(fs::read_to_string(&fine).unwrap(), FORMATTED);

    let out = duet(&["fmt", "-"], Some("(a \"unterminated"));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("<stdin>"), "{}", stderr(&out));
}

#[test]
fn unreadable_files_are_named() {
    let dir = TempDir::new("unreadable");
    let missing = dir.0.join("missing.lisp");
    let out = duet(&["fmt", arg(&missing)], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.lisp"), "{}", stderr(&out));

    let latin1 = dir.0.join("latin1.lisp");
    fs::write(&latin1, b"(def s \"caf\xe9\")\n").unwrap();
    let out = duet(&["fmt", arg(&latin1)], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("UTF-8"), "{}", stderr(&out));
}
