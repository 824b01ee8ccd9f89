//! Rendering diagnostics: for people with ariadne, and as JSON for tools.

use std::fmt::Write as _;

use ariadne::{Color, Config, IndexType, Label, Report, ReportKind};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceMap;
use crate::span::Span;

/// How to draw human-readable output.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Use ANSI colours.
    pub color: bool,
}

type AriadneSpan = (String, std::ops::Range<usize>);

fn ariadne_span(sources: &SourceMap, span: Span) -> AriadneSpan {
    (sources.get(span.file).name.clone(), span.range.as_range())
}

/// Renders diagnostics the way `duet check` prints them, each followed by a blank line.
pub fn human(diagnostics: &[Diagnostic], sources: &SourceMap, style: Style) -> String {
    let mut cache = ariadne::sources(
        sources
            .iter()
            .map(|(_, f)| (f.name.clone(), f.text.as_str())),
    );
    let mut out = String::new();
    for diagnostic in diagnostics {
        out.push_str(&report(diagnostic, sources, style, &mut cache));
        out.push('\n');
    }
    out
}

fn report(
    diagnostic: &Diagnostic,
    sources: &SourceMap,
    style: Style,
    cache: &mut impl ariadne::Cache<String>,
) -> String {
    let kind = match diagnostic.severity() {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let primary_color = match diagnostic.severity() {
        Severity::Error => Color::Red,
        Severity::Warning => Color::Yellow,
    };
    let config = Config::default()
        .with_color(style.color)
        .with_index_type(IndexType::Byte)
        .with_tab_width(4);
    // ariadne starts a new snippet whenever a label lies above the previous one, so order
    // the labels by position to keep labels in one file in one snippet.
    let mut spans: Vec<_> = std::iter::once(diagnostic.span)
        .chain(diagnostic.secondary.iter().map(|l| l.span))
        .collect();
    spans.sort_by_key(|s| (s.file, s.range.start));
    let order = |span: Span| spans.iter().position(|s| *s == span).unwrap_or(0) as i32;
    let primary = Label::new(ariadne_span(sources, diagnostic.span))
        .with_color(primary_color)
        .with_order(order(diagnostic.span));
    let primary = match &diagnostic.label {
        Some(text) => primary.with_message(text),
        None => primary,
    };
    let mut report = Report::build(kind, ariadne_span(sources, diagnostic.span))
        .with_config(config)
        .with_code(diagnostic.code.id)
        .with_message(&diagnostic.message)
        .with_label(primary);
    for label in &diagnostic.secondary {
        report = report.with_label(
            Label::new(ariadne_span(sources, label.span))
                .with_message(&label.message)
                .with_color(Color::Blue)
                .with_order(order(label.span)),
        );
    }
    if let Some(help) = &diagnostic.help {
        report = report.with_help(help);
    }
    let mut out = Vec::new();
    // Writing into a Vec cannot fail, and every span names a file in the cache.
    if report.finish().write(cache, &mut out).is_err() {
        let (line, col) = sources
            .get(diagnostic.span.file)
            .line_col(diagnostic.span.range.start as usize);
        return format!(
            "{}[{}]: {} ({}:{line}:{col})\n",
            diagnostic.severity().as_str(),
            diagnostic.code.id,
            diagnostic.message,
            sources.get(diagnostic.span.file).name
        );
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The closing line of `duet check`: how many files, errors and warnings.
pub fn summary(files: usize, diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut out = String::new();
    let _ = write!(out, "checked {}: ", plural(files, "file"));
    if errors == 0 && warnings == 0 {
        out.push_str("no problems");
    } else {
        let _ = write!(
            out,
            "{}, {}",
            plural(errors, "error"),
            plural(warnings, "warning")
        );
    }
    out
}

/// A position as JSON consumers want it: 1-based line and column (in characters).
#[derive(Debug, Serialize)]
pub struct JsonPosition {
    /// Path of the file as given on the command line.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counting characters.
    pub column: usize,
    /// 1-based line where the span ends.
    pub end_line: usize,
    /// 1-based column just past the span's end.
    pub end_column: usize,
}

/// A secondary label in JSON output.
#[derive(Debug, Serialize)]
pub struct JsonLabel {
    /// Where.
    #[serde(flatten)]
    pub position: JsonPosition,
    /// What it says.
    pub message: String,
}

/// One diagnostic in `duet check --format json` output.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic {
    /// Where the problem is.
    #[serde(flatten)]
    pub position: JsonPosition,
    /// The code, e.g. `E0301`.
    pub code: &'static str,
    /// `error` or `warning`.
    pub severity: &'static str,
    /// What went wrong.
    pub message: String,
    /// The text under the primary span.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Other places involved.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<JsonLabel>,
    /// What to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

fn position(sources: &SourceMap, span: Span) -> JsonPosition {
    let file = sources.get(span.file);
    let (line, column) = file.line_col(span.range.start as usize);
    let (end_line, end_column) = file.line_col(span.range.end as usize);
    JsonPosition {
        file: file.name.clone(),
        line,
        column,
        end_line,
        end_column,
    }
}

/// The JSON form of a diagnostic.
pub fn json(diagnostic: &Diagnostic, sources: &SourceMap) -> JsonDiagnostic {
    JsonDiagnostic {
        position: position(sources, diagnostic.span),
        code: diagnostic.code.id,
        severity: diagnostic.severity().as_str(),
        message: diagnostic.message.clone(),
        label: diagnostic.label.clone(),
        labels: diagnostic
            .secondary
            .iter()
            .map(|l| JsonLabel {
                position: position(sources, l.span),
                message: l.message.clone(),
            })
            .collect(),
        help: diagnostic.help.clone(),
    }
}

/// A titled source snippet with one labelled range, for reports that are not diagnostics
/// (runtime errors). `range` is in bytes.
pub fn snippet(
    file: &crate::source::SourceFile,
    range: std::ops::Range<usize>,
    title: &str,
    label: &str,
    color: bool,
) -> String {
    let end = range.end.min(file.text.len());
    let range = range.start.min(end)..end;
    let mut out = Vec::new();
    let written = Report::build(ReportKind::Error, (file.name.clone(), range.clone()))
        .with_config(
            Config::default()
                .with_color(color)
                .with_index_type(IndexType::Byte),
        )
        .with_message(title)
        .with_label(
            Label::new((file.name.clone(), range))
                .with_color(Color::Red)
                .with_message(label),
        )
        .finish()
        .write(
            ariadne::sources([(file.name.clone(), file.text.as_str())]),
            &mut out,
        );
    match written {
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        Err(_) => format!("error: {title}\n"),
    }
}
