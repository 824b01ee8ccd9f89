//! The layout engine: lays a [`Doc`] out in a given width.
//!
//! Lindig's "Strictly Pretty" algorithm with an explicit stack (no recursion, so deep
//! documents are fine): groups are decided outermost first, left to right; a group is flat
//! when it fits in what is left of the line. "Fits" measures the group laid out flat *and*
//! whatever follows it up to the next place the line can break (closing parens included), as
//! Wadler's and Prettier's printers do; a following group that may still break counts as a
//! possible break. Fill breaks measure the same way from where they stand.
//!
//! Measuring only ever stops earlier when a document has more certain breaks, which is what
//! makes formatting idempotent: once a break was taken it is a hard break the next time, and
//! everything that fitted before still fits.

use crate::format::doc::{Break, BreakKind, Doc, Indent, indent_width, width};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Flat,
    Break,
}

/// Where a mark was printed.
#[derive(Debug, Clone, Copy, Default)]
struct Recorded {
    /// Its column.
    column: usize,
    /// The indentation of the line it is on.
    line_indent: usize,
    /// The number of the line it is on.
    line: usize,
}

/// Lays `doc` out in `width` columns. `marks` is one more than the largest [`Doc::Mark`] id.
/// The result has no trailing spaces on any line this engine breaks.
pub fn layout(doc: &Doc<'_>, width: usize, marks: usize, capacity: usize) -> String {
    let mut engine = Engine {
        out: String::with_capacity(capacity),
        width: width as isize,
        column: 0,
        line_indent: 0,
        line: 0,
        marks: vec![Recorded::default(); marks],
        scratch: Vec::new(),
    };
    engine.run(doc);
    engine.out
}

struct Engine<'d, 'a> {
    out: String,
    width: isize,
    /// The column the next character goes to.
    column: usize,
    /// The indentation of the current line.
    line_indent: usize,
    /// How many line breaks were printed so far.
    line: usize,
    marks: Vec<Recorded>,
    /// Reused by `fits`.
    scratch: Vec<(Mode, &'d Doc<'a>)>,
}

impl<'d, 'a> Engine<'d, 'a> {
    fn run(&mut self, doc: &'d Doc<'a>) {
        let mut stack: Vec<(Mode, &'d Doc<'a>)> = vec![(Mode::Break, doc)];
        while let Some((mode, doc)) = stack.pop() {
            match doc {
                Doc::Text(s) => {
                    self.out.push_str(s);
                    self.column += width(s);
                }
                Doc::Comment(s) => {
                    self.out.push_str(s);
                    self.column += width(s);
                }
                Doc::Multi(s) => {
                    self.out.push_str(s);
                    self.line += s.bytes().filter(|&b| b == b'\n').count();
                    let last = s.rsplit('\n').next().unwrap_or("");
                    self.column = width(last);
                    self.line_indent = indent_width(last);
                }
                Doc::Mark(id) => {
                    self.marks[*id as usize] = Recorded {
                        column: self.column,
                        line_indent: self.line_indent,
                        line: self.line,
                    };
                }
                Doc::Concat(docs) => stack.extend(docs.iter().rev().map(|d| (mode, d))),
                Doc::Group { doc, hard } => {
                    let mode = if mode == Mode::Flat {
                        Mode::Flat
                    } else if *hard {
                        Mode::Break
                    } else {
                        let room = self.width - self.column as isize;
                        if self.fits(room, Some((Mode::Flat, doc)), &stack) {
                            Mode::Flat
                        } else {
                            Mode::Break
                        }
                    };
                    stack.push((mode, doc));
                }
                Doc::Break(b) => self.brk(*b, mode, &stack),
            }
        }
    }

    fn brk(&mut self, b: Break, mode: Mode, rest: &[(Mode, &'d Doc<'a>)]) {
        let newline = match b.kind {
            BreakKind::Hard | BreakKind::Blank => true,
            _ if mode == Mode::Flat => false,
            BreakKind::Soft => true,
            BreakKind::Fill => {
                let room = self.width - self.column as isize - 1;
                !self.fits(room, None, rest)
            }
            BreakKind::Pair => {
                // The next document (past zero-width marks), measured flat.
                let room = self.width - self.column as isize - 1;
                let next = rest.iter().rposition(|(_, d)| !matches!(d, Doc::Mark(_)));
                next.is_some_and(|i| !self.fits(room, Some((Mode::Flat, rest[i].1)), &rest[..i]))
            }
        };
        if !newline {
            self.out.push(' ');
            self.column += 1;
            return;
        }
        while self.out.ends_with(' ') {
            self.out.pop();
        }
        self.out.push('\n');
        self.line += 1;
        if b.kind == BreakKind::Blank {
            self.out.push('\n');
            self.line += 1;
        }
        let column = self.resolve(b.indent);
        self.out.extend(std::iter::repeat_n(' ', column));
        self.column = column;
        self.line_indent = column;
    }

    fn resolve(&self, indent: Indent) -> usize {
        match indent {
            Indent::Column(c) => c as usize,
            Indent::Mark { mark, delta } => self.marks[mark as usize].column + delta as usize,
            Indent::Hanging {
                open,
                probe,
                align,
                delta,
            } => {
                let open = self.marks[open as usize];
                let base = if self.marks[probe as usize].line == open.line {
                    self.marks[align as usize].column
                } else {
                    open.column + 2
                };
                base + delta as usize
            }
            Indent::Lenient {
                opener,
                align,
                offset,
            } => {
                let line = self.marks[opener as usize].line_indent as i64;
                let align = self.marks[align as usize].column as i64;
                let wanted = line + offset;
                if wanted >= line + 2 && wanted <= align {
                    wanted as usize
                } else {
                    align as usize
                }
            }
        }
    }

    /// Whether `first` (if any) and then `rest` (a stack, top last) fit in `room` columns up
    /// to the next line break that is certain or possible.
    fn fits(
        &mut self,
        mut room: isize,
        first: Option<(Mode, &'d Doc<'a>)>,
        rest: &[(Mode, &'d Doc<'a>)],
    ) -> bool {
        let mut local = std::mem::take(&mut self.scratch);
        local.clear();
        local.extend(first);
        let mut rest_index = rest.len();
        let result = loop {
            if room < 0 {
                break false;
            }
            let (mode, doc) = match local.pop() {
                Some(x) => x,
                None if rest_index == 0 => break true,
                None => {
                    rest_index -= 1;
                    rest[rest_index]
                }
            };
            match doc {
                Doc::Text(s) => room -= width(s) as isize,
                Doc::Multi(s) => {
                    let first_line = s.split('\n').next().unwrap_or("");
                    break room >= width(first_line) as isize;
                }
                // The comment ends the line; it may run past the width.
                Doc::Comment(_) => break true,
                Doc::Mark(_) => {}
                Doc::Concat(docs) => local.extend(docs.iter().rev().map(|d| (mode, d))),
                Doc::Group { doc, hard } => {
                    let mode = if *hard { Mode::Break } else { mode };
                    local.push((mode, doc));
                }
                Doc::Break(b) => match (b.kind, mode) {
                    (BreakKind::Soft | BreakKind::Fill | BreakKind::Pair, Mode::Flat) => room -= 1,
                    _ => break true,
                },
            }
        };
        self.scratch = local;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(n: usize, kind: BreakKind) -> Doc<'static> {
        let mut docs = vec![Doc::Mark(0)];
        for i in 0..n {
            if i > 0 {
                docs.push(Doc::brk(kind, Indent::Mark { mark: 0, delta: 0 }));
            }
            docs.push(Doc::text(format!("w{i}")));
        }
        Doc::group(Doc::Concat(docs))
    }

    #[test]
    fn groups_break_all_or_nothing() {
        assert_eq!(layout(&words(3, BreakKind::Soft), 80, 1, 0), "w0 w1 w2");
        assert_eq!(layout(&words(3, BreakKind::Soft), 5, 1, 0), "w0\nw1\nw2");
    }

    #[test]
    fn fill_breaks_only_where_needed() {
        assert_eq!(
            layout(&words(5, BreakKind::Fill), 8, 1, 0),
            "w0 w1 w2\nw3 w4"
        );
    }

    #[test]
    fn comments_do_not_count() {
        let doc = Doc::group(Doc::Concat(vec![
            Doc::text("a"),
            Doc::brk(BreakKind::Fill, Indent::Column(0)),
            Doc::text("b"),
            Doc::space(),
            Doc::Comment("; a long comment".into()),
            Doc::brk(BreakKind::Hard, Indent::Column(0)),
            Doc::text("c"),
        ]));
        assert_eq!(layout(&doc, 4, 0, 0), "a b ; a long comment\nc");
    }
}
