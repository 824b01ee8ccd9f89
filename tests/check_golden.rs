//! The golden corpus of `duet check`: every `tests/check/NAME.lisp` is checked and its
//! rendered output (diagnostics without colour, then the summary line) must equal
//! `tests/check/NAME.expected` byte for byte. Files under `tests/check/lib/` are only
//! imported by others. Set `DUET_BLESS=1` to rewrite the expected files after an intended
//! change, and review the diff.

use std::fs;
use std::path::{Path, PathBuf};

use duet::driver::{Limits, Session};
use duet_lang::frontend::FsLoader;
use duet_lang::render;

fn corpus() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir("tests/check")
        .expect("tests/check exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "lisp"))
        .collect();
    files.sort();
    files
}

fn rendered(path: &Path) -> String {
    let name = path.to_string_lossy().replace('\\', "/");
    let bytes = fs::read(path).expect("corpus file is readable");
    let mut session = Session::new(Limits::default());
    let checked = session.check(&name, &bytes, &mut FsLoader);
    let mut out = render::human(
        &checked.diagnostics,
        &checked.sources,
        render::Style { color: false },
    );
    out.push_str(&render::summary(1, &checked.diagnostics));
    out.push('\n');
    out
}

#[test]
fn corpus_matches_expected_output() {
    let bless = std::env::var_os("DUET_BLESS").is_some();
    let files = corpus();
    assert!(
        files.len() >= 40,
        "the corpus has only {} files",
        files.len()
    );
    let mut failures = Vec::new();
    for path in &files {
        let actual = rendered(path);
        let expected_path = path.with_extension("expected");
        if bless {
            fs::write(&expected_path, &actual).expect("expected file is writable");
            continue;
        }
        match fs::read_to_string(&expected_path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(format!(
                "{}: output differs\n--- expected\n{expected}\n--- actual\n{actual}",
                path.display()
            )),
            Err(_) => failures.push(format!(
                "{}: no expected file; run with DUET_BLESS=1 to create it",
                path.display()
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files differ:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_expected_file_has_a_source() {
    for entry in fs::read_dir("tests/check").expect("tests/check exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().is_some_and(|e| e == "expected") {
            assert!(
                path.with_extension("lisp").exists(),
                "{} has no .lisp file",
                path.display()
            );
        }
    }
}
