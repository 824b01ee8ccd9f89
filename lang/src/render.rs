//! Rendering diagnostics: for people with ariadne, and as JSON for tools.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use ariadne::{Color, Config, IndexType, Label, Report, ReportKind};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{SourceFile, SourceMap};
use crate::span::Span;

/// How to draw human-readable output.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Use ANSI colours.
    pub color: bool,
}

/// Diagnostics drawn in full by one call of [`human`] at most; the rest are counted.
pub const MAX_SHOWN: usize = 50;
/// Diagnostics with the same code drawn in full by one call of [`human`] at most.
pub const MAX_SHOWN_PER_CODE: usize = 10;
/// Source lines longer than this many bytes are shown as windows around the places a
/// diagnostic points at, joined by `…`.
const LONG_LINE: usize = 200;
/// Bytes of a long line kept on each side of such a place.
const WINDOW: usize = 40;
/// Messages, labels and help longer than this many characters are cut with `…`.
const MAX_TEXT: usize = 500;

/// Renders diagnostics the way `duet check` prints them, each followed by a blank line.
/// The output stays small whatever the input: at most [`MAX_SHOWN`] diagnostics, at most
/// [`MAX_SHOWN_PER_CODE`] of each code (errors before warnings), long lines cut to the
/// places that matter; a closing note counts what was left out.
pub fn human(diagnostics: &[Diagnostic], sources: &SourceMap, style: Style) -> String {
    let shown = choose(diagnostics);
    let mut out = String::new();
    for (diagnostic, show) in diagnostics.iter().zip(&shown) {
        if *show {
            out.push_str(&report(diagnostic, sources, style));
            out.push('\n');
        }
    }
    let hidden: Vec<&Diagnostic> = diagnostics
        .iter()
        .zip(&shown)
        .filter(|(_, show)| !**show)
        .map(|(d, _)| d)
        .collect();
    if !hidden.is_empty() {
        out.push_str(&hidden_note(&hidden));
    }
    out
}

/// Which diagnostics to draw: errors first, then warnings, within the caps.
fn choose(diagnostics: &[Diagnostic]) -> Vec<bool> {
    let mut shown = vec![false; diagnostics.len()];
    let mut total = 0;
    let mut per_code: BTreeMap<&str, usize> = BTreeMap::new();
    for severity in [Severity::Error, Severity::Warning] {
        for (i, d) in diagnostics.iter().enumerate() {
            if d.severity() != severity || total >= MAX_SHOWN {
                continue;
            }
            let n = per_code.entry(d.code.id).or_default();
            if *n < MAX_SHOWN_PER_CODE {
                *n += 1;
                total += 1;
                shown[i] = true;
            }
        }
    }
    shown
}

/// "… 2,988 more not shown: …" for the diagnostics [`choose`] left out.
fn hidden_note(hidden: &[&Diagnostic]) -> String {
    let mut by_code: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for d in hidden {
        *by_code.entry((d.code.id, d.code.name)).or_default() += 1;
    }
    let counts: Vec<String> = by_code
        .iter()
        .map(|((id, name), n)| format!("{n} × {id} {name}"))
        .collect();
    format!(
        "note: {} more {} not shown ({}); `duet check --format json` lists every one\n\n",
        hidden.len(),
        if hidden.len() == 1 {
            "diagnostic"
        } else {
            "diagnostics"
        },
        counts.join(", ")
    )
}

/// `text` cut to [`MAX_TEXT`] characters.
fn bounded(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(MAX_TEXT) {
        Some((cut, _)) => Cow::Owned(format!("{}…", &text[..cut])),
        None => Cow::Borrowed(text),
    }
}

/// One labelled place of a report.
struct Place<'a> {
    file: &'a SourceFile,
    range: std::ops::Range<usize>,
    message: Option<&'a str>,
    color: Color,
}

/// The part of a file a report shows: the lines it points into, long ones cut to windows
/// around the places, the other lines empty (ariadne does not show them).
struct Excerpt {
    text: String,
    /// Offsets in the file of the places' ends, and where they are in the excerpt.
    map: BTreeMap<usize, usize>,
}

impl Excerpt {
    fn new(file: &SourceFile, points: &[usize]) -> Excerpt {
        let len = file.text.len();
        let mut by_line: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        // The end of a file that ends in a line break is, for ariadne, the end of the last
        // line, not an empty line after it.
        let at_end = |p: usize| p == len && file.text.ends_with('\n');
        for &p in points {
            let p = p.min(len);
            let line = if at_end(p) {
                file.line_index(p - 1)
            } else {
                file.line_index(p)
            };
            by_line.entry(line).or_default().push(p);
        }
        let first_line = by_line.keys().next().copied().unwrap_or(0);
        let last_line = by_line.keys().next_back().copied().unwrap_or(0);
        // Empty lines before the first one keep ariadne's line numbers right.
        let mut text = "\n".repeat(first_line);
        let mut map = BTreeMap::new();
        for line in first_line..=last_line {
            if line > first_line {
                text.push('\n');
            }
            let Some(line_points) = by_line.get(&line) else {
                continue;
            };
            let (start, end) = file.line_bounds(line);
            let content = &file.text[start..end];
            let base = text.len();
            if content.len() <= LONG_LINE {
                push_plain(&mut text, content);
                for &p in line_points {
                    let at = if at_end(p) {
                        // Past the line break added below.
                        base + content.len() + 1
                    } else {
                        base + (p - start).min(content.len())
                    };
                    map.insert(p, at);
                }
                continue;
            }
            // Windows around each place, merged, on character boundaries.
            let mut windows: Vec<(usize, usize)> = Vec::new();
            let mut relative: Vec<usize> = line_points
                .iter()
                .map(|p| (p - start).min(content.len()))
                .collect();
            relative.sort_unstable();
            for &p in &relative {
                let mut from = p.saturating_sub(WINDOW);
                while !content.is_char_boundary(from) {
                    from -= 1;
                }
                let mut to = (p + WINDOW).min(content.len());
                while !content.is_char_boundary(to) {
                    to += 1;
                }
                match windows.last_mut() {
                    Some((_, last_to)) if from <= *last_to => *last_to = (*last_to).max(to),
                    _ => windows.push((from, to)),
                }
            }
            for (i, &(from, to)) in windows.iter().enumerate() {
                if i > 0 || from > 0 {
                    text.push('…');
                }
                let window_base = text.len();
                push_plain(&mut text, &content[from..to]);
                for &p in relative.iter().filter(|&&p| from <= p && p <= to) {
                    map.insert(start + p, window_base + p - from);
                }
            }
            if windows.last().is_some_and(|&(_, to)| to < content.len()) {
                text.push('…');
            }
            for &p in line_points.iter().filter(|&&p| at_end(p)) {
                map.insert(p, text.len() + 1);
            }
        }
        if file.line_bounds(last_line).1 < len {
            text.push('\n');
        }
        Excerpt { text, map }
    }

    /// Where the file offset `p` (one of the points) is in the excerpt.
    fn at(&self, p: usize) -> usize {
        self.map.get(&p).copied().unwrap_or(0)
    }

    /// `line:column` as ariadne will work it out from the excerpt, for the point `p`.
    fn location(&self, p: usize) -> (usize, usize) {
        let at = self.at(p).min(self.text.len());
        let before = &self.text[..at];
        let line = before.matches('\n').count();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line + 1, before[line_start..].chars().count() + 1)
    }
}

/// Appends a line's text with the characters ariadne would take for line breaks (but the
/// file's line table does not) replaced by spaces, and characters that cannot be seen or
/// that reorder the text around them (a bidirectional override would scramble the report)
/// replaced by `�`, each replacement as long in bytes as what it replaces.
fn push_plain(out: &mut String, line: &str) {
    for c in line.chars() {
        match c {
            '\r' | '\x0B' | '\x0C' | '\u{0085}' | '\u{2028}' | '\u{2029}' => {
                out.extend(std::iter::repeat_n(' ', c.len_utf8()));
            }
            ' ' | '\t' => out.push(c),
            c if crate::syntax::datum::hidden_character(c).is_some() => match c.len_utf8() {
                1 => out.push('?'),
                2 => out.push('·'),
                n => {
                    out.push('\u{FFFD}');
                    out.extend(std::iter::repeat_n(' ', n - 3));
                }
            },
            c => out.push(c),
        }
    }
}

/// Draws one report: each place shown in an [`Excerpt`] of its file, so neither the size of
/// the file nor the length of its lines makes the output large.
fn draw(
    kind: ReportKind,
    code: Option<&str>,
    message: &str,
    places: &[Place],
    help: Option<&str>,
    color: bool,
) -> Option<String> {
    let primary = places.first()?;
    // The files in order of first appearance, with every place's ends.
    let mut files: Vec<(&SourceFile, Vec<usize>)> = Vec::new();
    for place in places {
        let points = [place.range.start, place.range.end];
        match files.iter_mut().find(|(f, _)| std::ptr::eq(*f, place.file)) {
            Some((_, ps)) => ps.extend(points),
            None => files.push((place.file, points.to_vec())),
        }
    }
    // ariadne names sources by their display name; files with the same name (which the
    // source map does not rule out) get distinct ids.
    let ids: Vec<String> = files
        .iter()
        .enumerate()
        .map(|(i, (f, _))| {
            if files[..i].iter().any(|(g, _)| g.name == f.name) {
                format!("{} ({})", f.name, i + 1)
            } else {
                f.name.clone()
            }
        })
        .collect();
    let excerpts: Vec<Excerpt> = files
        .iter()
        .map(|(f, points)| Excerpt::new(f, points))
        .collect();
    let index = |file: &SourceFile| {
        files
            .iter()
            .position(|(f, _)| std::ptr::eq(*f, file))
            .unwrap_or(0)
    };
    let span = |place: &Place| {
        let i = index(place.file);
        let e = &excerpts[i];
        let start = e.at(place.range.start);
        (ids[i].clone(), start..e.at(place.range.end).max(start))
    };
    // ariadne starts a new snippet whenever a label lies above the previous one, so order
    // the labels by position to keep labels in one file in one snippet.
    let mut order: Vec<usize> = (0..places.len()).collect();
    order.sort_by_key(|&i| (index(places[i].file), places[i].range.start));
    let config = Config::default()
        .with_color(color)
        .with_index_type(IndexType::Byte)
        .with_tab_width(4);
    let mut report = Report::build(kind, span(primary))
        .with_config(config)
        .with_message(bounded(message));
    if let Some(code) = code {
        report = report.with_code(code);
    }
    for (i, place) in places.iter().enumerate() {
        let rank = order.iter().position(|&j| j == i).unwrap_or(0) as i32;
        let label = Label::new(span(place))
            .with_color(place.color)
            .with_order(rank);
        report = report.with_label(match place.message {
            Some(text) => label.with_message(bounded(text)),
            None => label,
        });
    }
    if let Some(help) = help {
        report = report.with_help(bounded(help));
    }
    let cache = Excerpts(
        ids.iter()
            .zip(&excerpts)
            .map(|(id, e)| (id.clone(), ariadne::Source::from(e.text.clone())))
            .collect(),
    );
    let mut out = Vec::new();
    report.finish().write(cache, &mut out).ok()?;
    let mut text = String::from_utf8_lossy(&out).into_owned();
    // ariadne heads each file's snippet with `name:line:column` worked out from the
    // excerpt, which is wrong for a cut line: put the file's own numbers there.
    for (i, (file, _)) in files.iter().enumerate() {
        let at = if i == 0 {
            primary.range.start
        } else {
            places
                .iter()
                .find(|p| std::ptr::eq(p.file, *file))
                .map_or(0, |p| p.range.start)
        };
        let (line, col) = excerpts[i].location(at);
        let (true_line, true_col) = file.line_col(at);
        if (line, col) != (true_line, true_col) {
            let shown = format!(" {}:{line}:{col} ", ids[i]);
            let right = format!(" {}:{true_line}:{true_col} ", ids[i]);
            text = text.replacen(&shown, &right, 1);
        }
    }
    Some(text)
}

/// The excerpts of one report, by the ids its labels use.
struct Excerpts(Vec<(String, ariadne::Source)>);

impl ariadne::Cache<String> for Excerpts {
    type Storage = String;

    fn fetch(&mut self, id: &String) -> Result<&ariadne::Source, impl std::fmt::Debug> {
        self.0
            .iter()
            .find(|(name, _)| name == id)
            .map(|(_, source)| source)
            .ok_or_else(|| format!("no excerpt of `{id}`"))
    }

    fn display<'a>(&self, id: &'a String) -> Option<impl std::fmt::Display + 'a> {
        Some(id)
    }
}

fn report(diagnostic: &Diagnostic, sources: &SourceMap, style: Style) -> String {
    let kind = match diagnostic.severity() {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let primary_color = match diagnostic.severity() {
        Severity::Error => Color::Red,
        Severity::Warning => Color::Yellow,
    };
    let mut places = vec![Place {
        file: sources.get(diagnostic.span.file),
        range: diagnostic.span.range.as_range(),
        message: diagnostic.label.as_deref(),
        color: primary_color,
    }];
    for label in &diagnostic.secondary {
        places.push(Place {
            file: sources.get(label.span.file),
            range: label.span.range.as_range(),
            message: Some(&label.message),
            color: Color::Blue,
        });
    }
    match draw(
        kind,
        Some(diagnostic.code.id),
        &diagnostic.message,
        &places,
        diagnostic.help.as_deref(),
        style.color,
    ) {
        Some(text) => text,
        None => {
            let file = sources.get(diagnostic.span.file);
            let (line, col) = file.line_col(diagnostic.span.range.start as usize);
            format!(
                "{}[{}]: {} ({}:{line}:{col})\n",
                diagnostic.severity().as_str(),
                diagnostic.code.id,
                bounded(&diagnostic.message),
                file.name
            )
        }
    }
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
/// (runtime errors). `range` is in bytes. Long lines and long titles are cut as in [`human`].
pub fn snippet(
    file: &crate::source::SourceFile,
    range: std::ops::Range<usize>,
    title: &str,
    label: &str,
    color: bool,
) -> String {
    let end = range.end.min(file.text.len());
    let range = range.start.min(end)..end;
    let place = Place {
        file,
        range,
        message: Some(label),
        color: Color::Red,
    };
    draw(ReportKind::Error, None, title, &[place], None, color)
        .unwrap_or_else(|| format!("error: {}\n", bounded(title)))
}
