//! Data read from the syntax tree: the s-expressions the expander works on, each with its
//! span. Atoms are classified here (numbers, keywords, booleans, symbols) and string escapes
//! decoded, with an error for each one that is wrong.

use std::collections::BTreeMap;

use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::span::{FileId, Span, TextRange};
use crate::syntax::lexer::TokenKind;
use crate::syntax::tree::{NodeKind, SyntaxElement, SyntaxNode};

/// A form with the span it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Datum {
    /// What it is.
    pub kind: DatumKind,
    /// Where it came from.
    pub span: Span,
}

/// The kinds of form.
#[derive(Debug, Clone, PartialEq)]
pub enum DatumKind {
    /// `nil`
    Nil,
    /// `true` or `false`
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// A string, escapes decoded.
    Str(String),
    /// A keyword, without its colon.
    Keyword(String),
    /// A symbol.
    Symbol(String),
    /// `( … )`; quote prefixes read as lists too: `'x` is `(quote x)`.
    List(Vec<Datum>),
    /// `[ … ]`
    Vector(Vec<Datum>),
    /// `{ k v … }`, pairs in source order.
    Map(Vec<(Datum, Datum)>),
    /// Something that could not be read; an error was already reported for it.
    Error,
}

impl Datum {
    /// A datum of `kind` at `span`.
    pub fn new(kind: DatumKind, span: Span) -> Self {
        Datum { kind, span }
    }

    /// The symbol's name, if this is a symbol.
    pub fn as_symbol(&self) -> Option<&str> {
        match &self.kind {
            DatumKind::Symbol(s) => Some(s),
            _ => None,
        }
    }

    /// The keyword's name (without `:`), if this is a keyword.
    pub fn as_keyword(&self) -> Option<&str> {
        match &self.kind {
            DatumKind::Keyword(s) => Some(s),
            _ => None,
        }
    }

    /// The elements, if this is a list.
    pub fn as_list(&self) -> Option<&[Datum]> {
        match &self.kind {
            DatumKind::List(items) => Some(items),
            _ => None,
        }
    }

    /// The head symbol of a list form such as `(state …)`.
    pub fn head_symbol(&self) -> Option<&str> {
        self.as_list()?.first()?.as_symbol()
    }

    /// A short description for messages: "a symbol", "a vector", …
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            DatumKind::Nil => "nil",
            DatumKind::Bool(_) => "a boolean",
            DatumKind::Int(_) => "an integer",
            DatumKind::Float(_) => "a float",
            DatumKind::Str(_) => "a string",
            DatumKind::Keyword(_) => "a keyword",
            DatumKind::Symbol(_) => "a symbol",
            DatumKind::List(_) => "a list",
            DatumKind::Vector(_) => "a vector",
            DatumKind::Map(_) => "a map",
            DatumKind::Error => "an unreadable form",
        }
    }
}

/// Converts the forms of a tree's root into data, reporting bad atoms, escapes and maps.
pub fn data(file: FileId, text: &str, root: &SyntaxNode) -> (Vec<Datum>, Vec<Diagnostic>) {
    let mut cx = Converter {
        file,
        text,
        errors: Vec::new(),
    };
    let data = root.forms().map(|e| cx.element(e)).collect();
    (data, cx.errors)
}

struct Converter<'a> {
    file: FileId,
    text: &'a str,
    errors: Vec<Diagnostic>,
}

impl Converter<'_> {
    fn span(&self, range: TextRange) -> Span {
        Span::new(self.file, range)
    }

    fn element(&mut self, element: &SyntaxElement) -> Datum {
        match element {
            SyntaxElement::Token(t) => {
                let span = self.span(t.range);
                let kind = match t.kind {
                    TokenKind::Atom => self.atom(t.range),
                    TokenKind::String => self.string(t.range, true),
                    TokenKind::UnterminatedString => self.string(t.range, false),
                    // Stray closers and bad `#` were reported by the reader.
                    _ => DatumKind::Error,
                };
                Datum::new(kind, span)
            }
            SyntaxElement::Node(n) => self.node(n),
        }
    }

    fn node(&mut self, node: &SyntaxNode) -> Datum {
        let span = self.span(node.range);
        let items: Vec<Datum> = node.forms().map(|e| self.element(e)).collect();
        let kind = match node.kind {
            NodeKind::List => DatumKind::List(items),
            NodeKind::Vector => DatumKind::Vector(items),
            NodeKind::Map => self.map(node, items),
            NodeKind::Quote
            | NodeKind::Quasiquote
            | NodeKind::Unquote
            | NodeKind::UnquoteSplicing => {
                let name = match node.kind {
                    NodeKind::Quote => "quote",
                    NodeKind::Quasiquote => "quasiquote",
                    NodeKind::Unquote => "unquote",
                    _ => "unquote-splicing",
                };
                let prefix = node
                    .children
                    .first()
                    .map_or(node.range, SyntaxElement::range);
                match items.into_iter().next() {
                    Some(inner) => DatumKind::List(vec![
                        Datum::new(DatumKind::Symbol(name.into()), self.span(prefix)),
                        inner,
                    ]),
                    None => DatumKind::Error,
                }
            }
            NodeKind::Root | NodeKind::DatumComment | NodeKind::Error => DatumKind::Error,
        };
        Datum::new(kind, span)
    }

    fn map(&mut self, node: &SyntaxNode, items: Vec<Datum>) -> DatumKind {
        if items.len() % 2 == 1 {
            let last = items.last().map_or(self.span(node.range), |d| d.span);
            self.errors.push(
                Diagnostic::new(
                    codes::ODD_MAP,
                    last,
                    format!(
                        "a map needs key/value pairs, but this one has an odd number of forms ({})",
                        items.len()
                    ),
                )
                .with_label("this key has no value")
                .with_secondary(self.span(node.range), "in this map")
                .with_help("add the missing value, or remove the extra key"),
            );
            return DatumKind::Error;
        }
        let mut pairs = Vec::with_capacity(items.len() / 2);
        let mut iter = items.into_iter();
        let mut seen: BTreeMap<ConstantKey, Span> = BTreeMap::new();
        while let (Some(k), Some(v)) = (iter.next(), iter.next()) {
            if let Some(key) = ConstantKey::of(&k) {
                if let Some(&first) = seen.get(&key) {
                    let text = &self.text[k.span.range.as_range()];
                    self.errors.push(
                        Diagnostic::new(
                            codes::DUPLICATE_KEY,
                            k.span,
                            format!("the key `{text}` appears twice in this map"),
                        )
                        .with_label("a second time here")
                        .with_secondary(first, "first here")
                        .with_help("a map holds one value per key: remove one of the two entries"),
                    );
                } else {
                    seen.insert(key, k.span);
                }
            }
            pairs.push((k, v));
        }
        DatumKind::Map(pairs)
    }

    fn atom(&mut self, range: TextRange) -> DatumKind {
        let text = &self.text[range.as_range()];
        let Some((at, c, what)) = text
            .char_indices()
            .find_map(|(i, c)| hidden_character(c).map(|what| (i, c, what)))
        else {
            return self.classify(text, range);
        };
        let start = range.start as usize + at;
        let shown: String = text
            .chars()
            .map(|c| match hidden_character(c) {
                Some(_) => '·',
                None => c,
            })
            .collect();
        self.errors.push(
            Diagnostic::new(
                codes::HIDDEN_CHARACTER,
                self.span(TextRange::new(start, start + c.len_utf8())),
                format!(
                    "`{shown}` contains U+{:04X} {what} (shown as `·`), which cannot be seen",
                    c as u32
                ),
            )
            .with_label("here")
            .with_help("delete it: names may not contain invisible, bidirectional-control or space characters, which would make two names look the same"),
        );
        // Read on as if it were not there, so the one mistake is not reported again.
        let visible: String = text
            .chars()
            .filter(|&c| hidden_character(c).is_none())
            .collect();
        if visible.is_empty() {
            return DatumKind::Error;
        }
        self.classify(&visible, range)
    }

    fn classify(&mut self, text: &str, range: TextRange) -> DatumKind {
        match text {
            "nil" => return DatumKind::Nil,
            "true" => return DatumKind::Bool(true),
            "false" => return DatumKind::Bool(false),
            _ => {}
        }
        if let Some(name) = text.strip_prefix(':') {
            if name.is_empty() || name.starts_with(':') {
                self.errors.push(
                    Diagnostic::new(
                        codes::BAD_KEYWORD,
                        self.span(range),
                        format!("`{text}` is not a keyword"),
                    )
                    .with_label("a keyword needs a name after one `:`")
                    .with_help("write a keyword like `:timeout`"),
                );
                return DatumKind::Error;
            }
            return DatumKind::Keyword(name.to_string());
        }
        let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
        if !unsigned.starts_with(|c: char| c.is_ascii_digit()) {
            return DatumKind::Symbol(text.to_string());
        }
        match parse_number(text) {
            Ok(kind) => kind,
            Err(why) => {
                self.errors.push(
                    Diagnostic::new(codes::BAD_NUMBER, self.span(range), format!("`{text}` is not a valid number"))
                        .with_label(why)
                        .with_help("numbers look like 42, -7, 3.14, -0.5, 1e9 or 2.5e-3; a name cannot start with a digit"),
                );
                DatumKind::Error
            }
        }
    }

    fn string(&mut self, range: TextRange, terminated: bool) -> DatumKind {
        let start = range.start as usize + 1;
        let end = if terminated {
            range.end as usize - 1
        } else {
            range.end as usize
        };
        let body = &self.text[start..end];
        let mut out = String::with_capacity(body.len());
        let mut chars = body.char_indices().peekable();
        let mut ok = true;
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some((j, e)) = chars.next() else {
                // A lone backslash at the end of an unterminated string.
                break;
            };
            let escape_range = |len: usize| TextRange::new(start + i, start + j + len);
            match e {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '\\' => out.push('\\'),
                '"' => out.push('"'),
                'u' => {
                    let rest = &body[j + 1..];
                    let decoded = rest
                        .strip_prefix('{')
                        .and_then(|r| r.find('}').map(|close| &r[..close]))
                        .filter(|hex| (1..=6).contains(&hex.len()))
                        .and_then(|hex| u32::from_str_radix(hex, 16).ok().map(|v| (hex.len(), v)));
                    match decoded.and_then(|(len, v)| char::from_u32(v).map(|c| (len, c))) {
                        Some((len, c)) => {
                            out.push(c);
                            // Skip `{HEX}`.
                            for _ in 0..len + 2 {
                                chars.next();
                            }
                        }
                        None => {
                            ok = false;
                            let len = rest
                                .strip_prefix('{')
                                .and_then(|r| r.find('}'))
                                .map_or(1, |close| close + 3);
                            self.errors.push(
                                Diagnostic::new(
                                    codes::BAD_ESCAPE,
                                    self.span(escape_range(len)),
                                    "invalid unicode escape",
                                )
                                .with_label("expected `\\u{` then 1 to 6 hex digits naming a character, then `}`")
                                .with_help("write a character as `\\u{1F600}`"),
                            );
                        }
                    }
                }
                other => {
                    ok = false;
                    self.errors.push(
                        Diagnostic::new(
                            codes::BAD_ESCAPE,
                            self.span(escape_range(other.len_utf8())),
                            format!("unknown escape `\\{other}`"),
                        )
                        .with_label("not an escape")
                        .with_help("the escapes are \\n \\t \\r \\\\ \\\" and \\u{HEX}; write `\\\\` for a backslash"),
                    );
                }
            }
        }
        if ok && terminated {
            DatumKind::Str(out)
        } else {
            DatumKind::Error
        }
    }
}

/// A constant map key, compared the way the VM compares keys (`1` and `1.0` differ, `0.0`
/// and `-0.0` do not, a map's entries in any order), so duplicates can be found with a sort.
/// Symbols and lists are code, evaluated at run time: they have none.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum ConstantKey {
    Nil,
    Bool(bool),
    Int(i64),
    /// The bits of the float, `-0.0` as `0.0`.
    Float(u64),
    Str(String),
    Keyword(String),
    Vector(Vec<ConstantKey>),
    /// Entries sorted.
    Map(Vec<(ConstantKey, ConstantKey)>),
}

impl ConstantKey {
    /// The key of a constant datum, without recursion (a key may nest deeply).
    fn of(d: &Datum) -> Option<ConstantKey> {
        // Post-order: each collection is built from the keys of its items, found first.
        enum Step<'a> {
            Visit(&'a Datum),
            Build(&'a Datum),
        }
        let mut steps = vec![Step::Visit(d)];
        let mut done: Vec<ConstantKey> = Vec::new();
        while let Some(step) = steps.pop() {
            match step {
                Step::Visit(d) => match &d.kind {
                    DatumKind::Nil => done.push(ConstantKey::Nil),
                    DatumKind::Bool(b) => done.push(ConstantKey::Bool(*b)),
                    DatumKind::Int(i) => done.push(ConstantKey::Int(*i)),
                    DatumKind::Float(f) => {
                        let f = if *f == 0.0 { 0.0 } else { *f };
                        done.push(ConstantKey::Float(f.to_bits()));
                    }
                    DatumKind::Str(s) => done.push(ConstantKey::Str(s.clone())),
                    DatumKind::Keyword(k) => done.push(ConstantKey::Keyword(k.clone())),
                    DatumKind::Vector(items) => {
                        steps.push(Step::Build(d));
                        steps.extend(items.iter().rev().map(Step::Visit));
                    }
                    DatumKind::Map(pairs) => {
                        steps.push(Step::Build(d));
                        steps.extend(
                            pairs
                                .iter()
                                .rev()
                                .flat_map(|(k, v)| [Step::Visit(v), Step::Visit(k)]),
                        );
                    }
                    DatumKind::Symbol(_) | DatumKind::List(_) | DatumKind::Error => return None,
                },
                Step::Build(d) => match &d.kind {
                    DatumKind::Vector(items) => {
                        let items = done.split_off(done.len() - items.len());
                        done.push(ConstantKey::Vector(items));
                    }
                    DatumKind::Map(pairs) => {
                        let flat = done.split_off(done.len() - 2 * pairs.len());
                        let mut entries: Vec<(ConstantKey, ConstantKey)> = flat
                            .chunks(2)
                            .map(|kv| (kv[0].clone(), kv[1].clone()))
                            .collect();
                        entries.sort();
                        done.push(ConstantKey::Map(entries));
                    }
                    _ => unreachable!("only collections are built"),
                },
            }
        }
        done.pop()
    }
}

/// What `c` is, if it must not appear in a name: a character that shows as nothing or as a
/// space, or that reorders the text around it (Unicode's format, control and space
/// characters, and the fillers and joiners that render invisibly).
pub(crate) fn hidden_character(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{AD}' => "(SOFT HYPHEN)",
        '\u{34F}' => "(COMBINING GRAPHEME JOINER)",
        '\u{61C}' => "(ARABIC LETTER MARK)",
        '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' => "(HANGUL FILLER)",
        '\u{17B4}' | '\u{17B5}' => "(KHMER INHERENT VOWEL)",
        '\u{180E}' => "(MONGOLIAN VOWEL SEPARATOR)",
        '\u{200B}' => "(ZERO WIDTH SPACE)",
        '\u{200C}' => "(ZERO WIDTH NON-JOINER)",
        '\u{200D}' => "(ZERO WIDTH JOINER)",
        '\u{200E}' => "(LEFT-TO-RIGHT MARK)",
        '\u{200F}' => "(RIGHT-TO-LEFT MARK)",
        '\u{202A}'..='\u{202E}' => "(a bidirectional embedding or override)",
        '\u{2060}' => "(WORD JOINER)",
        '\u{2061}'..='\u{2064}' => "(an invisible operator)",
        '\u{2066}'..='\u{2069}' => "(a bidirectional isolate)",
        '\u{206A}'..='\u{206F}' => "(a deprecated format character)",
        '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}' => "(a variation selector)",
        '\u{FEFF}' => "(ZERO WIDTH NO-BREAK SPACE)",
        '\u{FFF9}'..='\u{FFFB}' => "(an interlinear annotation character)",
        '\u{E0000}'..='\u{E007F}' => "(a tag character)",
        '\u{600}'..='\u{605}' | '\u{6DD}' | '\u{70F}' | '\u{890}' | '\u{891}' | '\u{8E2}' => {
            "(a format character)"
        }
        '\u{110BD}' | '\u{110CD}' | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}' => {
            "(a format character)"
        }
        '\u{1D173}'..='\u{1D17A}' => "(a musical format character)",
        c if c.is_whitespace() => "(a space character)",
        c if c.is_control() => "(a control character)",
        _ => return None,
    })
}

/// Whether the atom `text` reads as a number (`42`, `-0.5`, `1e9`); `.5` (a symbol) and
/// `0x1F` (an error) do not.
pub fn is_number(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    unsigned.starts_with(|c: char| c.is_ascii_digit()) && parse_number(text).is_ok()
}

/// Parses an atom that starts like a number; the error says what is wrong with it.
fn parse_number(text: &str) -> Result<DatumKind, &'static str> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if digits(unsigned) {
        return text
            .parse::<i64>()
            .map(DatumKind::Int)
            .map_err(|_| "this integer does not fit in 64 bits (−9223372036854775808 to 9223372036854775807)");
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, frac)) => digits(whole) && digits(frac),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    if !mantissa_ok || !exponent_ok {
        return Err("not a number: a name cannot start with a digit");
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(DatumKind::Float(f)),
        _ => Err("this float is too large to represent"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::reader::read;

    fn read_all(text: &str) -> (Vec<Datum>, Vec<Diagnostic>) {
        let parse = read(FileId(0), text);
        data(FileId(0), text, &parse.root)
    }

    fn one(text: &str) -> DatumKind {
        let (data, errors) = read_all(text);
        assert!(errors.is_empty(), "{errors:?}");
        data.into_iter().next().unwrap().kind
    }

    #[test]
    fn atoms() {
        assert_eq!(one("42"), DatumKind::Int(42));
        assert_eq!(one("-7"), DatumKind::Int(-7));
        assert_eq!(one("3.25"), DatumKind::Float(3.25));
        assert_eq!(one("-0.5"), DatumKind::Float(-0.5));
        assert_eq!(one("1e9"), DatumKind::Float(1e9));
        assert_eq!(one("2.5e-3"), DatumKind::Float(2.5e-3));
        assert_eq!(one("nil"), DatumKind::Nil);
        assert_eq!(one("true"), DatumKind::Bool(true));
        assert_eq!(one(":kw"), DatumKind::Keyword("kw".into()));
        assert_eq!(one("->json"), DatumKind::Symbol("->json".into()));
        assert_eq!(one("-"), DatumKind::Symbol("-".into()));
        assert_eq!(one("std/text"), DatumKind::Symbol("std/text".into()));
    }

    #[test]
    fn strings_decode_escapes() {
        assert_eq!(
            one(r#""a\n\t\r\\\"\u{1F600}é""#),
            DatumKind::Str("a\n\t\r\\\"😀é".into())
        );
        assert_eq!(one("\"two\nlines\""), DatumKind::Str("two\nlines".into()));
    }

    #[test]
    fn quote_prefixes_read_as_lists() {
        let DatumKind::List(items) = one("'x") else {
            panic!()
        };
        assert_eq!(items[0].kind, DatumKind::Symbol("quote".into()));
        assert_eq!(items[1].kind, DatumKind::Symbol("x".into()));
    }

    #[test]
    fn bad_atoms_are_reported() {
        let codes = |t: &str| read_all(t).1.iter().map(|d| d.code.id).collect::<Vec<_>>();
        assert_eq!(codes("12abc"), vec!["E0108"]);
        assert_eq!(codes("99999999999999999999"), vec!["E0108"]);
        assert_eq!(codes("1."), vec!["E0108"]);
        assert_eq!(codes(r#""\q""#), vec!["E0106"]);
        assert_eq!(codes(r#""\u{110000}""#), vec!["E0106"]);
        assert_eq!(codes(r#""\u{zz}" "\u""#), vec!["E0106", "E0106"]);
        assert_eq!(codes("{:a 1 :b}"), vec!["E0107"]);
        assert_eq!(codes("{:k 1 :k 2}"), vec!["E0113"]);
        assert_eq!(codes("(def a\u{200B}b 1)"), vec!["E0114"]);
        assert_eq!(
            codes("x\u{202E}y :k\u{2066}w a\u{A0}b c\u{7}d"),
            vec!["E0114"; 4]
        );
        // Visible letters of any script are fine; so are strings with hidden characters.
        assert_eq!(codes("(def héllo-世界 \"a\u{200B}b\")"), Vec::<&str>::new());
        assert_eq!(
            codes(r#"{"a" 1 [1 {:x 0.0}] 2 "a" 3 [1 {:x -0.0}] 4}"#),
            vec!["E0113", "E0113"]
        );
        // Different keys to the VM, and keys computed at run time, are not duplicates.
        assert_eq!(
            codes("{1 :int 1.0 :float :a 1 \"a\" 2 x 3 x 4 (f) 5 (f) 6}"),
            Vec::<&str>::new()
        );
        assert_eq!(codes(":"), vec!["E0111"]);
    }
}
