//! Runtime errors for people: the message, the source line of the form that raised it, and
//! a backtrace of the calls that led there.

use std::collections::BTreeMap;

use duet_lang::ir::{Program, SourceSpan};
use duet_lang::render;
use duet_lang::source::SourceFile;
use duet_runtime::session::Session;
use duet_vm::RuntimeError;

/// Backtraces longer than this are cut.
const MAX_TRACE_LINES: usize = 30;

/// A runtime error of a program run in `session`, for people: with the source line and
/// backtrace.
pub fn session_error(session: &Session, error: &RuntimeError, color: bool) -> String {
    runtime_error(error, session.program(), session.files(), color)
}

/// Renders `error` against the sources of `program` (by file name).
fn runtime_error(
    error: &RuntimeError,
    program: &Program,
    files: &BTreeMap<String, SourceFile>,
    color: bool,
) -> String {
    let mut out = String::new();
    let location = |span: SourceSpan| -> Option<(String, usize, usize)> {
        let name = program.files.get(span.file as usize)?;
        let file = files.get(name)?;
        let (line, col) = file.line_col(span.start as usize);
        Some((name.clone(), line, col))
    };
    // The message may quote a file, a command or an agent: its control characters are shown.
    let title = format!(
        "{} [{}]",
        super::visible::escaped(&error.message),
        error.kind
    );
    let snippet = error.backtrace.first().and_then(|top| {
        let file = files.get(program.files.get(top.span.file as usize)?)?;
        Some(render::snippet(
            file,
            top.span.start as usize..top.span.end as usize,
            &title,
            "raised here",
            color,
        ))
    });
    match snippet {
        Some(s) => out.push_str(&s),
        None => out.push_str(&format!("error: {title}\n")),
    }
    if !error.backtrace.is_empty() {
        out.push_str("backtrace (most recent call first):\n");
        // Runs of the same frame (deep recursion) print once with a count.
        let mut runs: Vec<(&duet_vm::TraceFrame, usize)> = Vec::new();
        for frame in &error.backtrace {
            match runs.last_mut() {
                Some((last, n)) if *last == frame => *n += 1,
                _ => runs.push((frame, 1)),
            }
        }
        let shown = runs.len().min(MAX_TRACE_LINES);
        for (frame, n) in &runs[..shown] {
            let place = match location(frame.span) {
                Some((file, line, col)) => format!("{} at {file}:{line}:{col}", frame.function),
                None => frame.function.clone(),
            };
            if *n > 1 {
                out.push_str(&format!("  {place} (×{n})\n"));
            } else {
                out.push_str(&format!("  {place}\n"));
            }
        }
        if runs.len() > shown {
            let hidden: usize = runs[shown..].iter().map(|(_, n)| n).sum();
            out.push_str(&format!("  … and {hidden} more frames\n"));
        }
    }
    out
}
