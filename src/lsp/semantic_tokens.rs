//! Semantic tokens (full document). Resolved names are classified by what they resolved to;
//! the rest comes from the lossless tree (comments, strings, numbers, keywords, special
//! forms in head position). Only standard token types are used so every client has colours
//! for them: states are `enumMember`, roles `class`, workflows `namespace`, `:keywords`
//! `property`.

use duet_lang::special_forms;
use std::collections::HashMap;

use duet_lang::core::{DefinitionKind, LocalKind};
use duet_lang::syntax::lexer::TokenKind;
use duet_lang::syntax::tree::{NodeKind, SyntaxElement, SyntaxNode};
use lsp_types::{SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokensLegend};

use super::analysis::{Analysis, MAIN, Symbol};

/// Token types, in legend order.
const TYPES: &[SemanticTokenType] = &[
    SemanticTokenType::KEYWORD,
    SemanticTokenType::FUNCTION,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::PARAMETER,
    SemanticTokenType::STRING,
    SemanticTokenType::NUMBER,
    SemanticTokenType::COMMENT,
    SemanticTokenType::ENUM_MEMBER,
    SemanticTokenType::CLASS,
    SemanticTokenType::MACRO,
    SemanticTokenType::PROPERTY,
    SemanticTokenType::NAMESPACE,
];

const KEYWORD: u32 = 0;
const FUNCTION: u32 = 1;
const VARIABLE: u32 = 2;
const PARAMETER: u32 = 3;
const STRING: u32 = 4;
const NUMBER: u32 = 5;
const COMMENT: u32 = 6;
const STATE: u32 = 7;
const ROLE: u32 = 8;
const MACRO: u32 = 9;
const PROPERTY: u32 = 10;
const WORKFLOW: u32 = 11;

/// Modifiers, in legend order (bit 0 first).
const MODIFIERS: &[SemanticTokenModifier] = &[
    SemanticTokenModifier::DECLARATION,
    SemanticTokenModifier::DEFAULT_LIBRARY,
    SemanticTokenModifier::READONLY,
];

const DECLARATION: u32 = 1;
const DEFAULT_LIBRARY: u32 = 2;
const READONLY: u32 = 4;

/// The legend the server advertises.
pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: MODIFIERS.to_vec(),
    }
}

/// Every token of the document, encoded relative to the one before as LSP wants.
pub fn semantic_tokens(a: &Analysis) -> Vec<SemanticToken> {
    let text = a.text();
    let by_start: HashMap<u32, (&Symbol, bool)> = a
        .occurrences
        .iter()
        .filter(|o| o.span.file == MAIN)
        .map(|o| (o.span.range.start, (&o.symbol, o.declaration)))
        .collect();
    let mut raw: Vec<(usize, usize, u32, u32)> = Vec::new();
    // (node, index of the next child, inside a `#;` comment)
    let mut stack: Vec<(&SyntaxNode, usize, bool)> = vec![(&a.tree, 0, false)];
    while let Some((node, i, commented)) = stack.pop() {
        let Some(child) = node.children.get(i) else {
            continue;
        };
        stack.push((node, i + 1, commented));
        match child {
            SyntaxElement::Node(n) => {
                stack.push((n, 0, commented || n.kind == NodeKind::DatumComment));
            }
            SyntaxElement::Token(t) => {
                let (start, end) = (t.range.start as usize, t.range.end as usize);
                let class = match t.kind {
                    TokenKind::LineComment
                    | TokenKind::BlockComment
                    | TokenKind::UnterminatedBlockComment
                    | TokenKind::DatumComment => Some((COMMENT, 0)),
                    _ if commented && !t.kind.is_trivia() => Some((COMMENT, 0)),
                    TokenKind::String | TokenKind::UnterminatedString => Some((STRING, 0)),
                    TokenKind::Atom => {
                        let word = &text[start..end];
                        match by_start.get(&t.range.start) {
                            Some(&(symbol, declaration)) => Some(classify(a, symbol, declaration)),
                            None => literal(word, is_head(node, child)),
                        }
                    }
                    _ => None,
                };
                if let Some((kind, modifiers)) = class {
                    raw.push((start, end, kind, modifiers));
                }
            }
        }
    }
    encode(a, &raw)
}

fn is_head(node: &SyntaxNode, child: &SyntaxElement) -> bool {
    node.kind == NodeKind::List && node.forms().next().is_some_and(|f| std::ptr::eq(f, child))
}

fn classify(a: &Analysis, symbol: &Symbol, declaration: bool) -> (u32, u32) {
    let decl = if declaration { DECLARATION } else { 0 };
    let module = a.module();
    match symbol {
        Symbol::Local(id) => match module.locals.get(id.0 as usize).map(|l| l.kind) {
            Some(LocalKind::Param) => (PARAMETER, decl),
            Some(LocalKind::FnName) => (FUNCTION, decl),
            _ => (VARIABLE, decl),
        },
        Symbol::Global(name) => {
            let kind = module
                .definitions
                .iter()
                .find(|d| &d.name == name)
                .map(|d| d.kind);
            match kind {
                Some(DefinitionKind::Function) => (FUNCTION, decl),
                Some(DefinitionKind::Macro) => (MACRO, decl),
                _ => (VARIABLE, decl),
            }
        }
        Symbol::Builtin(_) => (FUNCTION, DEFAULT_LIBRARY),
        Symbol::Role { .. } => (ROLE, decl | READONLY),
        Symbol::WorkflowVar { .. } => (VARIABLE, decl),
        Symbol::State { .. } => (STATE, decl),
        Symbol::Workflow(_) => (WORKFLOW, decl),
    }
}

/// Classes for atoms that are not names the expander resolved.
fn literal(word: &str, head: bool) -> Option<(u32, u32)> {
    let mut chars = word.chars();
    let first = chars.next()?;
    let second = chars.next();
    // What the reader reads as a number: not `.5` (a symbol) nor `0x1F` (an error).
    if duet_lang::syntax::datum::is_number(word) {
        return Some((NUMBER, 0));
    }
    if first == ':' && second.is_some() {
        return Some((PROPERTY, 0));
    }
    if special_forms::CONSTANTS.contains(&word) {
        return Some((KEYWORD, READONLY));
    }
    if head && special_forms::describe(word).is_some() {
        return Some((KEYWORD, 0));
    }
    None
}

/// Splits tokens at line ends (clients need not support multi-line tokens) and encodes them
/// as deltas, lengths in UTF-16 units.
fn encode(a: &Analysis, raw: &[(usize, usize, u32, u32)]) -> Vec<SemanticToken> {
    let text = a.text();
    let mut out = Vec::with_capacity(raw.len());
    let (mut prev_line, mut prev_start) = (0u32, 0u32);
    for &(start, end, kind, modifiers) in raw {
        let mut piece_start = start;
        while piece_start < end {
            let line_end = text[piece_start..end]
                .find('\n')
                .map_or(end, |i| piece_start + i);
            let piece = text[piece_start..line_end].trim_end_matches('\r');
            let length: usize = piece.chars().map(char::len_utf16).sum();
            if length > 0 {
                let position = a.index.position(text, piece_start);
                let delta_line = position.line - prev_line;
                let delta_start = if delta_line == 0 {
                    position.character - prev_start
                } else {
                    position.character
                };
                out.push(SemanticToken {
                    delta_line,
                    delta_start,
                    length: length as u32,
                    token_type: kind,
                    token_modifiers_bitset: modifiers,
                });
                prev_line = position.line;
                prev_start = position.character;
            }
            piece_start = line_end + 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    /// Decodes to (line, column, length, type, modifiers).
    fn decode(tokens: &[SemanticToken]) -> Vec<(u32, u32, u32, u32, u32)> {
        let (mut line, mut col) = (0, 0);
        tokens
            .iter()
            .map(|t| {
                if t.delta_line > 0 {
                    line += t.delta_line;
                    col = t.delta_start;
                } else {
                    col += t.delta_start;
                }
                (line, col, t.length, t.token_type, t.token_modifiers_bitset)
            })
            .collect()
    }

    #[test]
    fn classifies_names_literals_and_comments() {
        let text = "; hi\n(defn f [x] (+ x 1.5 \"s😀\n2\"))";
        let uri = lsp_types::Uri::from_str("untitled:t").unwrap();
        let a = Analysis::new(&uri, text);
        let tokens = decode(&semantic_tokens(&a));
        assert_eq!(
            tokens,
            vec![
                (0, 0, 4, COMMENT, 0),
                (1, 1, 4, KEYWORD, 0),
                (1, 6, 1, FUNCTION, DECLARATION),
                (1, 9, 1, PARAMETER, DECLARATION),
                (1, 13, 1, FUNCTION, DEFAULT_LIBRARY),
                (1, 15, 1, PARAMETER, 0),
                (1, 17, 3, NUMBER, 0),
                (1, 21, 4, STRING, 0),
                (2, 0, 2, STRING, 0),
            ]
        );
    }
}
