//! Printing values. The *readable* form (`repr`) is what the REPL shows and what appears
//! inside collections: strings quoted and escaped. The *display* form (`str`, `print`) is
//! the same except that a string at the top is its bare text and nil is empty for `str`.

use duet_lang::ir::Program;

use crate::Ctx;
use crate::value::{Object, Value};

/// Deeper structures print as `…` rather than recursing further.
const MAX_DEPTH: usize = 200;

/// The readable form of `v`.
pub fn repr(ctx: &Ctx, program: &Program, v: Value) -> String {
    let mut out = String::new();
    write(ctx, program, v, &mut out, 0);
    out
}

/// The display form: a string is its text, anything else its readable form.
pub fn display(ctx: &Ctx, program: &Program, v: Value) -> String {
    match ctx.as_str(v) {
        Some(s) => s.to_string(),
        None => repr(ctx, program, v),
    }
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

fn write(ctx: &Ctx, program: &Program, v: Value, out: &mut String, depth: usize) {
    if depth > MAX_DEPTH {
        out.push('…');
        return;
    }
    let items = |out: &mut String, items: &mut dyn Iterator<Item = Value>| {
        for (i, item) in items.enumerate() {
            if i > 0 {
                out.push(' ');
            }
            write(ctx, program, item, out, depth + 1);
        }
    };
    match v {
        Value::Nil => out.push_str("nil"),
        Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
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
                items(out, &mut ListIter::new(ctx, v));
                out.push(')');
            }
            Object::Vector(xs) => {
                out.push('[');
                items(out, &mut xs.iter().copied());
                out.push(']');
            }
            Object::Map(pairs) => {
                out.push('{');
                items(out, &mut pairs.iter().flat_map(|&(k, v)| [k, v]));
                out.push('}');
            }
            Object::Record { label, fields } => {
                out.push('<');
                out.push_str(ctx.symbols.name(*label));
                for f in fields {
                    out.push(' ');
                    write(ctx, program, *f, out, depth + 1);
                }
                out.push('>');
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
            Object::Cell(inner) => write(ctx, program, *inner, out, depth),
            Object::Handle(h) => out.push_str(&format!("<handle {h}>")),
            Object::Free(_) => out.push_str("<freed>"),
        },
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
                self.at = *tail;
                Some(*head)
            }
            _ => None,
        }
    }
}
