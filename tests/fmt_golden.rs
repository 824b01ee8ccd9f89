//! Golden tests for `duet fmt`: every `tests/fmt/NAME.lisp` formats to
//! `tests/fmt/NAME.expected.lisp`, and every expected file is a fixed point. Run with
//! `DUET_BLESS=1` to rewrite the expected files from the formatter's output (then review the
//! diff). Also checks that every `.lisp` file in the repository is already formatted.

use std::fs;
use std::path::{Path, PathBuf};

#[path = "support/golden.rs"]
mod golden;

use duet_lang::format::format_source;
use golden::{Failures, Golden, diff, shown};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The corpus: `NAME.lisp` formats to `NAME.expected.lisp`.
fn golden() -> Golden {
    Golden::new(root().join("tests/fmt"), ".lisp", ".expected.lisp")
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn golden_corpus() {
    let golden = golden();
    let inputs = golden.inputs();
    assert!(
        inputs.len() >= 40,
        "the corpus has only {} inputs",
        inputs.len()
    );
    golden.check(&inputs, "golden files", |input| {
        format_source(&read(input)).map_err(|errors| format!("read errors: {errors:?}"))
    });
}

#[test]
fn every_expected_file_has_a_source() {
    golden().assert_every_expected_file_has_a_source();
}

#[test]
fn expected_files_are_fixed_points() {
    if golden::blessing() {
        // The files are being rewritten by `golden_corpus` at the same time.
        return;
    }
    let golden = golden();
    let mut failures = Failures::default();
    for input in golden.inputs() {
        let path = golden.expected_path(&input);
        let Ok(expected) = fs::read_to_string(&path) else {
            continue;
        };
        match format_source(&expected) {
            Ok(again) if again == expected => {}
            Ok(again) => failures.push(format!(
                "{}: formatting it again changes it:\n{}",
                shown(&path),
                diff(&expected, &again)
            )),
            Err(errors) => failures.push(format!("{}: read errors {errors:?}", shown(&path))),
        }
    }
    failures.assert_none("expected files that are not fixed points of the formatter");
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
    let mut failures = Failures::default();
    for file in &files {
        let text = read(file);
        // Files that do not read are the business of `duet check`, not of the formatter.
        let Ok(formatted) = format_source(&text) else {
            continue;
        };
        if formatted != text {
            failures.push(format!(
                "{} is not formatted (run `duet fmt` on it):\n{}",
                shown(file),
                diff(&text, &formatted)
            ));
        }
    }
    failures.assert_none("repository files that are not formatted");
}

#[test]
fn diff_marks_changed_lines() {
    assert_eq!(diff("a\nb\n", "a\nc\n"), "  a⏎\n- b⏎\n+ c⏎\n");
}
