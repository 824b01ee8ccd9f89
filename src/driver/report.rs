//! Runtime errors for people: the message, the source line of the form that raised it, and
//! a backtrace of the calls that led there.

use std::collections::BTreeMap;

use duet_lang::ir::{Program, SourceSpan};
use duet_lang::render;
use duet_lang::source::SourceFile;
use duet_runtime::vm::RuntimeError;

/// Renders `error` against the sources of `program` (by file name).
pub fn runtime_error(
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
    let title = format!("{} [{}]", error.message, error.kind);
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
        for (i, frame) in error.backtrace.iter().enumerate() {
            match location(frame.span) {
                Some((file, line, col)) => out.push_str(&format!(
                    "  {i}: {} at {file}:{line}:{col}\n",
                    frame.function
                )),
                None => out.push_str(&format!("  {i}: {}\n", frame.function)),
            }
        }
    }
    out
}
