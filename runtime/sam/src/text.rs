//! A small reader for duet's printed form of terms and for a test notation of patterns. It
//! exists for tests, tools and examples (`Term::parse`, `Pattern::parse`); programs reach the
//! kernel through the VM, which converts its own values.
//!
//! Patterns: `_` discards, `?x` binds (the name is only documentation: captures are
//! positional), `?x@P` binds what `P` matches, `'T` is the literal term `T`, other atoms are
//! literals (a bare symbol is the literal symbol), `<label P …>` is a record group over the
//! first fields, `[P …]` and `(P …)` are sequences of exactly that length, `{K P …}` is a map
//! group whose keys `K` are terms.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::pattern::Pattern;
use super::term::Term;

// The writing half of the syntax. The kernel knows nothing of duet's VM, so it spells its
// literals itself; they are the same as the language's (`duet_vm::print`), which the reader
// below and duet's reader both read back.

/// A float as it is read back: `##NaN`, `##Inf`, `1.0`, `1e20`.
pub(crate) fn float(f: f64) -> String {
    if f.is_nan() {
        "##NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "##Inf" } else { "##-Inf" }.into()
    } else if f != 0.0 && (f.abs() >= 1e16 || f.abs() < 1e-5) {
        format!("{f:e}")
    } else if f.fract() == 0.0 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// Appends `s` quoted, with the escapes the reader understands.
pub(crate) fn quoted(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:X}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

pub(crate) struct Reader<'a> {
    src: &'a str,
    pos: usize,
}

fn delimiter(c: char) -> bool {
    c.is_whitespace() || "()[]{}<>\"'@".contains(c)
}

impl<'a> Reader<'a> {
    pub(crate) fn new(src: &'a str) -> Reader<'a> {
        Reader { src, pos: 0 }
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        let trimmed = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        self.pos += rest.len() - trimmed.len();
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.rest().chars().next()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn err<T>(&self, msg: &str) -> Result<T, String> {
        Err(format!("{msg} at byte {}", self.pos))
    }

    pub(crate) fn end(&mut self) -> Result<(), String> {
        match self.peek() {
            None => Ok(()),
            Some(_) => self.err("unexpected text after the value"),
        }
    }

    fn token(&mut self) -> &'a str {
        let rest = self.rest();
        let n = rest.find(delimiter).unwrap_or(rest.len());
        self.pos += n;
        &rest[..n]
    }

    fn string(&mut self) -> Result<Term, String> {
        self.bump(); // opening quote
        let mut s = String::new();
        loop {
            match self.bump() {
                None => return self.err("unterminated string"),
                Some('"') => return Ok(Term::str(&s)),
                Some('\\') => match self.bump() {
                    Some('n') => s.push('\n'),
                    Some('t') => s.push('\t'),
                    Some('r') => s.push('\r'),
                    Some('\\') => s.push('\\'),
                    Some('"') => s.push('"'),
                    Some('u') => {
                        if self.bump() != Some('{') {
                            return self.err("bad \\u escape");
                        }
                        let rest = self.rest();
                        let Some(close) = rest.find('}') else {
                            return self.err("bad \\u escape");
                        };
                        let c = u32::from_str_radix(&rest[..close], 16)
                            .ok()
                            .and_then(char::from_u32);
                        match c {
                            Some(c) => s.push(c),
                            None => return self.err("bad \\u escape"),
                        }
                        self.pos += close + 1;
                    }
                    _ => return self.err("unknown escape"),
                },
                Some(c) => s.push(c),
            }
        }
    }

    fn atom(&mut self, tok: &str) -> Result<Term, String> {
        Ok(match tok {
            "" => return self.err("expected a value"),
            "nil" => Term::Nil,
            "true" => Term::Bool(true),
            "false" => Term::Bool(false),
            "##NaN" => Term::Float(f64::NAN),
            "##Inf" => Term::Float(f64::INFINITY),
            "##-Inf" => Term::Float(f64::NEG_INFINITY),
            _ => {
                let numeric = tok
                    .strip_prefix('-')
                    .unwrap_or(tok)
                    .starts_with(|c: char| c.is_ascii_digit());
                if numeric {
                    if let Ok(i) = tok.parse::<i64>() {
                        Term::Int(i)
                    } else if let Ok(f) = tok.parse::<f64>() {
                        Term::Float(f)
                    } else {
                        return self.err("bad number");
                    }
                } else if let Some(k) = tok.strip_prefix(':') {
                    Term::kw(k)
                } else {
                    Term::sym(tok)
                }
            }
        })
    }

    fn items<T>(
        &mut self,
        close: char,
        mut item: impl FnMut(&mut Self) -> Result<T, String>,
    ) -> Result<Vec<T>, String> {
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return self.err("unterminated collection"),
                Some(c) if c == close => {
                    self.bump();
                    return Ok(out);
                }
                Some(_) => out.push(item(self)?),
            }
        }
    }

    fn label(&mut self) -> Result<Arc<str>, String> {
        self.skip_ws();
        let tok = self.token();
        match self.atom(tok)? {
            Term::Symbol(s) => Ok(s),
            _ => self.err("a record label must be a symbol"),
        }
    }

    pub(crate) fn term(&mut self) -> Result<Term, String> {
        match self.peek() {
            None => self.err("expected a value"),
            Some('"') => self.string(),
            Some('(') => {
                self.bump();
                Ok(Term::list(self.items(')', Self::term)?))
            }
            Some('[') => {
                self.bump();
                Ok(Term::vector(self.items(']', Self::term)?))
            }
            Some('{') => {
                self.bump();
                let xs = self.items('}', Self::term)?;
                if xs.len() % 2 != 0 {
                    return self.err("a map needs an even number of forms");
                }
                let mut it = xs.into_iter();
                let mut pairs = Vec::new();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                Ok(Term::map(pairs))
            }
            Some('<') => {
                self.bump();
                let label = self.label()?;
                let fields = self.items('>', Self::term)?;
                Ok(Term::record(&label, fields))
            }
            Some(c) if ")]}>'@".contains(c) => self.err("unexpected delimiter"),
            Some(_) => {
                let tok = self.token();
                self.atom(tok)
            }
        }
    }

    pub(crate) fn pattern(&mut self) -> Result<Pattern, String> {
        match self.peek() {
            None => self.err("expected a pattern"),
            Some('\'') => {
                self.bump();
                Ok(Pattern::Lit(self.term()?))
            }
            Some('"') => Ok(Pattern::Lit(self.string()?)),
            Some('(') => {
                self.bump();
                Ok(Pattern::Seq(self.items(')', Self::pattern)?))
            }
            Some('[') => {
                self.bump();
                Ok(Pattern::Seq(self.items(']', Self::pattern)?))
            }
            Some('{') => {
                self.bump();
                let mut entries = BTreeMap::new();
                loop {
                    match self.peek() {
                        None => return self.err("unterminated map pattern"),
                        Some('}') => {
                            self.bump();
                            break;
                        }
                        Some(_) => {
                            let k = self.term()?;
                            if self.peek() == Some('}') {
                                return self.err("a map pattern needs a pattern for each key");
                            }
                            let p = self.pattern()?;
                            entries.insert(k, p);
                        }
                    }
                }
                Ok(Pattern::Map(entries))
            }
            Some('<') => {
                self.bump();
                let label = self.label()?;
                let fields = self.items('>', Self::pattern)?;
                Ok(Pattern::Record {
                    label,
                    fields: fields.into_iter().enumerate().collect(),
                })
            }
            Some(c) if ")]}>@".contains(c) => self.err("unexpected delimiter"),
            Some(_) => {
                let tok = self.token();
                if tok == "_" {
                    Ok(Pattern::Discard)
                } else if tok.starts_with('?') && tok.len() > 1 {
                    if self.rest().starts_with('@') {
                        self.bump();
                        Ok(Pattern::Bind(Box::new(self.pattern()?)))
                    } else {
                        Ok(Pattern::Bind(Box::new(Pattern::Discard)))
                    }
                } else {
                    Ok(Pattern::Lit(self.atom(tok)?))
                }
            }
        }
    }
}
