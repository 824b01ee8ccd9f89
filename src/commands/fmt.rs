//! `duet fmt FILE…`: format files in place, check that they are formatted, or format stdin.
//!
//! Exit status: 0 when everything went well (and, with `--check`, everything is formatted),
//! 1 when `--check` found files that would change, 2 when a file could not be read, written or
//! parsed. Files with read errors are never touched; their diagnostics go to stderr.

use std::fs;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use duet_lang::diagnostic::Diagnostic;
use duet_lang::format::format_source;
use duet_lang::render::{Style, human};
use duet_lang::source::{SourceFile, SourceMap};

/// Arguments of `duet fmt`.
#[derive(Debug, clap::Args)]
pub struct FmtArgs {
    /// Files to format in place; `-` formats stdin to stdout.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Change nothing: list the files that are not formatted and exit 1 if there are any.
    #[arg(long)]
    pub check: bool,
}

/// The outcome for one input, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Ok,
    WouldChange,
    Failed,
}

/// Runs `duet fmt`.
pub fn run(args: &FmtArgs) -> ExitCode {
    let mut worst = Outcome::Ok;
    for path in &args.files {
        let outcome = if path.as_os_str() == "-" {
            stdin(args.check)
        } else {
            file(path, args.check)
        };
        worst = worst.max(outcome);
    }
    match worst {
        Outcome::Ok => ExitCode::SUCCESS,
        Outcome::WouldChange => ExitCode::from(1),
        Outcome::Failed => ExitCode::from(2),
    }
}

fn stdin(check: bool) -> Outcome {
    let mut bytes = Vec::new();
    if let Err(err) = io::stdin().read_to_end(&mut bytes) {
        eprintln!("error: cannot read stdin: {err}");
        return Outcome::Failed;
    }
    let Some(text) = utf8(bytes, "<stdin>") else {
        return Outcome::Failed;
    };
    let formatted = match format_source(&text) {
        Ok(out) => out,
        Err(diagnostics) => {
            report("<stdin>", text, &diagnostics);
            return Outcome::Failed;
        }
    };
    if check {
        if formatted == text {
            return Outcome::Ok;
        }
        println!("<stdin>");
        return Outcome::WouldChange;
    }
    let mut out = io::stdout().lock();
    if let Err(err) = out
        .write_all(formatted.as_bytes())
        .and_then(|()| out.flush())
    {
        eprintln!("error: cannot write stdout: {err}");
        return Outcome::Failed;
    }
    Outcome::Ok
}

fn file(path: &Path, check: bool) -> Outcome {
    let name = path.display().to_string();
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) => {
            eprintln!("error: cannot read {name}: {err}");
            return Outcome::Failed;
        }
    };
    let Some(text) = utf8(bytes, &name) else {
        return Outcome::Failed;
    };
    let formatted = match format_source(&text) {
        Ok(out) => out,
        Err(diagnostics) => {
            report(&name, text, &diagnostics);
            eprintln!("error: {name} was not formatted because it has read errors");
            return Outcome::Failed;
        }
    };
    if formatted == text {
        return Outcome::Ok;
    }
    if check {
        println!("{name}");
        return Outcome::WouldChange;
    }
    // A symbolic link stays a link: its target is what gets formatted.
    let target = match fs::canonicalize(path) {
        Ok(target) => target,
        Err(err) => {
            eprintln!("error: cannot write {name}: {err}");
            return Outcome::Failed;
        }
    };
    match write_atomically(&target, formatted.as_bytes()) {
        Ok(()) => Outcome::Ok,
        Err(err) => {
            eprintln!("error: cannot write {name}: {err}");
            Outcome::Failed
        }
    }
}

fn utf8(bytes: Vec<u8>, name: &str) -> Option<String> {
    match String::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(err) => {
            eprintln!(
                "error: {name} is not valid UTF-8 (at byte {}); Duet source must be UTF-8",
                err.utf8_error().valid_up_to()
            );
            None
        }
    }
}

fn report(name: &str, text: String, diagnostics: &[Diagnostic]) {
    let mut sources = SourceMap::new();
    // The formatter's diagnostics name file 0, the first and only one added here.
    sources.add(SourceFile::new(name, text));
    let style = Style {
        color: io::stderr().is_terminal(),
    };
    eprint!("{}", human(diagnostics, &sources, style));
}

/// Replaces `path` (a real file, not a link) with `contents` by writing a temporary file next
/// to it and renaming it over the original, so the file is never seen half written. Keeps
/// the file's permissions.
fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy());
    let permissions = fs::metadata(path)?.permissions();
    for attempt in 0u32.. {
        let tmp = dir.join(format!(
            ".{file_name}.duet-fmt-{}-{attempt}.tmp",
            std::process::id()
        ));
        let mut out = match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(out) => out,
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => continue,
            Err(err) => return Err(err),
        };
        let written = out
            .write_all(contents)
            .and_then(|()| out.sync_all())
            .and_then(|()| fs::set_permissions(&tmp, permissions.clone()))
            .and_then(|()| fs::rename(&tmp, path));
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        return written;
    }
    unreachable!("the loop returns")
}
