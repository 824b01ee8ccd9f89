//! Go to definition: from a use of a function, global, local, role, workflow variable or
//! state (in a `goto`) to where it is declared. On a declaration, the declaration itself.

use lsp_types::Location;

use super::analysis::Analysis;

/// Where the name at byte `offset` of the document is declared.
pub fn definition(a: &Analysis, offset: usize) -> Option<Location> {
    let occurrence = a.occurrence_at(offset)?;
    let span = if occurrence.declaration {
        occurrence.span
    } else {
        a.declaration(&occurrence.symbol)?
    };
    a.location(span)
}
