//! Golden tests for `duet fmt`: every `tests/fmt/NAME.lisp` formats to
//! `tests/fmt/NAME.expected.lisp`, and every expected file is a fixed point. Run with
//! `DUET_BLESS=1` to rewrite the expected files from the formatter's output (then review the
//! diff). Also checks that every `.lisp` file in the repository is already formatted.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use duet_lang::format::format_source;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The corpus inputs, sorted by name.
fn inputs() -> Vec<PathBuf> {
    let mut inputs: Vec<PathBuf> = fs::read_dir(root().join("tests/fmt"))
        .expect("tests/fmt exists")
        .map(|e| e.expect("readable directory").path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".lisp") && !name.ends_with(".expected.lisp")
        })
        .collect();
    inputs.sort();
    inputs
}

fn expected_path(input: &Path) -> PathBuf {
    let stem = input.file_stem().unwrap().to_string_lossy();
    input.with_file_name(format!("{stem}.expected.lisp"))
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A line diff of `expected` against `actual`, `-` for expected lines and `+` for actual
/// ones, with line ends made visible.
fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.split_inclusive('\n').collect();
    let b: Vec<&str> = actual.split_inclusive('\n').collect();
    // Longest common subsequence table, from the ends.
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let show = |line: &str| {
        line.replace('\r', "␍")
            .replace('\n', "⏎")
            .replace('\t', "→")
    };
    let mut out = String::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            let _ = writeln!(out, "  {}", show(a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            let _ = writeln!(out, "- {}", show(a[i]));
            i += 1;
        } else {
            let _ = writeln!(out, "+ {}", show(b[j]));
            j += 1;
        }
    }
    out
}

#[test]
fn golden_corpus() {
    let bless = std::env::var_os("DUET_BLESS").is_some_and(|v| v == "1");
    let inputs = inputs();
    assert!(
        inputs.len() >= 40,
        "the corpus has only {} inputs",
        inputs.len()
    );
    let mut failures = Vec::new();
    for input in &inputs {
        let name = input.file_name().unwrap().to_string_lossy().into_owned();
        let text = read(input);
        let actual = match format_source(&text) {
            Ok(out) => out,
            Err(errors) => {
                failures.push(format!("{name}: read errors: {errors:?}"));
                continue;
            }
        };
        let expected_file = expected_path(input);
        if bless {
            fs::write(&expected_file, &actual).expect("write expected file");
            continue;
        }
        let expected = if expected_file.exists() {
            read(&expected_file)
        } else {
            String::new()
        };
        if actual != expected {
            failures.push(format!(
                "{name}: output differs from {} (- expected, + actual):\n{}",
                expected_file.file_name().unwrap().to_string_lossy(),
                diff(&expected, &actual)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden files failed (DUET_BLESS=1 rewrites them):\n\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
}

#[test]
fn expected_files_are_fixed_points() {
    if std::env::var_os("DUET_BLESS").is_some_and(|v| v == "1") {
        // The files are being rewritten by `golden_corpus` at the same time.
        return;
    }
    let mut failures = Vec::new();
    for input in inputs() {
        let path = expected_path(&input);
        let Ok(expected) = fs::read_to_string(&path) else {
            continue;
        };
        match format_source(&expected) {
            Ok(again) if again == expected => {}
            Ok(again) => failures.push(format!(
                "{}: formatting it again changes it:\n{}",
                path.display(),
                diff(&expected, &again)
            )),
            Err(errors) => failures.push(format!("{}: read errors {errors:?}", path.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every `.lisp` file under `dir`, recursively, except under the skipped directories.
fn lisp_files(dir: &Path, skip: &[PathBuf], out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if skip.iter().any(|s| path.starts_with(s)) {
            continue;
        }
        if path.is_dir() {
            lisp_files(&path, skip, out);
        } else if path.extension().is_some_and(|e| e == "lisp") {
            out.push(path);
        }
    }
}

#[test]
fn repository_lisp_files_are_formatted() {
    // The formatter's own inputs are unformatted on purpose, and `tests/check` holds
    // deliberately broken programs.
    let skip = [root().join("tests/fmt"), root().join("tests/check")];
    let mut files = Vec::new();
    for dir in ["examples", "stdlib", "tests"] {
        lisp_files(&root().join(dir), &skip, &mut files);
    }
    files.sort();
    let mut failures = Vec::new();
    for file in &files {
        let text = read(file);
        // Files that do not read are the business of `duet check`, not of the formatter.
        let Ok(formatted) = format_source(&text) else {
            continue;
        };
        if formatted != text {
            failures.push(format!(
                "{} is not formatted (run `duet fmt` on it):\n{}",
                file.strip_prefix(root()).unwrap_or(file).display(),
                diff(&text, &formatted)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn diff_marks_changed_lines() {
    assert_eq!(diff("a\nb\n", "a\nc\n"), "  a⏎\n- b⏎\n+ c⏎\n");
}
