//! The reader: tokens to a lossless [`SyntaxNode`] tree, reporting every error in the file.
//!
//! Hand-written over the logos tokens, with an explicit stack of open forms instead of
//! recursion. S-expressions have one real error class — unbalanced or mismatched delimiters —
//! and an explicit delimiter stack reports it exactly ("this `(` is never closed", pointing at
//! the opener) with no parser-combinator machinery.
//!
//! Recovery: a closer that matches an outer form closes the inner ones (each reported as
//! unclosed); a closer that matches nothing is kept as a stray token and reported; at the end
//! of the file every open form is closed and reported. The tree always holds every token.

use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::span::{FileId, Span, TextRange};
use crate::syntax::lexer::{Token, TokenKind, lex};
use crate::syntax::tree::{NodeKind, SyntaxElement, SyntaxNode};

/// How deeply delimited forms may nest. Deeper input is kept in the tree as an error node;
/// the limit keeps every later recursive pass far from the end of the stack.
pub const MAX_DEPTH: usize = 256;

/// Places where forms left open before a top-level form are reported, at most; the rest are
/// counted in one more error.
pub const MAX_RECOVERIES: usize = 1_000;

/// The tree of a file and the read errors found in it.
#[derive(Debug, Clone)]
pub struct Parse {
    /// The root node; its text is exactly the source.
    pub root: SyntaxNode,
    /// Read errors, in source order.
    pub errors: Vec<Diagnostic>,
}

/// Reads `text` (the contents of `file`) into a lossless tree.
///
/// When a form is still open at the end of the file, the text is read a second time,
/// closing open forms wherever a `(` starts a line at or left of their column (at the first
/// column, a top-level form, by the universal convention; further in, a sibling of the form
/// above): the error is then reported where the closers are probably missing, and the forms
/// after it read as they were meant, without a cascade of errors.
/// When the file ends inside a string, the string that most likely lacks its closing quote
/// is reported, and no error after its start (see [`unclosed_string`]).
pub fn read(file: FileId, text: &str) -> Parse {
    let tokens = lex(text);
    let suspect = unclosed_string(text, &tokens);
    let parse = Reader::new(file, false, suspect).run(text, &tokens);
    let unclosed_at_end = parse.errors.iter().any(|e| {
        e.code == codes::UNCLOSED_DELIMITER
            && e.secondary
                .iter()
                .any(|l| l.span.range == TextRange::empty(text.len()))
    });
    if suspect.is_none() && unclosed_at_end {
        return Reader::new(file, true, None).run(text, &tokens);
    }
    parse
}

/// Where the string that lacks its closing quote most likely starts, when the file ends
/// inside a string: the first string (up to the unterminated one) with a line inside it that
/// starts with `(`, which is code, not text; else the unterminated string itself. Strings may
/// span lines, so the quote that opens the unterminated one is often the closing quote of an
/// earlier string whose own closing quote is missing.
pub fn unclosed_string(text: &str, tokens: &[Token]) -> Option<UnclosedString> {
    let last = tokens
        .iter()
        .rposition(|t| t.kind == TokenKind::UnterminatedString)?;
    let suspect = tokens[..=last]
        .iter()
        .filter(|t| matches!(t.kind, TokenKind::String | TokenKind::UnterminatedString))
        .find(|t| text[t.range.as_range()].contains("\n("))
        .unwrap_or(&tokens[last]);
    Some(UnclosedString {
        suspect: suspect.range,
        last: tokens[last].range,
    })
}

/// The file ends inside a string: where that string starts, and the string most likely
/// missing its closing quote (see [`unclosed_string`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnclosedString {
    /// The string reported.
    pub suspect: TextRange,
    /// The string that runs to the end of the file.
    pub last: TextRange,
}

struct Frame {
    kind: NodeKind,
    start: usize,
    children: Vec<SyntaxElement>,
    /// The line and column of the opener (columns count bytes from the line's start).
    line: usize,
    column: usize,
}

impl Frame {
    fn new(kind: NodeKind, start: usize) -> Self {
        Frame {
            kind,
            start,
            children: Vec::new(),
            line: 0,
            column: 0,
        }
    }
}

struct Reader {
    file: FileId,
    /// Whether open forms are closed at a `(` that starts a line left of them.
    recover: bool,
    /// The string reported as the one never closed, if the file ends inside a string.
    suspect: Option<UnclosedString>,
    /// Where the last token that is not whitespace or a comment ends.
    code_end: usize,
    /// Places where open forms were closed before a top-level form, and the first one not
    /// reported (past [`MAX_RECOVERIES`]).
    recoveries: usize,
    first_unreported: Option<usize>,
    /// The line being read (from 0), where it starts, and whether code precedes the
    /// current token on it.
    line: usize,
    line_start: usize,
    line_has_code: bool,
    stack: Vec<Frame>,
    errors: Vec<Diagnostic>,
    /// Delimited forms open right now.
    depth: usize,
    /// Delimiters open inside an error node past [`MAX_DEPTH`].
    overflow: usize,
    /// Whether nesting past the limit was reported already.
    reported_depth: bool,
}

fn opener_text(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::List => "(",
        NodeKind::Vector => "[",
        NodeKind::Map => "{",
        NodeKind::Quote => "'",
        NodeKind::Quasiquote => "`",
        NodeKind::Unquote => ",",
        NodeKind::UnquoteSplicing => ",@",
        NodeKind::DatumComment => "#;",
        NodeKind::Root | NodeKind::Error => "",
    }
}

fn closer_text(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::RParen => ")",
        TokenKind::RBracket => "]",
        _ => "}",
    }
}

impl Reader {
    fn new(file: FileId, recover: bool, suspect: Option<UnclosedString>) -> Self {
        Reader {
            file,
            recover,
            suspect,
            code_end: 0,
            recoveries: 0,
            first_unreported: None,
            line: 0,
            line_start: 0,
            line_has_code: false,
            stack: vec![Frame::new(NodeKind::Root, 0)],
            errors: Vec::new(),
            depth: 0,
            overflow: 0,
            reported_depth: false,
        }
    }

    fn span(&self, range: TextRange) -> Span {
        Span::new(self.file, range)
    }

    fn run(mut self, text: &str, tokens: &[Token]) -> Parse {
        for &token in tokens {
            if self.overflow > 0 {
                self.overflowed(token);
                continue;
            }
            if token.kind == TokenKind::LParen && !self.line_has_code {
                self.recover_at_line_start(token);
            }
            self.token(token);
            let trivia = matches!(
                token.kind,
                TokenKind::Whitespace | TokenKind::LineComment | TokenKind::BlockComment
            );
            if !trivia {
                self.code_end = token.range.end as usize;
                self.line_has_code = true;
            }
            let slice = &text[token.range.as_range()];
            if let Some(last) = slice.rfind('\n') {
                self.line += slice.bytes().filter(|&b| b == b'\n').count();
                self.line_start = token.range.start as usize + last + 1;
                // The rest of a string's last line is code; after a comment, nothing is.
                self.line_has_code = !trivia;
            }
        }
        self.finish(text.len())
    }

    /// In recovery: a `(` that starts a line (after indentation) at or left of the column of
    /// forms opened on earlier lines and still open closes them, as its indentation says they
    /// should be, with one error at the end of the code before it, where the closers are
    /// probably missing. At column 0 (a top-level form) that is every open form.
    fn recover_at_line_start(&mut self, token: Token) {
        if !self.recover {
            return;
        }
        let start = token.range.start as usize;
        let column = start - self.line_start;
        // A quote or datum comment waiting for its form takes this one.
        if self.stack.last().is_some_and(|f| f.kind.is_prefix()) {
            return;
        }
        let mut first = self.stack.len();
        while first > 1
            && self.stack[first - 1].line < self.line
            && self.stack[first - 1].column >= column
            && !self.stack[first - 1].kind.is_prefix()
        {
            first -= 1;
        }
        if first == self.stack.len() {
            return;
        }
        let open: Vec<usize> = (first..self.stack.len())
            .filter(|&i| self.stack[i].kind.closer().is_some())
            .collect();
        let closers: String = open
            .iter()
            .rev()
            .map(|&i| closer_text(self.stack[i].kind.closer().unwrap_or(TokenKind::RParen)))
            .collect();
        if !open.is_empty() {
            self.recoveries += 1;
        }
        if self.recoveries > MAX_RECOVERIES {
            self.first_unreported.get_or_insert(self.code_end);
        } else if !open.is_empty() {
            let mut diagnostic = Diagnostic::new(
                codes::UNCLOSED_DELIMITER,
                self.span(TextRange::empty(self.code_end)),
                format!("`{closers}` is probably missing here"),
            )
            .with_label(format!("add `{closers}` here"));
            // The outermost open form, and the innermost when there are several.
            let shown = [open[0], open[open.len() - 1]];
            for (n, &i) in shown.iter().enumerate() {
                if n == 1 && i == open[0] {
                    break;
                }
                let kind = self.stack[i].kind;
                diagnostic = diagnostic.with_secondary(
                    self.span(self.opener_range(i)),
                    format!("this `{}` is never closed", opener_text(kind)),
                );
            }
            let why = if column == 0 {
                "a `(` at the start of a line begins a new top-level form"
            } else {
                "this form is indented like the open form above it, not inside it"
            };
            self.errors.push(
                diagnostic
                    .with_secondary(self.span(token.range), why)
                    .with_help(format!(
                        "close the form above with `{closers}`, or indent this line if it belongs inside it",
                    )),
            );
        }
        while self.stack.len() > first {
            self.depth -= 1;
            let node = self.pop(start);
            self.complete(SyntaxElement::Node(node));
        }
    }

    fn token(&mut self, token: Token) {
        use TokenKind::*;
        match token.kind {
            Whitespace | LineComment | BlockComment => self.push(SyntaxElement::Token(token)),
            UnterminatedBlockComment => {
                self.errors.push(
                    Diagnostic::new(
                        codes::UNTERMINATED_COMMENT,
                        self.span(TextRange::new(token.range.start as usize, token.range.start as usize + 2)),
                        "this block comment is never closed",
                    )
                    .with_label("`#|` opens a comment that runs to the end of the file")
                    .with_help("close it with `|#`; block comments nest, so each inner `#|` needs its own `|#`"),
                );
                self.push(SyntaxElement::Token(token));
            }
            Atom | String => self.complete(SyntaxElement::Token(token)),
            // Reported once the whole file is read (see `finish`).
            UnterminatedString => self.complete(SyntaxElement::Token(token)),
            BadHash => {
                self.errors.push(
                    Diagnostic::new(
                        codes::BAD_HASH,
                        self.span(token.range),
                        "unknown `#` syntax",
                    )
                    .with_label("`#` can only start `#|` or `#;`")
                    .with_help(
                        "use `#| … |#` for a block comment or `#;` to comment out the next form",
                    ),
                );
                self.complete(SyntaxElement::Token(token));
            }
            LParen | LBracket | LBrace => self.open(token),
            Quote | Quasiquote | Unquote | UnquoteSplicing | DatumComment => {
                if self.depth == MAX_DEPTH {
                    // Keep the prefix as a plain token; the error says why it is ignored.
                    self.too_deep(token);
                    self.push(SyntaxElement::Token(token));
                    return;
                }
                self.depth += 1;
                let kind = match token.kind {
                    Quote => NodeKind::Quote,
                    Quasiquote => NodeKind::Quasiquote,
                    Unquote => NodeKind::Unquote,
                    UnquoteSplicing => NodeKind::UnquoteSplicing,
                    _ => NodeKind::DatumComment,
                };
                let mut frame = self.frame(kind, token.range.start as usize);
                frame.children.push(SyntaxElement::Token(token));
                self.stack.push(frame);
            }
            RParen | RBracket | RBrace => self.close(token),
        }
    }

    /// Reports the string that is never closed: the suspect, or the last string itself.
    fn unterminated_string(&mut self, strings: UnclosedString) {
        let quote = |at: u32| TextRange::new(at as usize, at as usize + 1);
        let (suspect, last) = (strings.suspect, strings.last);
        let diagnostic = match suspect {
            suspect if suspect != last => Diagnostic::new(
                codes::UNTERMINATED_STRING,
                self.span(quote(suspect.start)),
                "this string is probably never closed",
            )
            .with_label("the string starting here runs on over the code below it")
            .with_secondary(
                self.span(quote(last.start)),
                "this quote then closes it, and opens a string that runs to the end of the file",
            )
            .with_help("add the closing `\"` at the end of this string's first line; write `\\\"` for a quote inside a string"),
            _ => Diagnostic::new(
                codes::UNTERMINATED_STRING,
                self.span(quote(last.start)),
                "this string is never closed",
            )
            .with_label("the string starting here runs to the end of the file")
            .with_help("add the closing `\"`; write `\\\"` for a quote inside a string"),
        };
        self.errors.push(diagnostic);
    }

    fn open(&mut self, token: Token) {
        let kind = match token.kind {
            TokenKind::LParen => NodeKind::List,
            TokenKind::LBracket => NodeKind::Vector,
            _ => NodeKind::Map,
        };
        if self.depth == MAX_DEPTH {
            self.too_deep(token);
            let mut frame = Frame::new(NodeKind::Error, token.range.start as usize);
            frame.children.push(SyntaxElement::Token(token));
            self.stack.push(frame);
            self.overflow = 1;
            return;
        }
        self.depth += 1;
        let mut frame = self.frame(kind, token.range.start as usize);
        frame.children.push(SyntaxElement::Token(token));
        self.stack.push(frame);
    }

    /// A frame opened at `start` on the current line.
    fn frame(&self, kind: NodeKind, start: usize) -> Frame {
        Frame {
            line: self.line,
            column: start - self.line_start,
            ..Frame::new(kind, start)
        }
    }

    /// Reports nesting past [`MAX_DEPTH`], once per file.
    fn too_deep(&mut self, token: Token) {
        if std::mem::replace(&mut self.reported_depth, true) {
            return;
        }
        self.errors.push(
            Diagnostic::new(
                codes::TOO_DEEP,
                self.span(token.range),
                "forms are nested too deeply",
            )
            .with_label(format!("this is more than {MAX_DEPTH} levels deep"))
            .with_help("give the inner parts names with `let` or `defn`"),
        );
    }

    /// Past the depth limit: keep tokens flat in the error node until its opener is closed.
    fn overflowed(&mut self, token: Token) {
        use TokenKind::*;
        match token.kind {
            LParen | LBracket | LBrace => self.overflow += 1,
            RParen | RBracket | RBrace => self.overflow -= 1,
            _ => {}
        }
        self.push(SyntaxElement::Token(token));
        if self.overflow == 0 {
            let node = self.pop(token.range.end as usize);
            self.complete(SyntaxElement::Node(node));
        }
    }

    fn close(&mut self, token: Token) {
        let target = self
            .stack
            .iter()
            .rposition(|f| f.kind.closer() == Some(token.kind));
        let innermost = self.stack.iter().rposition(|f| f.kind.closer().is_some());
        let Some(target) = target else {
            let diagnostic = match innermost {
                Some(i) => {
                    let opener = self.opener_range(i);
                    let expected =
                        closer_text(self.stack[i].kind.closer().unwrap_or(TokenKind::RParen));
                    Diagnostic::new(
                        codes::MISMATCHED_DELIMITER,
                        self.span(token.range),
                        format!(
                            "`{}` does not match the open `{}`",
                            closer_text(token.kind),
                            opener_text(self.stack[i].kind)
                        ),
                    )
                    .with_label(format!("expected `{expected}` here"))
                    .with_secondary(
                        self.span(opener),
                        format!("`{}` opened here", opener_text(self.stack[i].kind)),
                    )
                    .with_help(format!("replace it with `{expected}`, or remove it"))
                }
                None => Diagnostic::new(
                    codes::UNEXPECTED_CLOSER,
                    self.span(token.range),
                    format!("unexpected `{}`", closer_text(token.kind)),
                )
                .with_label("this closes nothing")
                .with_help("remove it, or add the opener it was meant to close"),
            };
            self.errors.push(diagnostic);
            self.push(SyntaxElement::Token(token));
            return;
        };
        // Close everything opened inside the target; each is an error.
        while self.stack.len() - 1 > target {
            let i = self.stack.len() - 1;
            let kind = self.stack[i].kind;
            if kind.is_prefix() {
                self.missing_form(i, token.range.start as usize);
            } else {
                let opener = self.opener_range(i);
                self.errors.push(
                    Diagnostic::new(
                        codes::UNCLOSED_DELIMITER,
                        self.span(opener),
                        format!("this `{}` is never closed", opener_text(kind)),
                    )
                    .with_label(format!("`{}` opened here", opener_text(kind)))
                    .with_secondary(
                        self.span(token.range),
                        format!(
                            "this `{}` closes an outer form first",
                            closer_text(token.kind)
                        ),
                    )
                    .with_help(format!(
                        "add `{}` where the form should end",
                        closer_text(kind.closer().unwrap_or(TokenKind::RParen))
                    )),
                );
                self.depth -= 1;
            }
            let node = self.pop(token.range.start as usize);
            self.complete(SyntaxElement::Node(node));
        }
        self.push(SyntaxElement::Token(token));
        self.depth -= 1;
        let node = self.pop(token.range.end as usize);
        self.complete(SyntaxElement::Node(node));
    }

    fn missing_form(&mut self, frame: usize, at: usize) {
        let kind = self.stack[frame].kind;
        let prefix = self.opener_range(frame);
        self.errors.push(
            Diagnostic::new(
                codes::MISSING_FORM,
                self.span(prefix),
                format!("`{}` must be followed by a form", opener_text(kind)),
            )
            .with_label("nothing follows this")
            .with_secondary(
                self.span(TextRange::empty(at)),
                "expected a form before this point",
            )
            .with_help(match kind {
                NodeKind::DatumComment => {
                    "remove the `#;`, or put the form to comment out after it"
                }
                _ => "remove the prefix, or put the form it applies to right after it",
            }),
        );
    }

    fn opener_range(&self, frame: usize) -> TextRange {
        self.stack[frame].children.first().map_or(
            TextRange::empty(self.stack[frame].start),
            SyntaxElement::range,
        )
    }

    fn push(&mut self, element: SyntaxElement) {
        self.stack
            .last_mut()
            .expect("the root frame is never popped")
            .children
            .push(element);
    }

    /// Pops the top frame into a node ending at `end` (used when it has no children).
    fn pop(&mut self, end: usize) -> SyntaxNode {
        let frame = self.stack.pop().expect("the root frame is never popped");
        if frame.kind.is_prefix() {
            self.depth -= 1;
        }
        let end = frame
            .children
            .last()
            .map_or(end, |c| c.range().end as usize);
        SyntaxNode {
            kind: frame.kind,
            range: TextRange::new(frame.start, end),
            children: frame.children,
        }
    }

    /// Adds a finished form to the top frame, completing any prefix nodes waiting for it.
    fn complete(&mut self, mut element: SyntaxElement) {
        loop {
            let top = self
                .stack
                .last_mut()
                .expect("the root frame is never popped");
            top.children.push(element);
            if !top.kind.is_prefix() {
                return;
            }
            let node = self.pop(0);
            element = SyntaxElement::Node(node);
        }
    }

    fn finish(mut self, len: usize) -> Parse {
        while self.stack.len() > 1 {
            let i = self.stack.len() - 1;
            let kind = self.stack[i].kind;
            if kind.is_prefix() {
                self.missing_form(i, len);
            } else if kind != NodeKind::Error {
                let opener = self.opener_range(i);
                self.errors.push(
                    Diagnostic::new(
                        codes::UNCLOSED_DELIMITER,
                        self.span(opener),
                        format!("this `{}` is never closed", opener_text(kind)),
                    )
                    .with_label(format!("`{}` opened here", opener_text(kind)))
                    .with_secondary(self.span(TextRange::empty(len)), "the file ends here")
                    .with_help(format!(
                        "add `{}` where the form should end",
                        closer_text(kind.closer().unwrap_or(TokenKind::RParen))
                    )),
                );
            }
            let node = self.pop(len);
            self.complete(SyntaxElement::Node(node));
        }
        let root = self.pop(len);
        let root = SyntaxNode {
            range: TextRange::new(0, len),
            ..root
        };
        if let Some(at) = self.first_unreported {
            let more = self.recoveries - MAX_RECOVERIES;
            self.errors.push(
                Diagnostic::new(
                    codes::UNCLOSED_DELIMITER,
                    self.span(TextRange::empty(at)),
                    format!("forms are left open before {more} more top-level forms"),
                )
                .with_label("the first of them")
                .with_help(format!(
                    "only the first {MAX_RECOVERIES} places are reported; close each form before the next `(` at the start of a line"
                )),
            );
        }
        if let Some(strings) = self.suspect {
            // Every other error from there on follows from the string read as code and the
            // code read as a string.
            let start = strings.suspect.start;
            self.unterminated_string(strings);
            self.errors.retain(|e| {
                e.code == codes::UNTERMINATED_STRING
                    || std::iter::once(e.span)
                        .chain(e.secondary.iter().map(|l| l.span))
                        .all(|span| span.range.end <= start)
            });
        }
        crate::diagnostic::sort(&mut self.errors);
        Parse {
            root,
            errors: self.errors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes_of(text: &str) -> Vec<&'static str> {
        read(FileId(0), text)
            .errors
            .iter()
            .map(|d| d.code.id)
            .collect()
    }

    fn roundtrip(text: &str) {
        let parse = read(FileId(0), text);
        assert_eq!(parse.root.token_text(text), text);
        assert_eq!(parse.root.range, TextRange::new(0, text.len()));
    }

    #[test]
    fn clean_input_has_no_errors() {
        assert!(
            codes_of("(defn f [x] {:a 'x :b `(,x ,@x)}) ; done\n#| c |# #;(ignored)").is_empty()
        );
    }

    #[test]
    fn reports_every_error() {
        assert_eq!(codes_of("(a"), vec!["E0101"]);
        assert_eq!(codes_of(")"), vec!["E0102"]);
        assert_eq!(codes_of("(a]"), vec!["E0101", "E0103"]);
        assert_eq!(codes_of("(let [a 1) b)"), vec!["E0101", "E0102"]);
        assert_eq!(codes_of("(a '"), vec!["E0101", "E0110"]);
        assert_eq!(codes_of("(a #foo) \"x"), vec!["E0109", "E0104"]);
    }

    #[test]
    fn a_string_left_open_is_reported_even_past_the_depth_limit() {
        // Found by the `formatter` fuzz target: the string was only reported when its token
        // was read normally, and errors after the suspect were dropped: a file that never
        // closed its forms checked clean.
        let deep = format!("(\"\"\n{}\"", "[".repeat(300));
        assert_eq!(codes_of(&deep), vec!["E0112", "E0104"]);
        let suspect = format!("(#;(\"\n(\") {}\"", "[".repeat(300));
        assert_eq!(codes_of(&suspect), vec!["E0104"]);
    }

    #[test]
    fn unclosed_points_at_the_opener() {
        let parse = read(FileId(0), "(a (b c)");
        assert_eq!(parse.errors[0].span.range, TextRange::new(0, 1));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("{}{}", "(".repeat(100_000), ")".repeat(100_000));
        assert_eq!(codes_of(&text), vec!["E0112"]);
        roundtrip(&text);
        let quotes = format!("{}x", "'".repeat(100_000));
        assert_eq!(codes_of(&quotes), vec!["E0112"]);
        roundtrip(&quotes);
        let mixed = format!("{}x{}", "('".repeat(50_000), ")".repeat(50_000));
        assert_eq!(codes_of(&mixed), vec!["E0112"]);
        roundtrip(&mixed);
        let unbalanced = "[".repeat(50_000);
        roundtrip(&unbalanced);
    }

    #[test]
    fn lossless_with_errors() {
        for text in [
            "(a",
            ")(",
            "(a]) ' #;",
            "{:a}",
            "(x \"é\r\n\" #| |#",
            "'",
            "#;",
        ] {
            roundtrip(text);
        }
    }
}
