//! `duet check` and the command line as a user runs them: exit codes, streams, formats.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn duet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_duet"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the duet binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_seed_example_checks_clean() {
    let out = duet(&["check", "examples/ping-pong.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "checked 1 file: no problems\n");
    assert!(out.stdout.is_empty());
}

#[test]
fn every_example_checks_clean() {
    for entry in std::fs::read_dir("examples").expect("examples/ exists") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "lisp") {
            let out = duet(&[
                "check",
                "--deny-warnings",
                path.to_str().expect("utf-8 path"),
            ]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}: {}",
                path.display(),
                text(&out.stderr)
            );
        }
    }
}

#[test]
fn errors_exit_2_and_warnings_exit_0() {
    let out = duet(&["check", "tests/check/unknown-identifier.lisp"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown identifier `prinln`"));

    let out = duet(&["check", "tests/check/unused-binding.lisp"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("0 errors, 3 warnings"));

    let out = duet(&[
        "check",
        "--deny-warnings",
        "tests/check/unused-binding.lisp",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn several_files_are_summed_up() {
    let out = duet(&[
        "check",
        "examples/ping-pong.lisp",
        "tests/check/unused-binding.lisp",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).ends_with("checked 2 files: 0 errors, 3 warnings\n"));
}

#[test]
fn json_output_has_positions_codes_and_messages() {
    let out = duet(&[
        "check",
        "--format",
        "json",
        "tests/check/non-ascii.lisp",
        "tests/check/unused-binding.lisp",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let items = json.as_array().expect("an array");
    assert_eq!(items.len(), 4);
    let first = &items[0];
    assert_eq!(first["file"], "tests/check/non-ascii.lisp");
    assert_eq!(first["line"], 3);
    // `(println grüße (größe 1))`: columns count characters, not bytes.
    assert_eq!(first["column"], 17);
    assert_eq!(first["end_column"], 22);
    assert_eq!(first["code"], "E0301");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["message"], "unknown identifier `größe`");
    assert_eq!(first["help"], "did you mean `grüße`?");
    assert_eq!(items[1]["severity"], "warning");
    assert_eq!(items[1]["code"], "W0001");
}

#[test]
fn standard_input_is_checked_with_dash() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_duet"))
        .args(["check", "-"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("duet starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"(println (+ 1 2)\n")
        .expect("write");
    let out = child.wait_with_output().expect("duet ends");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("<stdin>:1:1"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_missing_file_is_named() {
    let out = duet(&["check", "no/such/file.lisp"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).lines().next(),
        Some("error: cannot read `no/such/file.lisp`: no such file")
    );
}

#[test]
fn explain_prints_a_code() {
    let out = duet(&["check", "--explain", "e0101"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("E0101 unclosed-delimiter (error)"));
    let out = duet(&["check", "--explain", "E9999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no diagnostic code `E9999`"));
}

#[test]
fn help_version_and_usage_errors() {
    let out = duet(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("check"));
    let out = duet(&["check", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("--deny-warnings"));
    let out = duet(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout).trim(),
        format!("duet {}", env!("CARGO_PKG_VERSION"))
    );

    let out = duet(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unrecognized subcommand 'frobnicate'"));
    let out = duet(&["check", "--frob", "x.lisp"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unexpected argument '--frob'"));
    let out = duet(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let out = duet(&[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn colour_only_when_asked_for() {
    let out = duet(&["check", "tests/check/unknown-identifier.lisp"]);
    assert!(
        !text(&out.stderr).contains('\u{1b}'),
        "NO_COLOR output has escape codes"
    );
}

#[test]
fn the_readme_example_runs() {
    let out = Command::new(env!("CARGO_BIN_EXE_duet"))
        .args(["run", "examples/hello.lisp"])
        .output()
        .expect("duet runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("hello, duet!\n"), "{stdout}");
    assert!(stdout.ends_with(":lift-off\n"), "{stdout}");
}

#[test]
fn shell_is_denied_then_allowed() {
    let dir = std::env::temp_dir().join(format!("duet-allow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let script = dir.join("sh.lisp");
    std::fs::write(
        &script,
        "(println (get (shell \"echo allowed\") :stdout))\n",
    )
    .expect("writable");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_duet"))
            .arg("run")
            .args(extra)
            .arg(&script)
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .output()
            .expect("duet runs")
    };
    let denied = run(&[]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(
        text(&denied.stderr).contains("run with `--allow shell`"),
        "{}",
        text(&denied.stderr)
    );
    assert!(denied.stdout.is_empty());
    let allowed = run(&["--allow", "shell"]);
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed.stderr));
    assert_eq!(text(&allowed.stdout), "allowed\n\n");
    let unknown = run(&["--allow", "root"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("`root` is not a capability"));
    let _ = std::fs::remove_dir_all(&dir);
}
