//! Formatting: `textDocument/formatting` and `textDocument/rangeFormatting`, both by
//! `duet_lang::format::format_source`, so the result is exactly what `duet fmt` writes.
//!
//! A document with read errors is never formatted (as with `duet fmt`): both requests answer
//! an empty list of edits, and the diagnostics already say what is wrong.
//!
//! Range formatting formats the whole document and keeps, from the result, only the top-level
//! elements (forms and comments) that the range touches. The document is cut into *pieces*,
//! one per top-level element: the whitespace before the element and the element itself (the
//! last piece also takes the whitespace at the end of the file). The formatter keeps every
//! top-level element and their order, so the formatted text cuts into as many pieces, in the
//! same order; range formatting replaces the run of pieces whose elements intersect the range
//! by their formatted counterparts and leaves every other byte alone. A range that covers every
//! element gives the same text as `textDocument/formatting`; and since formatting one piece does
//! not change how the document formats (the formatter lays each top-level form out on its own
//! lines), formatting the pieces in any number of steps, in any order, ends with the
//! whole-document result. The unit tests check both over the formatter's corpus.

use duet_lang::format::format_source;
use duet_lang::span::FileId;
use duet_lang::syntax::lexer::TokenKind;
use duet_lang::syntax::reader::read;
use duet_lang::syntax::tree::SyntaxElement;
use lsp_types::{Range, TextEdit};

use super::convert::LineIndex;
use super::log;

/// The edits that format the whole of `text`: one edit replacing all of it, or none when it is
/// already formatted or does not read.
pub fn format_document(text: &str, index: &LineIndex) -> Vec<TextEdit> {
    let Some(formatted) = formatted(text) else {
        return Vec::new();
    };
    if formatted == text {
        return Vec::new();
    }
    let range = Range::new(index.position(text, 0), index.position(text, text.len()));
    vec![TextEdit::new(range, formatted)]
}

/// The edits that format the top-level elements of `text` that intersect `range` (an empty
/// range: the element it is in or touches), leaving the rest of the text as it is. At most one
/// edit; none when those elements are already formatted or the text does not read. A text of
/// only whitespace is formatted whole (emptied).
pub fn format_range(text: &str, index: &LineIndex, range: Range) -> Vec<TextEdit> {
    let mut start = index.offset(text, range.start).offset;
    let mut end = index.offset(text, range.end).offset;
    if start > end {
        std::mem::swap(&mut start, &mut end);
    }
    let Some(formatted) = formatted(text) else {
        return Vec::new();
    };
    let (old, new) = (pieces(text), pieces(&formatted));
    if old.is_empty() {
        // Only whitespace: formatting any part of it empties the file.
        return format_document(text, index);
    }
    if old.len() != new.len() {
        // The formatter keeps every top-level element; should that ever fail, do nothing
        // rather than edit the wrong text.
        log(&format!(
            "range formatting: {} top-level elements before formatting, {} after; no edits",
            old.len(),
            new.len()
        ));
        return Vec::new();
    }
    let touched = |p: &Piece| {
        if start == end {
            p.element_start <= start && start <= p.end
        } else {
            p.element_start < end && start < p.end
        }
    };
    let Some(first) = old.iter().position(touched) else {
        return Vec::new();
    };
    let last = old.iter().rposition(touched).unwrap_or(first);
    let (from, to) = (old[first].start, old[last].end);
    let replacement = &formatted[new[first].start..new[last].end];
    if &text[from..to] == replacement {
        return Vec::new();
    }
    let range = Range::new(index.position(text, from), index.position(text, to));
    vec![TextEdit::new(range, replacement.to_string())]
}

/// `format_source`'s result, or `None` (logged) when the text has read errors.
fn formatted(text: &str) -> Option<String> {
    match format_source(text) {
        Ok(formatted) => Some(formatted),
        Err(errors) => {
            log(&format!(
                "not formatting a document with {} read error(s)",
                errors.len()
            ));
            None
        }
    }
}

/// One top-level element and the whitespace before it, as byte offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    /// Where the whitespace before the element starts: the end of the previous element, or 0.
    start: usize,
    /// Where the element starts.
    element_start: usize,
    /// Where the piece ends: the end of the element, or of the text for the last element.
    end: usize,
}

/// The pieces of `text`, which must read without errors.
fn pieces(text: &str) -> Vec<Piece> {
    let root = read(FileId(0), text).root;
    let mut out: Vec<Piece> = Vec::new();
    for child in &root.children {
        if let SyntaxElement::Token(t) = child
            && t.kind == TokenKind::Whitespace
        {
            continue;
        }
        let range = child.range().as_range();
        out.push(Piece {
            start: out.last().map_or(0, |p| p.end),
            element_start: range.start,
            end: range.end,
        });
    }
    if let Some(last) = out.last_mut() {
        last.end = text.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::Position;

    /// `text` with `edits` applied (edits do not overlap).
    fn apply(text: &str, edits: &[TextEdit]) -> String {
        let index = LineIndex::new(text);
        let mut edits: Vec<_> = edits
            .iter()
            .map(|e| {
                let start = index.offset(text, e.range.start);
                let end = index.offset(text, e.range.end);
                assert!(!start.clamped && !end.clamped, "{e:?}");
                (start.offset, end.offset, e.new_text.as_str())
            })
            .collect();
        edits.sort_by_key(|e| std::cmp::Reverse(e.0));
        let mut out = text.to_string();
        for (start, end, new) in edits {
            out.replace_range(start..end, new);
        }
        out
    }

    fn range_of(text: &str, start: usize, end: usize) -> Range {
        let index = LineIndex::new(text);
        Range::new(index.position(text, start), index.position(text, end))
    }

    fn format_bytes(text: &str, start: usize, end: usize) -> String {
        let edits = format_range(text, &LineIndex::new(text), range_of(text, start, end));
        assert!(edits.len() <= 1);
        apply(text, &edits)
    }

    fn gcd(a: usize, b: usize) -> usize {
        if b == 0 { a } else { gcd(b, a % b) }
    }

    /// The messy inputs of the formatter's golden corpus.
    fn corpus() -> Vec<String> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir("tests/fmt").expect("tests/fmt exists") {
            let path = entry.expect("an entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".lisp") && !name.ends_with(".expected.lisp") {
                let text = std::fs::read_to_string(&path).expect("readable");
                if format_source(&text).is_ok() {
                    out.push(text);
                }
            }
        }
        assert!(out.len() > 20);
        out
    }

    #[test]
    fn whole_document() {
        let text = "(defn f [x]\n(g x))";
        let edits = format_document(text, &LineIndex::new(text));
        assert_eq!(edits.len(), 1);
        assert_eq!(edits[0].range.start, Position::new(0, 0));
        assert_eq!(edits[0].range.end, Position::new(1, 6));
        assert_eq!(apply(text, &edits), "(defn f [x]\n  (g x))\n");
        let done = "(defn f [x]\n  (g x))\n";
        assert!(format_document(done, &LineIndex::new(done)).is_empty());
        let broken = "(defn f [x]\n(g x)";
        assert!(format_document(broken, &LineIndex::new(broken)).is_empty());
        assert!(format_range(broken, &LineIndex::new(broken), range_of(broken, 0, 3)).is_empty());
    }

    #[test]
    fn only_the_touched_forms_change() {
        let text = "(a  1)   (b\n2)\n\n\n\n(c  3) ; c\n(d\n4)\n";
        // `(b` only: the space before it becomes a line break, the rest stays.
        assert_eq!(
            format_bytes(text, 10, 10),
            "(a  1)\n(b\n 2)\n\n\n\n(c  3) ; c\n(d\n4)\n"
        );
        // A range from inside `(c` to inside the comment.
        assert_eq!(
            format_bytes(text, 20, 26),
            "(a  1)   (b\n2)\n\n(c 3) ; c\n(d\n4)\n"
        );
        // Whitespace between forms touches nothing.
        assert_eq!(format_bytes(text, 16, 18), text);
        // Everything: the whole-document result.
        assert_eq!(
            format_bytes(text, 0, text.len()),
            format_source(text).unwrap()
        );
    }

    #[test]
    fn every_piece_alone_and_the_pieces_in_any_order_give_the_whole_result() {
        for text in corpus() {
            let whole = format_source(&text).unwrap();
            assert_eq!(format_bytes(&text, 0, text.len()), whole, "{text}");
            let old = pieces(&text);
            assert_eq!(old.len(), pieces(&whole).len(), "{text}");
            if old.is_empty() {
                assert_eq!(format_bytes(&text, 0, 0), whole);
                continue;
            }
            for p in &old {
                let once = format_bytes(&text, p.element_start, p.element_start);
                assert_eq!(format_source(&once).unwrap(), whole, "{text}");
            }
            // The elements one at a time, in three orders: last to first, first to last and
            // shuffled (the offsets of an element are looked up in the current text).
            let n = old.len();
            let stride = (n / 2 + 1..n).find(|s| gcd(*s, n) == 1).unwrap_or(1);
            let orders: [Vec<usize>; 3] = [
                (0..n).rev().collect(),
                (0..n).collect(),
                (0..n).map(|i| i * stride % n).collect(),
            ];
            for order in orders {
                let mut stepwise = text.clone();
                for i in order {
                    let at = pieces(&stepwise)[i].element_start;
                    stepwise = format_bytes(&stepwise, at, at);
                }
                assert_eq!(stepwise, whole, "{text}");
            }
        }
    }
}
