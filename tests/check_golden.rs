//! The golden corpus of `duet check`: every `tests/check/NAME.lisp` is checked and its
//! rendered output (diagnostics without colour, then the summary line) must equal
//! `tests/check/NAME.expected` byte for byte. Files under `tests/check/lib/` are only
//! imported by others. Set `DUET_BLESS=1` to rewrite the expected files after an intended
//! change, and review the diff.

use std::fs;
use std::path::Path;

#[path = "support/golden.rs"]
mod golden;

use duet::driver::{Limits, Session};
use duet_lang::frontend::FsLoader;
use duet_lang::render;
use golden::Golden;

fn golden() -> Golden {
    Golden::new("tests/check", ".lisp", ".expected")
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
    let golden = golden();
    let files = golden.inputs();
    assert!(
        files.len() >= 40,
        "the corpus has only {} files",
        files.len()
    );
    golden.check(&files, "files", |path| Ok(rendered(path)));
}

#[test]
fn every_expected_file_has_a_source() {
    golden().assert_every_expected_file_has_a_source();
}
