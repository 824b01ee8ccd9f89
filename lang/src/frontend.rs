//! The front end as one call: source in, resolved module and diagnostics out. `duet check`,
//! `duet run`, the REPL and the language server all go through here.

use std::path::{Path, PathBuf};

use crate::codes;
use crate::core::Module;
use crate::diagnostic::{self, Diagnostic};
use crate::expand::{Environment, Expander, Loader, MacroHost};
use crate::lint;
use crate::source::{SourceFile, SourceMap};
use crate::span::{Span, TextRange};

/// The result of checking a program.
#[derive(Debug)]
pub struct Checked {
    /// Every file read: the main file first, then its imports.
    pub sources: SourceMap,
    /// The program, lowered to core forms.
    pub module: Module,
    /// Errors and warnings, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// True when there is at least one error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Checks the program in `bytes`, the contents of the file `name`: decodes UTF-8, reads,
/// expands (running macros on `host` if given), resolves and lints.
pub fn check_bytes(
    name: &str,
    bytes: &[u8],
    loader: &mut dyn Loader,
    host: Option<&mut dyn MacroHost>,
) -> Checked {
    check_in(Environment::default(), name, bytes, loader, host)
}

/// Like [`check_bytes`], with what earlier REPL inputs defined in scope.
pub fn check_in(
    env: Environment,
    name: &str,
    bytes: &[u8],
    loader: &mut dyn Loader,
    host: Option<&mut dyn MacroHost>,
) -> Checked {
    match std::str::from_utf8(bytes) {
        Ok(text) => check_text(env, name, text, loader, host),
        Err(e) => {
            let mut sources = SourceMap::new();
            let text = String::from_utf8_lossy(bytes).into_owned();
            let at = e.valid_up_to();
            // The lossy text agrees with the input up to the first bad byte, which it
            // replaces with U+FFFD (three bytes).
            let file = sources.add(SourceFile::new(name, text));
            let span = Span::new(file, TextRange::new(at, at + '\u{FFFD}'.len_utf8()));
            let diagnostic = Diagnostic::new(
                codes::NOT_UTF8,
                span,
                format!("`{name}` is not valid UTF-8"),
            )
            .with_label(format!("byte {at} starts an invalid UTF-8 sequence"))
            .with_help("Duet source must be UTF-8; convert the file, e.g. with `iconv -t UTF-8`");
            Checked {
                sources,
                module: Module::default(),
                diagnostics: vec![diagnostic],
            }
        }
    }
}

/// Checks the program `text`, the contents of the file `name`.
pub fn check_source(
    name: &str,
    text: &str,
    loader: &mut dyn Loader,
    host: Option<&mut dyn MacroHost>,
) -> Checked {
    check_text(Environment::default(), name, text, loader, host)
}

fn check_text(
    env: Environment,
    name: &str,
    text: &str,
    loader: &mut dyn Loader,
    host: Option<&mut dyn MacroHost>,
) -> Checked {
    let (sources, module, mut diagnostics) = Expander::new(loader, host, env).run(name, text);
    diagnostics.extend(too_deep(&module));
    after_unclosed_strings(&mut diagnostics);
    // Lints assume a well-formed module; after errors they would mostly repeat them.
    if !diagnostics.iter().any(Diagnostic::is_error) {
        diagnostics.extend(lint::lint(&module));
    }
    diagnostic::sort(&mut diagnostics);
    // A macro that repeats an argument repeats its errors; one of each is enough.
    diagnostics.dedup();
    Checked {
        sources,
        module,
        diagnostics,
    }
}

/// Drops what is reported after a string that is never closed, in its file: from there on
/// code was read as text and text as code, so any other error there is a consequence.
fn after_unclosed_strings(diagnostics: &mut Vec<Diagnostic>) {
    let cuts: Vec<Span> = diagnostics
        .iter()
        .filter(|d| d.code == codes::UNTERMINATED_STRING)
        .map(|d| d.span)
        .collect();
    diagnostics.retain(|d| {
        d.code == codes::UNTERMINATED_STRING
            || !cuts
                .iter()
                .any(|cut| d.span.file == cut.file && d.span.range.end > cut.range.start)
    });
}

/// Code may nest at most this deeply: the compiler and the lints walk it by recursion. Only a
/// `cond` or `case` with about as many clauses gets near it (the reader allows 256 levels).
pub const MAX_CODE_DEPTH: usize = 100_000;

/// An error for code nested more deeply than [`MAX_CODE_DEPTH`], at the first place that
/// deep, measured without recursion.
fn too_deep(module: &Module) -> Option<Diagnostic> {
    let roots = module
        .body
        .iter()
        .chain(module.macros.iter().flat_map(|m| &m.lambda.body))
        .chain(module.workflows.iter().flat_map(|w| {
            w.vars
                .iter()
                .map(|v| &v.init)
                .chain(w.states.iter().flat_map(|s| &s.body))
        }));
    for root in roots {
        let (depth, deepest) = lint::walk::depth(root);
        if depth > MAX_CODE_DEPTH {
            return Some(
                Diagnostic::new(
                    codes::TOO_DEEP,
                    deepest.span,
                    format!("this code is nested more than {MAX_CODE_DEPTH} levels deep"),
                )
                .with_label(format!("{depth} levels deep"))
                .with_help("a `cond` or `case` with this many clauses nests this deeply: look the values up in a map instead, or split the form"),
            );
        }
    }
    None
}

/// Loads imports from the file system, relative to the importing file.
#[derive(Debug, Default)]
pub struct FsLoader;

impl Loader for FsLoader {
    fn load(&mut self, from: &str, path: &str) -> Result<(String, String), String> {
        let base = Path::new(from).parent().unwrap_or(Path::new(""));
        let full: PathBuf = base.join(path);
        let name = full.to_string_lossy().into_owned();
        let bytes = read_source(&full)?;
        let text = String::from_utf8(bytes).map_err(|_| format!("`{name}` is not valid UTF-8"))?;
        Ok((name, text))
    }
}

/// Source files larger than this are refused (64 MiB).
pub const MAX_SOURCE_BYTES: u64 = 64 << 20;

/// Reads a source file: a regular file (not a directory, device, FIFO or socket, which could
/// block or never end) of at most [`MAX_SOURCE_BYTES`]. The error is a sentence naming it.
pub fn read_source(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let name = path.to_string_lossy();
    let cannot = |e: &std::io::Error| format!("cannot read `{name}`: {}", io_reason(e));
    // Looked at before opening: opening a FIFO blocks until something writes to it.
    let metadata = std::fs::metadata(path).map_err(|e| cannot(&e))?;
    not_regular(&name, &metadata)?;
    let file = std::fs::File::open(path).map_err(|e| cannot(&e))?;
    // And again on what was opened, in case the path changed in between.
    not_regular(&name, &file.metadata().map_err(|e| cannot(&e))?)?;
    let mut bytes = Vec::new();
    file.take(MAX_SOURCE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| cannot(&e))?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(format!(
            "cannot read `{name}`: it is larger than {} MiB, the most a source file may be",
            MAX_SOURCE_BYTES >> 20
        ));
    }
    Ok(bytes)
}

fn not_regular(name: &str, metadata: &std::fs::Metadata) -> Result<(), String> {
    let kind = metadata.file_type();
    if kind.is_file() {
        return Ok(());
    }
    let what = if kind.is_dir() {
        "it is a directory"
    } else {
        "it is not a regular file (a device, pipe or socket)"
    };
    Err(format!(
        "cannot read `{name}`: {what}; source files are regular files"
    ))
}

/// Loads nothing: for sources with no file behind them.
#[derive(Debug, Default)]
pub struct NoLoader;

impl Loader for NoLoader {
    fn load(&mut self, _from: &str, path: &str) -> Result<(String, String), String> {
        Err(format!(
            "cannot import `{path}` here: there is no file system"
        ))
    }
}

/// A short reason for an I/O error, without Rust's "(os error 2)" suffix.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "it is a directory".into(),
        _ => {
            let text = e.to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_string(),
                None => text,
            }
        }
    }
}
