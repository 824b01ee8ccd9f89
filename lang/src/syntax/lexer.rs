//! The lexer: source text to tokens, keeping every byte (whitespace and comments too) so
//! that the syntax tree built from them is lossless.
//!
//! Atoms (numbers, symbols, keywords, `true`/`false`/`nil`) are lexed as one maximal run of
//! non-delimiter characters and classified later, the way Lisp readers do: `12abc` is one bad
//! number, not `12` followed by `abc`.

use logos::Logos;

use crate::span::TextRange;

/// What a token is. Tokens never overlap and together cover the whole text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `'`
    Quote,
    /// `` ` ``
    Quasiquote,
    /// `,`
    Unquote,
    /// `,@`
    UnquoteSplicing,
    /// `#;`, which comments out the next datum.
    DatumComment,
    /// A string literal with its closing quote; escapes are checked later.
    String,
    /// A string literal that runs to the end of the file.
    UnterminatedString,
    /// `; …` up to (not including) the end of the line.
    LineComment,
    /// `#| … |#`, nestable.
    BlockComment,
    /// `#| …` that is never closed.
    UnterminatedBlockComment,
    /// Spaces, tabs, newlines, form feeds and a byte-order mark.
    Whitespace,
    /// A number, symbol, keyword, boolean or nil.
    Atom,
    /// `#` followed by something that is not `|` or `;`.
    BadHash,
}

impl TokenKind {
    /// Whitespace and comments: tokens that carry no meaning.
    pub fn is_trivia(self) -> bool {
        matches!(
            self,
            TokenKind::Whitespace
                | TokenKind::LineComment
                | TokenKind::BlockComment
                | TokenKind::UnterminatedBlockComment
        )
    }
}

/// A token: its kind and the bytes it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Where it is.
    pub range: TextRange,
}

/// What follows a `#`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Block { terminated: bool },
    Datum,
    Bad,
}

#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
enum Raw {
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("'")]
    Quote,
    #[token("`")]
    Quasiquote,
    #[token(",")]
    Unquote,
    #[token(",@")]
    UnquoteSplicing,
    #[token("\"", string)]
    Str(bool),
    #[token("#", hash)]
    Hash(Hash),
    #[regex(r";[^\r\n]*", allow_greedy = true)]
    LineComment,
    #[regex("[ \t\r\n\u{0C}\u{FEFF}]+")]
    Whitespace,
    #[regex(r#"[^# \t\r\n\u{0C}\u{FEFF}()\[\]{}"';`,][^ \t\r\n\u{0C}\u{FEFF}()\[\]{}"';`,]*"#)]
    Atom,
}

/// Scans the rest of a string literal after its opening quote; true when it is closed.
fn string(lex: &mut logos::Lexer<Raw>) -> bool {
    let bytes = lex.remainder().as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                lex.bump(i + 1);
                return true;
            }
            // An escape covers the next character; a multi-byte one is finished by the loop,
            // since its continuation bytes are never `"` or `\`.
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    lex.bump(bytes.len());
    false
}

/// Scans what follows `#`: a nestable block comment, a datum comment, or bad syntax.
fn hash(lex: &mut logos::Lexer<Raw>) -> Hash {
    let bytes = lex.remainder().as_bytes();
    match bytes.first() {
        Some(b'|') => {
            let mut depth = 1usize;
            let mut i = 1;
            while i < bytes.len() {
                if bytes[i] == b'|' && bytes.get(i + 1) == Some(&b'#') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        lex.bump(i);
                        return Hash::Block { terminated: true };
                    }
                } else if bytes[i] == b'#' && bytes.get(i + 1) == Some(&b'|') {
                    depth += 1;
                    i += 2;
                } else {
                    i += 1;
                }
            }
            lex.bump(bytes.len());
            Hash::Block { terminated: false }
        }
        Some(b';') => {
            lex.bump(1);
            Hash::Datum
        }
        _ => {
            // Take the rest of the would-be atom so the error covers `#foo`, not just `#`.
            let rest = lex.remainder();
            let len = rest
                .char_indices()
                .find(|&(_, c)| is_delimiter(c))
                .map_or(rest.len(), |(i, _)| i);
            lex.bump(len);
            Hash::Bad
        }
    }
}

/// Characters that end an atom.
pub fn is_delimiter(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t'
            | '\r'
            | '\n'
            | '\u{0C}'
            | '\u{FEFF}'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '"'
            | '\''
            | ';'
            | '`'
            | ','
    )
}

/// Splits `text` into tokens that cover it exactly, in order.
pub fn lex(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut lexer = Raw::lexer(text);
    while let Some(raw) = lexer.next() {
        let span = lexer.span();
        let kind = match raw {
            Ok(Raw::LParen) => TokenKind::LParen,
            Ok(Raw::RParen) => TokenKind::RParen,
            Ok(Raw::LBracket) => TokenKind::LBracket,
            Ok(Raw::RBracket) => TokenKind::RBracket,
            Ok(Raw::LBrace) => TokenKind::LBrace,
            Ok(Raw::RBrace) => TokenKind::RBrace,
            Ok(Raw::Quote) => TokenKind::Quote,
            Ok(Raw::Quasiquote) => TokenKind::Quasiquote,
            Ok(Raw::Unquote) => TokenKind::Unquote,
            Ok(Raw::UnquoteSplicing) => TokenKind::UnquoteSplicing,
            Ok(Raw::Str(true)) => TokenKind::String,
            Ok(Raw::Str(false)) => TokenKind::UnterminatedString,
            Ok(Raw::Hash(Hash::Block { terminated: true })) => TokenKind::BlockComment,
            Ok(Raw::Hash(Hash::Block { terminated: false })) => TokenKind::UnterminatedBlockComment,
            Ok(Raw::Hash(Hash::Datum)) => TokenKind::DatumComment,
            Ok(Raw::Hash(Hash::Bad)) => TokenKind::BadHash,
            Ok(Raw::LineComment) => TokenKind::LineComment,
            Ok(Raw::Whitespace) => TokenKind::Whitespace,
            // Every character starts some token above, so logos reports no errors; should
            // one appear anyway, keep its bytes as an atom, which the reader then rejects.
            Ok(Raw::Atom) | Err(()) => TokenKind::Atom,
        };
        out.push(Token {
            kind,
            range: TextRange::new(span.start, span.end),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        lex(text).into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn atoms_run_to_a_delimiter() {
        use TokenKind::*;
        assert_eq!(
            kinds("(+ 1 -2.5e3 :kw ?x)"),
            vec![
                LParen, Atom, Whitespace, Atom, Whitespace, Atom, Whitespace, Atom, Whitespace,
                Atom, RParen
            ]
        );
        assert_eq!(kinds("12abc"), vec![Atom]);
    }

    #[test]
    fn strings_comments_and_prefixes() {
        use TokenKind::*;
        assert_eq!(
            kinds(r#""a\"b" ; c"#),
            vec![String, Whitespace, LineComment]
        );
        assert_eq!(kinds("\"open"), vec![UnterminatedString]);
        assert_eq!(kinds("#| a #| b |# c |#x"), vec![BlockComment, Atom]);
        assert_eq!(kinds("#| a #| b |#"), vec![UnterminatedBlockComment]);
        assert_eq!(kinds("#;x"), vec![DatumComment, Atom]);
        assert_eq!(kinds("#foo)"), vec![BadHash, RParen]);
        assert_eq!(
            kinds(",@x,y'z`w"),
            vec![
                UnquoteSplicing,
                Atom,
                Unquote,
                Atom,
                Quote,
                Atom,
                Quasiquote,
                Atom
            ]
        );
    }

    #[test]
    fn tokens_cover_the_text() {
        let text = "(a \"é\\u{1F600}\" #| x |# [b {c d}] ;; end\r\n)";
        let tokens = lex(text);
        let mut pos = 0;
        for t in &tokens {
            assert_eq!(t.range.start as usize, pos);
            pos = t.range.end as usize;
        }
        assert_eq!(pos, text.len());
    }

    #[test]
    fn huge_tokens_do_not_overflow_the_stack() {
        let long = "x".repeat(2_000_000);
        assert_eq!(lex(&long).len(), 1);
        let spaces = " ".repeat(2_000_000);
        assert_eq!(lex(&spaces).len(), 1);
        let string = format!("\"{}\"", "y".repeat(2_000_000));
        assert_eq!(kinds(&string), vec![TokenKind::String]);
    }
}
