//! The document algebra: what the printer builds from the syntax tree and the layout engine
//! ([`crate::format::layout`]) turns into text.
//!
//! It is Lindig's "Strictly Pretty" algebra (text, line breaks, concatenation, groups that
//! are laid out flat when they fit and broken otherwise) with four changes for Lisp:
//!
//! * Indentation is not nested `Nest`/`Align` scopes but carried by each break: a break says
//!   which column its next line starts at, relative to a [`Doc::Mark`] the engine recorded
//!   earlier (the column of an opening paren, or of a call's first argument).
//! * Besides group-controlled breaks ([`BreakKind::Soft`]) there are hard breaks (the user's
//!   own line breaks, kept), blank lines, and *fill* breaks that decide on their own whether
//!   the next piece still fits on the line (Wadler's `fill`).
//! * Line comments are their own element: they end the line and never count against the
//!   width, so a long trailing comment never reflows code.
//! * Verbatim text may span lines (strings, block comments, datum comments).

use std::borrow::Cow;

/// Identifies a column the layout engine records while printing; see [`Doc::Mark`].
pub type MarkId = u32;

/// A document: text plus the places it may or must break.
#[derive(Debug, Clone)]
pub enum Doc<'a> {
    /// Text on one line.
    Text(Cow<'a, str>),
    /// Verbatim text that contains line breaks; printed as is.
    Multi(Cow<'a, str>),
    /// A `;` line comment (without its line break). What follows it goes on a new line.
    Comment(Cow<'a, str>),
    /// A possible or certain line break.
    Break(Break),
    /// Records the current column (and the indentation of the current line) under an id, for
    /// breaks printed later to indent relative to it. Takes no space.
    Mark(MarkId),
    /// Documents one after the other.
    Concat(Vec<Doc<'a>>),
    /// Laid out flat (every soft break a space) if it fits in the remaining width, broken
    /// otherwise. `hard` is true when the group contains a break that must happen, so the
    /// group can never be flat.
    Group {
        /// The contents.
        doc: Box<Doc<'a>>,
        /// Whether the contents must break.
        hard: bool,
    },
}

/// A line break and where the next line starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Break {
    /// When it breaks.
    pub kind: BreakKind,
    /// The column the next line starts at when it does.
    pub indent: Indent,
}

/// When a [`Break`] becomes a line break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakKind {
    /// A space if the enclosing group is flat, a line break if it is broken.
    Soft,
    /// A space if the text up to the next possible break still fits on the line, else a line
    /// break. Inside a flat group it is a space.
    Fill,
    /// Before the second form of a `cond`/`case`/`match` pair: a space if that form, laid
    /// out flat, still fits on the line (with what follows it up to the next possible break),
    /// else a line break, so a long result moves to its own line instead of breaking the
    /// test or itself. Inside a flat group it is a space.
    Pair,
    /// Always a line break.
    Hard,
    /// Always a line break followed by one empty line.
    Blank,
}

/// The column a broken line starts at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indent {
    /// A fixed column.
    Column(u32),
    /// `delta` columns right of the column recorded by a mark.
    Mark {
        /// The mark.
        mark: MarkId,
        /// Columns to add.
        delta: u32,
    },
    /// The later lines of a `block N` form whose user put argument N+1 on the head's line
    /// (cljfmt's fallback to call indentation): `delta` columns right of the first argument
    /// (mark `align`) if that argument (mark `probe`) is still on the line of the opener
    /// (mark `open`), else `delta` columns right of the opener plus 2, as for any block form.
    Hanging {
        /// The mark at the opener.
        open: MarkId,
        /// The mark at argument N+1.
        probe: MarkId,
        /// The mark at the first argument.
        align: MarkId,
        /// Columns to add.
        delta: u32,
    },
    /// The continuation lines of a call whose first argument stays on the head's line: the
    /// user's indentation (of the call's first continuation line), `offset` columns right of
    /// the indentation of the line that holds the call's opening paren (mark `opener`), is
    /// kept if it lies between that indentation plus 2 and the first argument's column (mark
    /// `align`); otherwise lines are aligned under the first argument.
    Lenient {
        /// The mark at the call's opening paren.
        opener: MarkId,
        /// The mark at the call's first argument.
        align: MarkId,
        /// The user's indentation relative to the opener line's indentation.
        offset: i64,
    },
}

impl<'a> Doc<'a> {
    /// Nothing.
    pub fn nil() -> Self {
        Doc::Concat(Vec::new())
    }

    /// Text that may contain line breaks: [`Doc::Multi`] if it does, else [`Doc::Text`].
    pub fn text(s: impl Into<Cow<'a, str>>) -> Self {
        let s = s.into();
        if s.contains('\n') {
            Doc::Multi(s)
        } else {
            Doc::Text(s)
        }
    }

    /// One space.
    pub fn space() -> Self {
        Doc::Text(Cow::Borrowed(" "))
    }

    /// A break of `kind` to `indent`.
    pub fn brk(kind: BreakKind, indent: Indent) -> Self {
        Doc::Break(Break { kind, indent })
    }

    /// A group around `doc`, noting whether it must break.
    pub fn group(doc: Doc<'a>) -> Self {
        let hard = doc.must_break();
        Doc::Group {
            doc: Box::new(doc),
            hard,
        }
    }

    /// Whether laying the document out necessarily produces a line break. Stops at nested
    /// groups, whose answer was computed when they were built, so building is linear.
    pub fn must_break(&self) -> bool {
        match self {
            Doc::Text(_) | Doc::Mark(_) => false,
            Doc::Multi(_) | Doc::Comment(_) => true,
            Doc::Break(b) => matches!(b.kind, BreakKind::Hard | BreakKind::Blank),
            Doc::Concat(docs) => docs.iter().any(Doc::must_break),
            Doc::Group { hard, .. } => *hard,
        }
    }
}

/// The display width of single-line text: one column per character.
pub fn width(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// The width of the indentation that starts `line`: spaces count one column, a tab moves to
/// the next multiple of 8. Used for the user's indentation in the input and for lines that
/// begin inside verbatim text, the same way on both sides so that formatting is idempotent.
pub fn indent_width(line: &str) -> usize {
    let mut col = 0;
    for c in line.chars() {
        match c {
            ' ' => col += 1,
            '\t' => col = (col / 8 + 1) * 8,
            _ => break,
        }
    }
    col
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_know_when_they_must_break() {
        let soft = Doc::Concat(vec![
            Doc::text("a"),
            Doc::brk(BreakKind::Soft, Indent::Column(0)),
            Doc::text("b"),
        ]);
        assert!(!Doc::group(soft.clone()).must_break());
        let hard = Doc::Concat(vec![soft, Doc::brk(BreakKind::Hard, Indent::Column(0))]);
        assert!(Doc::group(hard).must_break());
        assert!(Doc::text("\"two\nlines\"").must_break());
    }

    #[test]
    fn widths() {
        assert_eq!(width("héllo"), 5);
        assert_eq!(indent_width("  \tx"), 8);
        assert_eq!(indent_width("    x  "), 4);
    }
}
