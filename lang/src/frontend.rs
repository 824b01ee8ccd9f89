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

/// Loads imports from the file system, relative to the importing file.
#[derive(Debug, Default)]
pub struct FsLoader;

impl Loader for FsLoader {
    fn load(&mut self, from: &str, path: &str) -> Result<(String, String), String> {
        let base = Path::new(from).parent().unwrap_or(Path::new(""));
        let full: PathBuf = base.join(path);
        let name = full.to_string_lossy().into_owned();
        let bytes =
            std::fs::read(&full).map_err(|e| format!("cannot read `{name}`: {}", io_reason(&e)))?;
        let text = String::from_utf8(bytes).map_err(|_| format!("`{name}` is not valid UTF-8"))?;
        Ok((name, text))
    }
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
