//! Runtime errors for people: the message, the source line of the form that raised it, and
//! a backtrace of the calls that led there.

use std::collections::BTreeMap;

use duet_lang::ir::{Program, SourceSpan};
use duet_lang::render;
use duet_lang::source::SourceFile;
use duet_runtime::session::Session;
use duet_runtime::workflow::entity::TracePoint;
use duet_vm::{RuntimeError, TraceFrame};

/// Backtraces longer than this are cut.
const MAX_TRACE_LINES: usize = 30;

/// A runtime error of a program run in `session`, for people: with the source line and
/// backtrace.
pub fn session_error(session: &Session, error: &RuntimeError, color: bool) -> String {
    // The message may quote a file, a command or an agent: its control characters are shown.
    let title = format!(
        "{} [{}]",
        super::visible::escaped(&error.message),
        error.kind
    );
    runtime_error(&title, error, session.program(), session.files(), color)
}

/// The uncaught error `message` that failed a workflow run, for people: with the source
/// line of the innermost frame of `trace` and the backtrace, the sources read from the
/// files the trace names as they are now (a file that no longer reads shows no line).
pub fn workflow_failure(message: &str, trace: &[TracePoint], color: bool) -> String {
    let mut program = Program::default();
    let mut files = BTreeMap::new();
    let mut backtrace = Vec::new();
    for point in trace {
        let index = match program.files.iter().position(|f| *f == point.file) {
            Some(index) => index,
            None => {
                program.files.push(point.file.clone());
                if let Ok(text) = std::fs::read_to_string(&point.file) {
                    files.insert(point.file.clone(), SourceFile::new(&point.file, text));
                }
                program.files.len() - 1
            }
        };
        backtrace.push(TraceFrame {
            function: point.function.clone(),
            span: SourceSpan {
                file: u16::try_from(index).unwrap_or(u16::MAX),
                start: point.start,
                end: point.end,
            },
        });
    }
    let error = RuntimeError {
        value: duet_vm::value::Value::Nil,
        kind: String::new(),
        message: message.to_string(),
        backtrace,
    };
    // The message may quote an agent or a command: one line, so nothing it says can pass
    // for a line of duet's own.
    let title = super::visible::one_line(message);
    runtime_error(&title, &error, &program, &files, color)
}

/// Renders `error`, headed `title`, against the sources of `program` (by file name).
fn runtime_error(
    title: &str,
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
    // The source line shown is the user's: an error raised inside the standard library
    // (`(map 5 xs)` fails in `std/prelude`) is shown at the program's call that led there.
    let user = |frame: &&TraceFrame| {
        program
            .files
            .get(frame.span.file as usize)
            .is_some_and(|name| !name.starts_with("std/"))
    };
    let shown = error.backtrace.iter().find(user);
    let label = match (shown, error.backtrace.first()) {
        (Some(shown), Some(top)) if shown != top => {
            format!("raised in `{}`, called here", top.function)
        }
        _ => "raised here".to_string(),
    };
    let snippet = shown.or(error.backtrace.first()).and_then(|frame| {
        let file = files.get(program.files.get(frame.span.file as usize)?)?;
        Some(render::snippet(
            file,
            frame.span.start as usize..frame.span.end as usize,
            title,
            &label,
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
