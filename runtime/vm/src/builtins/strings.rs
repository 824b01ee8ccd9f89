//! Strings. Indexes count characters, not bytes.

use super::{int_arg, string_arg};
use crate::print;
use crate::value::Value;
use crate::{BuiltinResult, Cx};

/// The display form of `v` as `str` shows it: nil is empty.
pub fn display(cx: &Cx, v: Value) -> String {
    match v {
        Value::Nil => String::new(),
        _ => print::display(cx.ctx, cx.program, v),
    }
}

/// `(str …)`
pub fn str(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let mut out = String::new();
    for &a in args {
        out.push_str(&display(cx, a));
    }
    Ok(cx.ctx.string(out))
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
                    Some(&v) => out.push_str(&print::display(cx.ctx, cx.program, v)),
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
    let parts: Vec<String> = items.iter().map(|&v| display(cx, v)).collect();
    Ok(cx.ctx.string(parts.join(&sep)))
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
    Ok(cx.ctx.string(s.replace(&from, &to)))
}
