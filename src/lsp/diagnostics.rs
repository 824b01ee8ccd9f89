//! `duet check`'s diagnostics as LSP diagnostics: same code, message and severity; the label
//! and the help are appended to the message; secondary labels become related information.
//!
//! A diagnostic in an imported file is shown on the `import` form of the document that
//! brought the file in, with the real place as related information, so each document's
//! diagnostics stay its own (no publishing into other files' URIs).

use std::path::Path;

use duet_lang::codes;
use duet_lang::diagnostic::{Diagnostic, Severity};
use duet_lang::span::{FileId, Span};
use lsp_types::{
    Diagnostic as LspDiagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag,
    NumberOrString,
};

use super::analysis::{Analysis, MAIN};
use super::syntax;

/// The LSP diagnostics of an analysis, in source order.
pub fn diagnostics(analysis: &Analysis) -> Vec<LspDiagnostic> {
    let imports = import_spans(analysis);
    analysis
        .checked
        .diagnostics
        .iter()
        .map(|d| convert(analysis, d, &imports))
        .collect()
}

fn convert(analysis: &Analysis, d: &Diagnostic, imports: &[(FileId, Span)]) -> LspDiagnostic {
    let mut message = d.message.clone();
    if let Some(label) = &d.label {
        message.push('\n');
        message.push_str(label);
    }
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let mut related: Vec<DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .filter_map(|l| {
            Some(DiagnosticRelatedInformation {
                location: analysis.location(l.span)?,
                message: l.message.clone(),
            })
        })
        .collect();
    let range = if d.span.file == MAIN {
        analysis.range(d.span.range)
    } else {
        // Shown on the import that (directly or through other files) read the file.
        let file = analysis.checked.sources.get(d.span.file);
        let (line, col) = file.line_col(d.span.range.start as usize);
        message = format!("in `{}` at {line}:{col}: {message}", file.name);
        if let Some(location) = analysis.location(d.span) {
            related.insert(
                0,
                DiagnosticRelatedInformation {
                    location,
                    message: d.label.clone().unwrap_or_else(|| d.message.clone()),
                },
            );
        }
        let import = imports
            .iter()
            .rev()
            .find(|(id, _)| *id <= d.span.file)
            .map(|(_, span)| span.range);
        analysis.range(import.unwrap_or_default())
    };
    let tags = match d.code.id {
        id if id == codes::UNUSED_BINDING.id || id == codes::UNREACHABLE_CODE.id => {
            Some(vec![DiagnosticTag::UNNECESSARY])
        }
        _ => None,
    };
    LspDiagnostic {
        range,
        severity: Some(match d.severity() {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.id.to_string())),
        code_description: None,
        source: Some("duet".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags,
        data: None,
    }
}

/// The document's top-level `(import …)` forms with the file each one read first, sorted
/// by file id. Files are numbered in the order they are read, depth first, so an imported
/// file belongs to the last direct import with an id not above its own.
fn import_spans(analysis: &Analysis) -> Vec<(FileId, Span)> {
    let text = analysis.text();
    let sources = &analysis.checked.sources;
    let main_name = &sources.get(MAIN).name;
    let mut out: Vec<(FileId, Span)> = analysis
        .tree
        .children
        .iter()
        .filter_map(|c| c.as_node())
        .filter(|n| syntax::head(n, text) == Some("import"))
        .filter_map(|n| {
            let target = syntax::form(n, 1)?;
            let written = text.get(target.range().as_range())?;
            let name = match written.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                Some(path) => Path::new(main_name)
                    .parent()
                    .unwrap_or(Path::new(""))
                    .join(path)
                    .to_string_lossy()
                    .into_owned(),
                None => written.to_string(),
            };
            let id = sources.find(&name)?;
            Some((id, Span::new(MAIN, n.range)))
        })
        .collect();
    out.sort_by_key(|(id, _)| *id);
    out
}
