//! The program corpus: every `tests/run/NAME.lisp` runs as `duet run` would run it, and its
//! standard output, standard error and exit status must equal `tests/run/NAME.expected`.
//! A first-line comment `;; max-steps: N` or `;; max-depth: N` sets a limit.
//! `DUET_BLESS=1` rewrites the expected files; review the diff.

use std::fs;
use std::path::Path;

#[path = "support/corpus.rs"]
mod run_corpus_support;

use duet::driver::script;
use duet_lang::frontend::FsLoader;
use run_corpus_support::{corpus, effects, limits};

fn transcript(path: &Path) -> String {
    let name = path.to_string_lossy().replace('\\', "/");
    let bytes = fs::read(path).expect("a readable program");
    let limits = limits(&String::from_utf8_lossy(&bytes));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let outcome = script::run(
        &name,
        &bytes,
        script::Setup {
            limits,
            effects: Some(effects(&String::from_utf8_lossy(&bytes))),
            workflow: None,
            agents: vec![("*".into(), "echo".into())],
            store: None,
            json: false,
            detach: false,
        },
        &mut FsLoader,
        &mut out,
        &mut err,
        false,
    );
    format!(
        "--- stdout\n{}--- stderr\n{}--- exit {}\n",
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&err),
        outcome.exit_code()
    )
}

#[test]
fn every_program_gives_its_expected_output() {
    let bless = std::env::var_os("DUET_BLESS").is_some();
    let files = corpus();
    assert!(
        files.len() >= 60,
        "the corpus has only {} programs",
        files.len()
    );
    let mut failures = Vec::new();
    for path in &files {
        let actual = transcript(path);
        let expected_path = path.with_extension("expected");
        if bless {
            fs::write(&expected_path, &actual).expect("writable");
            continue;
        }
        match fs::read_to_string(&expected_path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(format!(
                "{}:\n--- expected\n{expected}\n--- actual\n{actual}",
                path.display()
            )),
            Err(_) => failures.push(format!(
                "{}: no expected file; run with DUET_BLESS=1",
                path.display()
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} programs differ:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}
