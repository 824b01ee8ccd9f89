//! The program corpus: every `tests/run/NAME.lisp` runs as `duet run` would run it, and its
//! standard output, standard error and exit status must equal `tests/run/NAME.expected`.
//! A first-line comment `;; max-steps: N`, `;; max-depth: N` or `;; max-memory: NM` sets a
//! limit. A workflow runs in the durable engine, as `duet run` runs it, in a fresh store per
//! program (shown as `STORE` in the transcript).
//! `DUET_BLESS=1` rewrites the expected files; review the diff.

use std::fs;
use std::path::Path;

#[path = "support/corpus.rs"]
mod run_corpus_support;

#[path = "support/golden.rs"]
mod golden;

use duet::driver::script;
use duet_lang::frontend::FsLoader;
use golden::Golden;
use run_corpus_support::{corpus, effects, limits};

fn golden() -> Golden {
    Golden::new("tests/run", ".lisp", ".expected")
}

fn transcript(path: &Path) -> String {
    let name = path.to_string_lossy().replace('\\', "/");
    let bytes = fs::read(path).expect("a readable program");
    let limits = limits(&String::from_utf8_lossy(&bytes));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let store = tempfile::tempdir().expect("a temporary store directory");
    let outcome = script::run(
        &name,
        &bytes,
        script::Setup {
            limits,
            effects: Some(effects(&String::from_utf8_lossy(&bytes))),
            workflow: None,
            agents: vec![("*".into(), "echo".into())],
            store: store.path().to_path_buf(),
            json: false,
            detach: false,
            budget_microusd: None,
            live_questions: true,
            interrupt: None,
            process_ends: false,
        },
        &mut FsLoader,
        &mut out,
        &mut err,
        false,
    );
    let transcript = format!(
        "--- stdout\n{}--- stderr\n{}--- exit {}\n",
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&err),
        outcome.exit_code()
    );
    transcript.replace(&store.path().display().to_string(), "STORE")
}

#[test]
fn every_program_gives_its_expected_output() {
    let files = corpus();
    assert!(
        files.len() >= 60,
        "the corpus has only {} programs",
        files.len()
    );
    golden().check(&files, "programs", |path| Ok(transcript(path)));
}

#[test]
fn every_expected_file_has_a_source() {
    golden().assert_every_expected_file_has_a_source();
}
