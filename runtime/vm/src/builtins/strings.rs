//! Strings. Indexes count characters, not bytes.

use super::{int_arg, string_arg};
use crate::print;
use crate::value::Value;
use crate::{BuiltinResult, Cx, Flow};

/// Appends the display form of `v` to `out` (a string is its text, nil is empty when
/// `nil_empty`), or raises a `:memory` error naming `who` when the text would not fit in
/// memory (values that share structure can print far larger than they are).
pub fn display_into(
    cx: &mut Cx,
    who: &str,
    v: Value,
    out: &mut String,
    nil_empty: bool,
) -> Result<(), Flow> {
    let room = cx
        .ctx
        .heap
        .max_bytes()
        .saturating_sub(cx.ctx.heap.live_bytes());
    let fits = match cx.ctx.as_str(v) {
        Some(s) => {
            let fits = out.len() + s.len() <= room;
            if fits {
                out.push_str(s);
            }
            fits
        }
        None => match v {
            Value::Nil if nil_empty => true,
            // Integers are the commonest piece: written straight in, without the printer.
            Value::Int(i) if out.len() + 20 <= room => {
                push_int(out, i);
                true
            }
            _ => print::write_limited(cx.ctx, cx.program, v, out, room),
        },
    };
    if fits {
        return Ok(());
    }
    let needed = out.len().saturating_add(1);
    out.clear();
    cx.ctx.reserve(who, needed.max(room.saturating_add(1)))
}

/// Appends the decimal digits of `i`, as `{i}` formats it, without the formatter's
/// machinery (building strings of numbers is the commonest use of `str`).
fn push_int(out: &mut String, i: i64) {
    out.push_str(itoa::Buffer::new().format(i));
}

/// `(str …)`
pub fn str(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    // Room for short results at once, not by repeated growth (a long one grows as it
    // goes, so the memory limit is checked before its pieces are copied).
    let guess: usize = args
        .iter()
        .map(|&a| match a {
            Value::Int(_) => 20,
            _ => cx.ctx.as_str(a).map_or(0, str::len),
        })
        .sum();
    let program = cx.program;
    cx.ctx.string_with(|ctx, out| {
        out.reserve(guess.min(1024));
        let mut cx = Cx { ctx, program };
        for &a in args {
            display_into(&mut cx, "str", a, out, true)?;
        }
        Ok(())
    })
}

/// `(format template args…)`: each `{}` takes the next argument; `{{` and `}}` are braces.
pub fn format(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let template = string_arg(cx, "format", args[0])?;
    let mut rest = args[1..].iter();
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    let mut holes = 0;
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('{', Some('{')) | ('}', Some('}')) => {
                out.push(c);
                chars.next();
            }
            ('{', Some('}')) => {
                chars.next();
                holes += 1;
                match rest.next() {
                    Some(&v) => display_into(cx, "format", v, &mut out, false)?,
                    None => {
                        return Err(cx.ctx.error(
                            "arity",
                            format!(
                                "`format` has more `{{}}` than arguments ({} given)",
                                args.len() - 1
                            ),
                        ));
                    }
                }
            }
            _ => out.push(c),
        }
    }
    if rest.next().is_some() {
        return Err(cx.ctx.error(
            "arity",
            format!(
                "`format` has {holes} `{{}}` but {} arguments",
                args.len() - 1
            ),
        ));
    }
    Ok(cx.ctx.string(out))
}

/// `(subs s start end?)`
pub fn subs(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let s = string_arg(cx, "subs", args[0])?;
    let len = s.chars().count() as i64;
    let start = int_arg(cx, "subs", args[1])?;
    let end = match args.get(2) {
        Some(&e) => int_arg(cx, "subs", e)?,
        None => len,
    };
    if start < 0 || end < start || end > len {
        return Err(cx.ctx.error(
            "index",
            format!("`subs` range {start}..{end} is outside the string's {len} characters"),
        ));
    }
    let out: String = s
        .chars()
        .skip(start as usize)
        .take((end - start) as usize)
        .collect();
    Ok(cx.ctx.string(out))
}

/// `(split s separator)`: a vector of the parts; an empty separator splits into characters.
pub fn split(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let s = string_arg(cx, "split", args[0])?;
    let sep = string_arg(cx, "split", args[1])?;
    // Each part is an object of its own.
    let parts = if sep.is_empty() {
        s.chars().count()
    } else {
        s.matches(sep.as_str()).count() + 1
    };
    cx.ctx.reserve(
        "split",
        parts
            .saturating_mul(crate::heap::OBJECT_BYTES)
            .saturating_add(s.len()),
    )?;
    let parts: Vec<String> = if sep.is_empty() {
        s.chars().map(String::from).collect()
    } else {
        s.split(sep.as_str()).map(String::from).collect()
    };
    let values = parts.into_iter().map(|p| cx.ctx.string(p)).collect();
    Ok(cx.ctx.vector(values))
}

/// `(join separator? coll)`
pub fn join(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let (sep, coll) = match args {
        [coll] => (String::new(), *coll),
        [sep, coll] => (string_arg(cx, "join", *sep)?, *coll),
        _ => unreachable!("arity is checked"),
    };
    let items = super::collections::elements(cx, "join", coll)?;
    let mut out = String::new();
    for (i, &v) in items.iter().enumerate() {
        if i > 0 {
            cx.ctx.reserve("join", out.len() + sep.len())?;
            out.push_str(&sep);
        }
        display_into(cx, "join", v, &mut out, true)?;
    }
    Ok(cx.ctx.string(out))
}

fn map_string(cx: &mut Cx, who: &str, v: Value, f: fn(&str) -> String) -> BuiltinResult {
    let s = string_arg(cx, who, v)?;
    Ok(cx.ctx.string(f(&s)))
}

/// `(trim s)`
pub fn trim(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    map_string(cx, "trim", args[0], |s| s.trim().to_string())
}
/// `(upper s)`
pub fn upper(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    map_string(cx, "upper", args[0], str::to_uppercase)
}
/// `(lower s)`
pub fn lower(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    map_string(cx, "lower", args[0], str::to_lowercase)
}

fn test_strings(
    cx: &mut Cx,
    who: &str,
    args: &[Value],
    test: fn(&str, &str) -> bool,
) -> BuiltinResult {
    let s = string_arg(cx, who, args[0])?;
    let t = string_arg(cx, who, args[1])?;
    Ok(Value::Bool(test(&s, &t)))
}

/// `(starts-with? s prefix)`
pub fn starts_with(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    test_strings(cx, "starts-with?", args, |s, t| s.starts_with(t))
}
/// `(ends-with? s suffix)`
pub fn ends_with(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    test_strings(cx, "ends-with?", args, |s, t| s.ends_with(t))
}
/// `(includes? s part)`
pub fn includes(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    test_strings(cx, "includes?", args, |s, t| s.contains(t))
}

/// `(replace s from to)`
pub fn replace(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let s = string_arg(cx, "replace", args[0])?;
    let from = string_arg(cx, "replace", args[1])?;
    let to = string_arg(cx, "replace", args[2])?;
    if from.is_empty() {
        return Err(cx
            .ctx
            .error("value", "`replace` needs a non-empty string to replace"));
    }
    if to.len() > from.len() {
        let count = s.matches(from.as_str()).count();
        let grown = count.saturating_mul(to.len() - from.len());
        cx.ctx.reserve("replace", s.len().saturating_add(grown))?;
    }
    Ok(cx.ctx.string(s.replace(&from, &to)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn integers_are_written_as_the_formatter_writes_them() {
        for i in [0, 7, -7, 10, 1_000_000, -1_234_567_890, i64::MAX, i64::MIN] {
            let mut out = String::from("x");
            super::push_int(&mut out, i);
            assert_eq!(out, format!("x{i}"));
        }
    }
}
