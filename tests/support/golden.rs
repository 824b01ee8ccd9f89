//! Golden-file testing, shared by `check_golden`, `fmt_golden` and `run_corpus`: every input
//! of a directory is rendered and its output must equal the expected file beside it, byte
//! for byte. With `DUET_BLESS=1` the expected files are rewritten from the actual output
//! instead (review the diff before committing). Every failure is collected and the test
//! panics once, listing them all with a line diff. Each test binary uses part of it.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// Whether `DUET_BLESS=1` asks for the expected files to be rewritten.
pub fn blessing() -> bool {
    std::env::var_os("DUET_BLESS").is_some_and(|v| v == "1")
}

/// A directory of golden files: every `NAME` + `input` directly in `dir` is an input, and
/// `NAME` + `expected` beside it is its expected output (`.lisp` and `.expected`, say).
pub struct Golden {
    dir: PathBuf,
    input: &'static str,
    expected: &'static str,
}

impl Golden {
    /// The golden files of `dir` (as given, relative paths stay relative), with the file
    /// name endings of the inputs and of the expected files.
    pub fn new(dir: impl Into<PathBuf>, input: &'static str, expected: &'static str) -> Self {
        Golden {
            dir: dir.into(),
            input,
            expected,
        }
    }

    /// The files of the directory whose names end in `suffix`, sorted.
    fn files(&self, suffix: &str) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = fs::read_dir(&self.dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", shown(&self.dir)))
            .map(|e| e.expect("readable directory entry").path())
            .filter(|p| p.is_file() && name(p).ends_with(suffix))
            .collect();
        files.sort();
        files
    }

    /// The inputs, sorted by name. An expected file is never an input, even when its
    /// ending also ends in the input's (`.expected.lisp` and `.lisp`).
    pub fn inputs(&self) -> Vec<PathBuf> {
        let mut inputs = self.files(self.input);
        inputs.retain(|p| !name(p).ends_with(self.expected));
        inputs
    }

    /// The expected file of `input`.
    pub fn expected_path(&self, input: &Path) -> PathBuf {
        let stem = stem(input, self.input);
        input.with_file_name(format!("{stem}{}", self.expected))
    }

    /// Renders each of `inputs` with `render` and compares the output with its expected
    /// file, or writes it there when blessing. `render` fails with a message for inputs
    /// that have no output; that fails the test even when blessing. Panics once with every
    /// failure; `what` names the inputs in that message ("files", "programs").
    #[track_caller]
    pub fn check(
        &self,
        inputs: &[PathBuf],
        what: &str,
        mut render: impl FnMut(&Path) -> Result<String, String>,
    ) {
        let bless = blessing();
        let mut failures = Failures::default();
        for input in inputs {
            let actual = match render(input) {
                Ok(actual) => actual,
                Err(message) => {
                    failures.push(format!("{}: {message}", shown(input)));
                    continue;
                }
            };
            let expected_path = self.expected_path(input);
            if bless {
                fs::write(&expected_path, &actual)
                    .unwrap_or_else(|e| panic!("cannot write {}: {e}", shown(&expected_path)));
                continue;
            }
            match fs::read_to_string(&expected_path) {
                Ok(expected) if expected == actual => {}
                Ok(expected) => failures.push(format!(
                    "{}: output differs from {} (- expected, + actual):\n{}",
                    shown(input),
                    shown(&expected_path),
                    diff(&expected, &actual)
                )),
                Err(e) if e.kind() == ErrorKind::NotFound => failures.push(format!(
                    "{}: no expected file {}; run with DUET_BLESS=1 to create it",
                    shown(input),
                    shown(&expected_path)
                )),
                Err(e) => failures.push(format!(
                    "{}: cannot read {}: {e}",
                    shown(input),
                    shown(&expected_path)
                )),
            }
        }
        let heading = format!(
            "{} of {} {what} differ from their expected files (DUET_BLESS=1 rewrites them)",
            failures.len(),
            inputs.len()
        );
        failures.assert_none(&heading);
    }

    /// Panics naming every expected file of the directory that has no input beside it.
    #[track_caller]
    pub fn assert_every_expected_file_has_a_source(&self) {
        let mut failures = Failures::default();
        for expected in self.files(self.expected) {
            let stem = stem(&expected, self.expected);
            let source = expected.with_file_name(format!("{stem}{}", self.input));
            if !source.is_file() {
                failures.push(format!(
                    "{} has no source {}",
                    shown(&expected),
                    shown(&source)
                ));
            }
        }
        failures.assert_none("expected files without a source");
    }
}

/// Failures collected over a whole corpus, reported together.
#[derive(Default)]
pub struct Failures(Vec<String>);

impl Failures {
    /// Records one failure: what failed and why, possibly over several lines.
    pub fn push(&mut self, failure: String) {
        self.0.push(failure);
    }

    /// How many failures there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Panics with `heading` and every failure, a blank line apart, if there is any.
    #[track_caller]
    pub fn assert_none(self, heading: &str) {
        if !self.0.is_empty() {
            let failures: Vec<&str> = self.0.iter().map(|f| f.trim_end()).collect();
            panic!("{heading}:\n\n{}\n", failures.join("\n\n"));
        }
    }
}

/// A line diff of `expected` against `actual`, `-` for expected lines and `+` for actual
/// ones, with line ends made visible.
pub fn diff(expected: &str, actual: &str) -> String {
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

/// `path` for messages: relative to the package when it is under it.
pub fn shown(path: &Path) -> String {
    let path = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path);
    path.display().to_string()
}

/// The file name of `path`.
fn name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The file name of `path` without its ending `suffix`, which it must have.
fn stem(path: &Path, suffix: &str) -> String {
    let name = name(path);
    match name.strip_suffix(suffix) {
        Some(stem) => stem.to_owned(),
        None => panic!("{} does not end in {suffix}", shown(path)),
    }
}
