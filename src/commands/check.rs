//! `duet check FILE…`: read, expand, resolve and lint without running.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use duet::driver::{Limits, Session};
use duet_lang::diagnostic::Diagnostic;
use duet_lang::frontend::{self, Checked, FsLoader};
use duet_lang::{codes, render};

use crate::output;

/// How to print diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Source snippets with labels, on standard error.
    Human,
    /// A JSON array on standard output: one object per diagnostic with file, line, column,
    /// end_line, end_column, code, severity, message, and optional label, labels and help.
    Json,
}

/// Arguments of `duet check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files to check; `-` reads standard input.
    #[arg(required_unless_present = "explain")]
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Exit with status 2 when there are warnings, not only errors.
    #[arg(long)]
    deny_warnings: bool,
    /// Print the explanation of a diagnostic code, e.g. `E0301`, and exit.
    #[arg(long, value_name = "CODE", conflicts_with = "files")]
    explain: Option<String>,
}

/// Runs `duet check`. Exit status: 0 clean (warnings allowed), 2 errors, unreadable files,
/// or warnings with `--deny-warnings`.
pub fn run(args: &CheckArgs) -> ExitCode {
    if let Some(code) = &args.explain {
        return explain(code);
    }
    let mut checked: Vec<Checked> = Vec::new();
    let mut unreadable = false;
    for path in &args.files {
        let (name, bytes) = match read(path) {
            Ok(read) => read,
            Err(message) => {
                output::error(&message);
                unreadable = true;
                continue;
            }
        };
        // Each file in a session of its own, so its macros run (they can use only what the
        // file defines; its other top-level forms do not run).
        let mut session = Session::new(Limits::default());
        checked.push(session.check(&name, &bytes, &mut FsLoader));
    }

    let all: Vec<&Diagnostic> = checked.iter().flat_map(|c| &c.diagnostics).collect();
    match args.format {
        Format::Human => {
            let style = render::Style {
                color: output::stderr_color(),
            };
            for c in &checked {
                eprint!("{}", render::human(&c.diagnostics, &c.sources, style));
            }
            let owned: Vec<Diagnostic> = all.iter().map(|d| (*d).clone()).collect();
            eprintln!("{}", render::summary(checked.len(), &owned));
        }
        Format::Json => {
            let json: Vec<render::JsonDiagnostic> = checked
                .iter()
                .flat_map(|c| c.diagnostics.iter().map(|d| render::json(d, &c.sources)))
                .collect();
            match serde_json::to_string_pretty(&json) {
                Ok(text) => println!("{text}"),
                Err(e) => {
                    output::error(&format!("cannot encode diagnostics as JSON: {e}"));
                    return ExitCode::from(2);
                }
            }
        }
    }

    let errors = all.iter().any(|d| d.is_error());
    let warnings = all.iter().any(|d| !d.is_error());
    if unreadable || errors || (args.deny_warnings && warnings) {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// The display name and bytes of a file, or `-` for standard input.
fn read(path: &std::path::Path) -> Result<(String, Vec<u8>), String> {
    let name = path.to_string_lossy().into_owned();
    if name == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(frontend::MAX_SOURCE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {}", frontend::io_reason(&e)))?;
        if bytes.len() as u64 > frontend::MAX_SOURCE_BYTES {
            return Err(format!(
                "cannot read standard input: it is larger than {} MiB, the most a source file may be",
                frontend::MAX_SOURCE_BYTES >> 20
            ));
        }
        return Ok(("<stdin>".into(), bytes));
    }
    frontend::read_source(path).map(|bytes| (name, bytes))
}

fn explain(code: &str) -> ExitCode {
    match codes::lookup(code) {
        Some(c) => {
            println!(
                "{} {} ({})\n\n{}",
                c.id,
                c.name,
                c.severity.as_str(),
                c.explanation
            );
            ExitCode::SUCCESS
        }
        None => {
            output::error(&format!(
                "there is no diagnostic code `{code}`; codes look like E0301 or W0001"
            ));
            ExitCode::from(2)
        }
    }
}
