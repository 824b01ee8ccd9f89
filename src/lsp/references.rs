//! Find references and document highlights: every occurrence of the name under the cursor,
//! in the document and the files it imports.

use lsp_types::{DocumentHighlight, DocumentHighlightKind, Location};

use super::analysis::{Analysis, MAIN};

/// Every place the name at byte `offset` occurs; its declaration too when asked.
pub fn references(a: &Analysis, offset: usize, include_declaration: bool) -> Vec<Location> {
    let Some(occurrence) = a.occurrence_at(offset) else {
        return Vec::new();
    };
    a.occurrences_of(&occurrence.symbol)
        .filter(|o| include_declaration || !o.declaration)
        .filter_map(|o| a.location(o.span))
        .collect()
}

/// The occurrences in the document of the name at byte `offset`: declarations as writes,
/// uses as reads.
pub fn highlights(a: &Analysis, offset: usize) -> Vec<DocumentHighlight> {
    let Some(occurrence) = a.occurrence_at(offset) else {
        return Vec::new();
    };
    a.occurrences_of(&occurrence.symbol)
        .filter(|o| o.span.file == MAIN)
        .map(|o| DocumentHighlight {
            range: a.range(o.span.range),
            kind: Some(if o.declaration {
                DocumentHighlightKind::WRITE
            } else {
                DocumentHighlightKind::READ
            }),
        })
        .collect()
}
