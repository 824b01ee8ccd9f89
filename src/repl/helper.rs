//! The line editor's helper: input continues until the form is closed (the real reader
//! decides, so parentheses in strings and comments do not count), Tab completes names, and
//! the line is coloured by token.

use std::borrow::Cow;
use std::cell::RefCell;

use duet_lang::codes;
use duet_lang::span::FileId;
use duet_lang::syntax::lexer::{self, TokenKind};
use duet_lang::syntax::reader;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};

/// The REPL's commands, for completion.
pub const COMMANDS: &[&str] = &[":help", ":doc", ":load", ":time", ":reset", ":quit"];

/// State the line editor consults.
pub struct DuetHelper {
    /// Names to complete: globals, builtins, special forms.
    pub names: RefCell<Vec<String>>,
    /// Whether to colour input.
    pub color: bool,
}

/// Whether `input` is an unfinished form: an open delimiter, string or block comment, or a
/// prefix still waiting for its form.
pub fn is_incomplete(input: &str) -> bool {
    if input.trim_start().starts_with(':') {
        return false;
    }
    let parse = reader::read(FileId(0), input);
    // A stray or mismatched closer will not be fixed by typing more: submit and report it.
    if parse
        .errors
        .iter()
        .any(|e| e.code == codes::UNEXPECTED_CLOSER || e.code == codes::MISMATCHED_DELIMITER)
    {
        return false;
    }
    parse.errors.iter().any(|e| {
        e.code == codes::UNTERMINATED_STRING
            || e.code == codes::UNTERMINATED_COMMENT
            || (e.code == codes::UNCLOSED_DELIMITER
                && e.secondary
                    .iter()
                    .any(|l| l.span.range.start as usize == input.len()))
            || (e.code == codes::MISSING_FORM
                && e.secondary
                    .iter()
                    .any(|l| l.span.range.start as usize == input.len()))
    })
}

impl Validator for DuetHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if is_incomplete(ctx.input()) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

/// Where the word ending at `pos` starts.
fn word_start(line: &str, pos: usize) -> usize {
    line[..pos]
        .char_indices()
        .rev()
        .find(|&(_, c)| lexer::is_delimiter(c))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

impl Completer for DuetHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let start = word_start(line, pos);
        let word = &line[start..pos];
        let pool: Vec<String> = if start == 0 && word.starts_with(':') {
            COMMANDS.iter().map(|c| c.to_string()).collect()
        } else {
            self.names.borrow().clone()
        };
        let mut found: Vec<Pair> = pool
            .into_iter()
            .filter(|n| n.starts_with(word) && !word.is_empty())
            .map(|n| Pair {
                display: n.clone(),
                replacement: n,
            })
            .collect();
        found.sort_by(|a, b| a.display.cmp(&b.display));
        found.dedup_by(|a, b| a.display == b.display);
        Ok((start, found))
    }
}

impl Hinter for DuetHelper {
    type Hint = String;
}

impl Highlighter for DuetHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !self.color {
            return Cow::Borrowed(line);
        }
        let mut out = String::with_capacity(line.len() * 2);
        for token in lexer::lex(line) {
            let text = &line[token.range.as_range()];
            let style = match token.kind {
                TokenKind::String | TokenKind::UnterminatedString => Some("32"),
                TokenKind::LineComment
                | TokenKind::BlockComment
                | TokenKind::UnterminatedBlockComment => Some("2"),
                TokenKind::Atom if text.starts_with(':') => Some("36"),
                TokenKind::Atom if text.starts_with(|c: char| c.is_ascii_digit()) => Some("33"),
                TokenKind::Atom if duet_lang::expand::SPECIAL_FORMS.contains(&text) => Some("1;35"),
                _ => None,
            };
            match style {
                Some(code) => {
                    out.push_str("\x1b[");
                    out.push_str(code);
                    out.push('m');
                    out.push_str(text);
                    out.push_str("\x1b[0m");
                }
                None => out.push_str(text),
            }
        }
        Cow::Owned(out)
    }

    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        _default: bool,
    ) -> Cow<'b, str> {
        if self.color {
            Cow::Owned(format!("\x1b[1;34m{prompt}\x1b[0m"))
        } else {
            Cow::Borrowed(prompt)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.color
    }
}

impl Helper for DuetHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfinished_forms_continue_and_errors_do_not() {
        assert!(is_incomplete("(defn f [x]"));
        assert!(is_incomplete("(println \"a ) b"));
        assert!(is_incomplete("#| open"));
        assert!(is_incomplete("'"));
        assert!(!is_incomplete("(+ 1 2)"));
        assert!(!is_incomplete("(println \"(\")"));
        assert!(!is_incomplete("(+ 1 2))"));
        assert!(!is_incomplete("(a]"));
        assert!(!is_incomplete(":doc map"));
        assert!(!is_incomplete("; just a comment ("));
    }
}
