//! Document symbols: top-level definitions, and each workflow with its roles, variables and
//! states as children.

use duet_lang::core::DefinitionKind;
use duet_lang::span::TextRange;
use lsp_types::{DocumentSymbol, SymbolKind};

use super::analysis::{Analysis, MAIN};

/// The outline of the document, in source order.
pub fn document_symbols(a: &Analysis) -> Vec<DocumentSymbol> {
    let module = a.module();
    let mut out = Vec::new();
    for d in module.definitions.iter().filter(|d| d.span.file == MAIN) {
        let (kind, detail) = match d.kind {
            DefinitionKind::Function => (SymbolKind::FUNCTION, "defn"),
            DefinitionKind::Value => (SymbolKind::VARIABLE, "def"),
            DefinitionKind::Macro => (SymbolKind::FUNCTION, "defmacro"),
        };
        let range = toplevel_range(a, d.span.range);
        out.push(symbol(a, &d.name, detail, kind, range, d.span.range, None));
    }
    for (w, wf) in module.workflows.iter().enumerate() {
        if wf.span.file != MAIN {
            continue;
        }
        let mut children = Vec::new();
        for role in &wf.roles {
            let kind = role
                .options
                .iter()
                .find(|(k, _)| k == "agent-kind")
                .map(|(_, v)| a.slice(v.span).to_string())
                .unwrap_or_else(|| "role".into());
            children.push(symbol(
                a,
                &role.name,
                &kind,
                SymbolKind::PROPERTY,
                role.span.range,
                role.name_span.range,
                None,
            ));
        }
        for var in &wf.vars {
            children.push(symbol(
                a,
                &var.name,
                "workflow variable",
                SymbolKind::VARIABLE,
                var.span.range.cover(var.init.span.range),
                var.span.range,
                None,
            ));
        }
        for (i, state) in wf.states.iter().enumerate() {
            children.push(symbol(
                a,
                &state.name,
                if i == 0 { "state (start)" } else { "state" },
                SymbolKind::ENUM_MEMBER,
                state.span.range,
                state.name_span.range,
                None,
            ));
        }
        children.sort_by_key(|s| (s.range.start.line, s.range.start.character));
        let selection = a
            .workflow_names
            .get(w)
            .copied()
            .flatten()
            .map_or(wf.span.range, |s| s.range);
        out.push(symbol(
            a,
            &wf.name,
            "workflow",
            SymbolKind::MODULE,
            wf.span.range,
            selection,
            Some(children),
        ));
    }
    out.sort_by_key(|s| (s.range.start.line, s.range.start.character));
    out
}

/// The whole top-level form that contains `name`.
fn toplevel_range(a: &Analysis, name: TextRange) -> TextRange {
    a.tree
        .children
        .iter()
        .filter_map(|c| c.as_node())
        .find(|n| n.range.start <= name.start && name.end <= n.range.end)
        .map_or(name, |n| n.range)
}

fn symbol(
    a: &Analysis,
    name: &str,
    detail: &str,
    kind: SymbolKind,
    range: TextRange,
    selection: TextRange,
    children: Option<Vec<DocumentSymbol>>,
) -> DocumentSymbol {
    #[allow(deprecated)]
    DocumentSymbol {
        name: if name.is_empty() {
            "?".into()
        } else {
            name.into()
        },
        detail: Some(detail.into()),
        kind,
        tags: None,
        deprecated: None,
        range: a.range(range.cover(selection)),
        selection_range: a.range(selection),
        children,
    }
}
