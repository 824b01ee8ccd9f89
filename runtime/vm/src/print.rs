//! Printing values. The *readable* form (`repr`) is what the REPL shows and what appears
//! inside collections: strings quoted and escaped. The *display* form (`str`, `print`) is
//! the same except that a string at the top is its bare text and nil is empty for `str`.

use duet_lang::ir::Program;

use crate::Ctx;
use crate::value::{Object, Value};

/// Deeper structures print as `…` rather than recursing further.
const MAX_DEPTH: usize = 200;

/// How much [`repr`] and [`display`] write at most: past it the text ends in `…`. (Values
/// that share structure can print far larger than they are.)
pub const MAX_TEXT: usize = 64 << 20;

/// The readable form of `v`, cut at [`MAX_TEXT`] bytes.
pub fn repr(ctx: &Ctx, program: &Program, v: Value) -> String {
    repr_limited(ctx, program, v, MAX_TEXT)
}

/// The readable form of `v`, cut after about `limit` bytes with `…`.
pub fn repr_limited(ctx: &Ctx, program: &Program, v: Value, limit: usize) -> String {
    let mut out = String::new();
    if !write_limited(ctx, program, v, &mut out, limit) {
        out.push('…');
    }
    out
}

/// The display form: a string is its text, anything else its readable form.
pub fn display(ctx: &Ctx, program: &Program, v: Value) -> String {
    match ctx.as_str(v) {
        Some(s) => s.to_string(),
        None => repr(ctx, program, v),
    }
}

/// Appends the readable form of `v` to `out`, stopping once `out` is longer than `limit`
/// bytes; false when it stopped early (the text is then cut anywhere).
pub fn write_limited(
    ctx: &Ctx,
    program: &Program,
    v: Value,
    out: &mut String,
    limit: usize,
) -> bool {
    let mut writer = Writer {
        ctx,
        program,
        out,
        limit,
    };
    writer.write(v, 0);
    writer.out.len() <= limit
}

/// A float as people expect it: `3.0`, `0.1`, `1e300`, `##Inf`.
pub fn float(f: f64) -> String {
    if f.is_nan() {
        "##NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "##Inf".into()
        } else {
            "##-Inf".into()
        }
    } else if f != 0.0 && (f.abs() >= 1e16 || f.abs() < 1e-5) {
        format!("{f:e}")
    } else if f.fract() == 0.0 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// Appends `s` quoted, with the escapes the reader understands.
pub fn quoted(s: &str, out: &mut String) {
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

struct Writer<'a> {
    ctx: &'a Ctx,
    program: &'a Program,
    out: &'a mut String,
    limit: usize,
}

impl Writer<'_> {
    fn full(&self) -> bool {
        self.out.len() > self.limit
    }

    fn items(&mut self, items: &mut dyn Iterator<Item = Value>, depth: usize) {
        for (i, item) in items.enumerate() {
            if self.full() {
                return;
            }
            if i > 0 {
                self.out.push(' ');
            }
            self.write(item, depth + 1);
        }
    }

    fn write(&mut self, v: Value, depth: usize) {
        let (ctx, program) = (self.ctx, self.program);
        if self.full() {
            return;
        }
        if depth > MAX_DEPTH {
            self.out.push('…');
            return;
        }
        let out = &mut *self.out;
        match v {
            Value::Nil => out.push_str("nil"),
            Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
            Value::Int(i) => out.push_str(itoa::Buffer::new().format(i)),
            Value::Float(f) => out.push_str(&float(f)),
            Value::Sym(s) => out.push_str(ctx.symbols.name(s)),
            Value::Kw(k) => {
                out.push(':');
                out.push_str(ctx.symbols.name(k));
            }
            Value::EmptyList => out.push_str("()"),
            Value::Builtin(b) => {
                out.push_str("<builtin ");
                out.push_str(program.builtins.get(b as usize).map_or("?", String::as_str));
                out.push('>');
            }
            Value::Obj(r) => match ctx.heap.get(r) {
                Object::Str(s) => quoted(s, out),
                Object::Pair { .. } => {
                    out.push('(');
                    self.items(&mut ListIter::new(ctx, v), depth);
                    self.out.push(')');
                }
                Object::Vector(xs) => {
                    out.push('[');
                    self.items(&mut xs.iter(), depth);
                    self.out.push(']');
                }
                Object::Map(pairs) => {
                    out.push('{');
                    self.items(&mut pairs.iter().flat_map(|&(k, v)| [k, v]), depth);
                    self.out.push('}');
                }
                Object::Record { label, fields } => {
                    out.push('<');
                    out.push_str(ctx.symbols.name(*label));
                    for f in fields {
                        if self.full() {
                            return;
                        }
                        self.out.push(' ');
                        self.write(*f, depth + 1);
                    }
                    self.out.push('>');
                }
                Object::Closure { func, .. } => {
                    out.push_str("<fn ");
                    out.push_str(
                        program
                            .functions
                            .get(*func as usize)
                            .map_or("?", |f| f.name.as_str()),
                    );
                    out.push('>');
                }
                Object::Cell(inner) => self.write(*inner, depth + 1),
                Object::Handle(h) => out.push_str(&format!("<handle {h}>")),
                Object::Free(_) => out.push_str("<freed>"),
            },
        }
    }
}

/// Iterates the elements of a list.
pub struct ListIter<'a> {
    ctx: &'a Ctx,
    at: Value,
}

impl<'a> ListIter<'a> {
    /// Starts at the list `v` (a pair or the empty list).
    pub fn new(ctx: &'a Ctx, v: Value) -> Self {
        ListIter { ctx, at: v }
    }
}

impl Iterator for ListIter<'_> {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        let Value::Obj(r) = self.at else { return None };
        match self.ctx.heap.get(r) {
            Object::Pair { head, tail, .. } => {
                self.at = tail.value();
                Some(*head)
            }
            _ => None,
        }
    }
}
