//! Rename: locals, states, globals, roles, workflow variables and workflows, everywhere the
//! analysis resolved them (the document and imported files on disk). Builtins, special forms
//! and definitions from the standard library cannot be renamed, and neither can anything be
//! renamed in a way that changes what a name means (`meaning.rs`).
//!
//! Not seen: names inside calls to user macros, which are not expanded while checking, and
//! files that import the document (the server only knows what the document imports).

use duet_lang::special_forms;
use std::collections::HashMap;

use duet_lang::builtins;
use duet_lang::span::TextRange;
use duet_lang::syntax::lexer::{self, TokenKind};
use lsp_types::{PrepareRenameResponse, Range, TextEdit, Uri, WorkspaceEdit};

use super::analysis::{Analysis, Occurrence, Symbol};
use super::meaning;
use super::syntax;

/// Why a rename cannot happen, shown to the user.
pub type Refusal = String;

/// The range of the name to rename at `offset`, `None` when there is no name there, or why it
/// cannot be renamed.
pub fn prepare(a: &Analysis, offset: usize) -> Result<Option<PrepareRenameResponse>, Refusal> {
    let Some(occurrence) = renamable(a, offset)? else {
        return Ok(None);
    };
    let span = occurrence.span;
    let range = name_range(a, span.range.start as usize, span.range.end as usize);
    Ok(Some(PrepareRenameResponse::RangeWithPlaceholder {
        range,
        placeholder: a.name(&occurrence.symbol),
    }))
}

/// The edits that rename the name at `offset` to `new_name`.
// `WorkspaceEdit` keys its changes by `Uri`, whose hash is that of its text, which never
// changes once parsed; clippy cannot see through the parser's lazily filled fields.
#[allow(clippy::mutable_key_type)]
pub fn rename(
    a: &Analysis,
    offset: usize,
    new_name: &str,
) -> Result<Option<WorkspaceEdit>, Refusal> {
    let Some(occurrence) = renamable(a, offset)? else {
        return Ok(None);
    };
    let symbol = occurrence.symbol.clone();
    let new_name = match (&symbol, new_name.strip_prefix('?')) {
        (Symbol::Local(_), Some(bare)) => bare,
        _ => new_name,
    };
    check_name(new_name)?;
    check_collision(a, &symbol, new_name)?;
    let old_name = a.name(&symbol);
    let mut replaced = Vec::new();
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for o in a.occurrences_of(&symbol) {
        let Some(location) = a.location(o.span) else {
            return Err(format!(
                "`{}` is also used in `{}`, which cannot be edited",
                a.name(&symbol),
                a.checked.sources.get(o.span.file).name
            ));
        };
        let mut range = location.range;
        let mut span = o.span;
        if a.slice(o.span).starts_with('?') && !old_name.starts_with('?') {
            // A pattern binding `?x`: keep the `?`.
            range.start.character += 1;
            span.range = TextRange::new(span.range.start as usize + 1, span.range.end as usize);
        }
        replaced.push(span);
        changes.entry(location.uri).or_default().push(TextEdit {
            range,
            new_text: new_name.to_string(),
        });
    }
    meaning::check(a, &replaced, &old_name, new_name)?;
    Ok(Some(WorkspaceEdit {
        changes: Some(changes),
        ..WorkspaceEdit::default()
    }))
}

/// The occurrence at `offset` if it can be renamed.
fn renamable(a: &Analysis, offset: usize) -> Result<Option<&Occurrence>, Refusal> {
    let Some(occurrence) = a.occurrence_at(offset) else {
        if let Some(atom) = syntax::atom_at(&a.tree, offset) {
            let word = a.slice(duet_lang::span::Span::new(
                super::analysis::MAIN,
                atom.range,
            ));
            if special_forms::describe(word).is_some() {
                return Err(format!("`{word}` is a special form and cannot be renamed"));
            }
            if builtins::lookup(word).is_some() {
                return Err(format!(
                    "`{word}` is a builtin function and cannot be renamed"
                ));
            }
        }
        return Ok(None);
    };
    if let Symbol::Builtin(name) = occurrence.symbol {
        return Err(format!(
            "`{name}` is a builtin function and cannot be renamed"
        ));
    }
    if let Some(span) = a.declaration(&occurrence.symbol) {
        let file = &a.checked.sources.get(span.file).name;
        if file.starts_with("std/") {
            return Err(format!(
                "`{}` is defined in the standard library (`{file}`) and cannot be renamed",
                a.name(&occurrence.symbol)
            ));
        }
    }
    Ok(Some(occurrence))
}

/// The range of a name in the document, without the `?` of a pattern binding.
fn name_range(a: &Analysis, start: usize, end: usize) -> Range {
    let start = if a.text()[start..end].starts_with('?') {
        start + 1
    } else {
        start
    };
    a.range(duet_lang::span::TextRange::new(start, end))
}

/// A new name must read back as one plain symbol.
fn check_name(name: &str) -> Result<(), Refusal> {
    let tokens = lexer::lex(name);
    let is_atom = matches!(tokens.as_slice(), [t] if t.kind == TokenKind::Atom);
    let first = name.chars().next().unwrap_or(' ');
    let second = name.chars().nth(1).unwrap_or(' ');
    let numeric =
        first.is_ascii_digit() || (matches!(first, '+' | '-' | '.') && second.is_ascii_digit());
    if !is_atom
        || numeric
        || first == ':'
        || first == '?'
        || special_forms::CONSTANTS.contains(&name)
        || name == "&"
        || name == "_"
    {
        return Err(format!("`{name}` is not a valid name"));
    }
    if special_forms::describe(name).is_some() {
        return Err(format!("`{name}` is a special form"));
    }
    Ok(())
}

/// Refuses renames that would merge two states, roles, workflow variables or globals.
fn check_collision(a: &Analysis, symbol: &Symbol, name: &str) -> Result<(), Refusal> {
    let module = a.module();
    let others = |names: Vec<&str>, index: usize| {
        names
            .iter()
            .enumerate()
            .any(|(i, n)| i != index && *n == name)
    };
    let workflow = |w: &usize| module.workflows.get(*w);
    let taken = match symbol {
        Symbol::State { workflow: w, index } => workflow(w)
            .is_some_and(|w| others(w.states.iter().map(|s| s.name.as_str()).collect(), *index)),
        Symbol::Role { workflow: w, index } => workflow(w)
            .is_some_and(|w| others(w.roles.iter().map(|r| r.name.as_str()).collect(), *index)),
        Symbol::WorkflowVar { workflow: w, index } => workflow(w)
            .is_some_and(|w| others(w.vars.iter().map(|v| v.name.as_str()).collect(), *index)),
        Symbol::Global(old) => module
            .definitions
            .iter()
            .any(|d| &d.name != old && d.name == name),
        Symbol::Workflow(index) => module
            .workflows
            .iter()
            .enumerate()
            .any(|(i, w)| i != *index && w.name == name),
        Symbol::Local(_) | Symbol::Builtin(_) => false,
    };
    if taken {
        Err(format!("`{name}` is already taken"))
    } else {
        Ok(())
    }
}
