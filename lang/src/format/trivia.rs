//! Comment and whitespace handling: the children of a node become a list of [`Item`]s (forms
//! and comments, in source order) that each remember the whitespace before them, which is all
//! the printer needs to keep comments where they were and honour the user's line breaks.
//!
//! * A `;` comment with no line break before it is a *trailing* comment: it stays on the line
//!   of the code before it. One with a line break before it stays on a line of its own, at the
//!   indentation the next form there would get. Either way the next item goes on a new line.
//! * `#| … |#` block comments and `#;` datum comments are kept verbatim (line breaks
//!   included) in their place among the forms, on the same line as their neighbours unless the
//!   user put a line break between them.
//! * Comments never move across a form: items keep their order.
//!
//! Verbatim text is cleaned only where that cannot change meaning: trailing spaces and carriage
//! returns at the ends of comment lines are dropped; string literals are never touched.

use std::borrow::Cow;

use crate::format::doc::indent_width;
use crate::span::TextRange;
use crate::syntax::lexer::TokenKind;
use crate::syntax::tree::{NodeKind, SyntaxElement, SyntaxNode};

/// A form or a comment among the children of a node.
#[derive(Debug)]
pub struct Item<'t> {
    /// What it is.
    pub kind: ItemKind<'t>,
    /// How many line breaks the whitespace right before it holds.
    pub newlines: usize,
    /// When it starts a line (`newlines > 0`): the width of its indentation in the input.
    pub column: usize,
}

/// The kinds of [`Item`].
#[derive(Debug)]
pub enum ItemKind<'t> {
    /// A form: an atom, a string, a delimited or a prefixed form.
    Form(&'t SyntaxElement),
    /// A `;` comment.
    LineComment(TextRange),
    /// A `#| … |#` comment.
    BlockComment(TextRange),
    /// A `#;` comment with the form it comments out.
    DatumComment(&'t SyntaxNode),
}

impl Item<'_> {
    /// Whether this is a form (comments are not).
    pub fn is_form(&self) -> bool {
        matches!(self.kind, ItemKind::Form(_))
    }

    /// Whether this is a `;` comment, after which the line must end.
    pub fn is_line_comment(&self) -> bool {
        matches!(self.kind, ItemKind::LineComment(_))
    }
}

/// The whitespace after the last item, before a closer or the end of the file.
#[derive(Debug, Default, Clone, Copy)]
pub struct Gap {
    /// Line breaks in it.
    pub newlines: usize,
    /// Whether there is any whitespace at all.
    pub any: bool,
}

/// The items of a run of children and the whitespace after the last one.
#[derive(Debug)]
pub struct Items<'t> {
    /// Forms and comments in order.
    pub items: Vec<Item<'t>>,
    /// What follows the last item.
    pub trailing: Gap,
}

/// Splits `children` (a node's children without its opener and closer) into items.
pub fn items<'t>(children: &'t [SyntaxElement], text: &str) -> Items<'t> {
    let mut items = Vec::new();
    let mut gap = Gap::default();
    let mut column = 0;
    for child in children {
        let kind = match child {
            SyntaxElement::Token(t) => match t.kind {
                TokenKind::Whitespace => {
                    let ws = &text[t.range.as_range()];
                    let n = ws.bytes().filter(|&b| b == b'\n').count();
                    if n > 0 {
                        gap.newlines += n;
                        column = indent_width(ws.rsplit('\n').next().unwrap_or(""));
                    }
                    gap.any = true;
                    continue;
                }
                TokenKind::LineComment => ItemKind::LineComment(t.range),
                TokenKind::BlockComment | TokenKind::UnterminatedBlockComment => {
                    ItemKind::BlockComment(t.range)
                }
                _ => ItemKind::Form(child),
            },
            SyntaxElement::Node(n) if n.kind == NodeKind::DatumComment => ItemKind::DatumComment(n),
            SyntaxElement::Node(_) => ItemKind::Form(child),
        };
        items.push(Item {
            kind,
            newlines: gap.newlines,
            column: if gap.newlines > 0 { column } else { 0 },
        });
        gap = Gap::default();
    }
    Items {
        items,
        trailing: gap,
    }
}

/// A `;` comment without trailing whitespace.
pub fn line_comment(text: &str) -> &str {
    text.trim_end()
}

/// Comment text with trailing whitespace (carriage returns included) removed from each line.
pub fn comment_lines(text: &str) -> Cow<'_, str> {
    let dirty = text
        .split('\n')
        .any(|line| line.ends_with([' ', '\t', '\r', '\u{0C}']));
    if !dirty {
        return Cow::Borrowed(text);
    }
    let lines: Vec<&str> = text.split('\n').map(str::trim_end).collect();
    Cow::Owned(lines.join("\n"))
}

/// The text of a `#;` datum comment, kept as written except for trailing whitespace at line
/// ends outside string literals.
pub fn datum_comment<'s>(node: &SyntaxNode, text: &'s str) -> Cow<'s, str> {
    let raw = &text[node.range.as_range()];
    if !raw.contains('\n') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    node.visit_tokens(&mut |t| {
        let s = &text[t.range.as_range()];
        match t.kind {
            TokenKind::Whitespace => {
                let mut parts = s.split('\n').peekable();
                while let Some(part) = parts.next() {
                    if parts.peek().is_some() {
                        while out.ends_with([' ', '\t', '\r', '\u{0C}']) {
                            out.pop();
                        }
                        out.push('\n');
                    } else {
                        out.push_str(part);
                    }
                }
            }
            TokenKind::LineComment => out.push_str(line_comment(s)),
            TokenKind::BlockComment | TokenKind::UnterminatedBlockComment => {
                out.push_str(&comment_lines(s))
            }
            _ => out.push_str(s),
        }
    });
    Cow::Owned(out)
}

/// The indentation width of the input line that holds byte `offset`.
pub fn line_indent_at(text: &str, offset: usize) -> usize {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    indent_width(&text[start..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::FileId;
    use crate::syntax::reader::read;

    #[test]
    fn items_remember_line_breaks_and_columns() {
        let text = "(a ; c\n\n   b #| x |#\n  )";
        let parse = read(FileId(0), text);
        let list = parse.root.children[0].as_node().unwrap();
        let inner = &list.children[1..list.children.len() - 1];
        let items = items(inner, text);
        let shape: Vec<(bool, usize, usize)> = items
            .items
            .iter()
            .map(|i| (i.is_form(), i.newlines, i.column))
            .collect();
        assert_eq!(
            shape,
            vec![(true, 0, 0), (false, 0, 0), (true, 2, 3), (false, 0, 0)]
        );
        assert_eq!(items.trailing.newlines, 1);
    }

    #[test]
    fn comment_cleanup() {
        assert_eq!(comment_lines("#| a  \r\n b |#"), "#| a\n b |#");
        assert!(matches!(comment_lines("#| a |#"), Cow::Borrowed(_)));
        let text = "#;(a   \r\n  \"s  \n\" ; c  \n b)";
        let parse = read(FileId(0), text);
        let node = parse.root.children[0].as_node().unwrap();
        assert_eq!(datum_comment(node, text), "#;(a\n  \"s  \n\" ; c\n b)");
    }
}
