//! The Duet code samples of the editor support (`editors/`) are formatted code: the Emacs and
//! Vim tests re-indent and type them and compare with the file, so each must be a fixed point
//! of the formatter — that is what makes the editors indent as `duet fmt` does.
//!
//! Every `*.duet` and `*.lisp` file under `editors/` is checked, except the TextMate grammar
//! tests of the VS Code extension (`editors/vscode/test/`, recognised by their
//! `; SYNTAX TEST` first line): their `;   ^^^ scope` assertion comments must stay in column 0
//! under the line they test, and the formatter indents own-line comments like code (and one
//! of them, `literals.duet`, holds deliberate read errors).
//! `editors/test.sh` makes the same check with the `duet` binary (`DUET=… editors/test.sh`).

use std::fs;
use std::path::{Path, PathBuf};

use duet_lang::format::format_source;

fn samples(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if path.is_dir() {
            if name != "node_modules" && !name.starts_with('.') {
                samples(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "duet" || e == "lisp") {
            out.push(path);
        }
    }
}

fn is_grammar_test(text: &str) -> bool {
    text.lines()
        .next()
        .is_some_and(|l| l.starts_with("; SYNTAX TEST"))
}

#[test]
fn editor_samples_are_fixed_points_of_the_formatter() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("editors");
    let mut files = Vec::new();
    samples(&root, &mut files);
    let mut checked = Vec::new();
    let mut failures = Vec::new();
    for path in &files {
        let text = fs::read_to_string(path).expect("a UTF-8 sample");
        let relative = path.strip_prefix(&root).unwrap().display().to_string();
        if is_grammar_test(&text) {
            assert!(
                relative.starts_with("vscode/test/"),
                "{relative}: a grammar test outside vscode/test/"
            );
            continue;
        }
        match format_source(&text) {
            Ok(formatted) if formatted == text => checked.push(relative),
            Ok(formatted) => {
                let line = text
                    .lines()
                    .zip(formatted.lines())
                    .position(|(a, b)| a != b)
                    .map_or_else(|| "the end".to_string(), |i| format!("line {}", i + 1));
                failures.push(format!("{relative}: `duet fmt` changes it at {line}"));
            }
            Err(errors) => failures.push(format!("{relative}: read errors: {errors:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for expected in ["test/indent.duet", "test/typing.duet"] {
        assert!(
            checked.iter().any(|c| c == expected),
            "{expected} was not checked: {checked:?}"
        );
    }
}
