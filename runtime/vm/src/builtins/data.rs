//! Predicates, records, errors, symbols and JSON.

use super::{int_arg, short, string_arg, type_error, type_name};
use crate::equal;
use crate::value::{Object, Value};
use crate::{BuiltinResult, Cx, Flow};

/// `(= a b …)`
pub fn equal(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    for pair in args.windows(2) {
        let (same, work) = equal::equal_counted(cx.ctx, pair[0], pair[1]);
        cx.ctx.charge(work);
        if !same {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

/// `(not x)`
pub fn not(_cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    Ok(Value::Bool(!args[0].truthy()))
}

/// `(type-of x)`
pub fn type_of(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let name = type_name(cx, args[0]);
    Ok(cx.ctx.keyword(name))
}

macro_rules! predicates {
    ($($name:ident = $($type:literal)|+;)*) => {
        $(
            #[doc = concat!("True when the value's type is ", $($type, " "),+)]
            pub fn $name(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
                let t = type_name(cx, args[0]);
                Ok(Value::Bool(matches!(t, $($type)|+)))
            }
        )*
    };
}

predicates! {
    is_nil = "nil";
    is_boolean = "bool";
    is_int = "int";
    is_float = "float";
    is_number = "int" | "float";
    is_string = "string";
    is_symbol = "symbol";
    is_keyword = "keyword";
    is_list = "list";
    is_vector = "vector";
    is_map = "map";
    is_record = "record";
    is_fn = "fn";
}

/// `(throw v)`
pub fn throw(_cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    Err(Flow::Error(args[0]))
}

/// `(error message data?)`: the record `<error :user message data>`.
pub fn error(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let message = match cx.ctx.as_str(args[0]) {
        Some(s) => s.to_string(),
        None => crate::print::display(cx.ctx, cx.program, args[0]),
    };
    Ok(cx
        .ctx
        .error_value("user", message, args.get(1).copied().unwrap_or(Value::Nil)))
}

fn record_parts(cx: &mut Cx, who: &str, v: Value) -> Result<(u32, Vec<Value>), Flow> {
    if let Value::Obj(r) = v
        && let Object::Record { label, fields } = cx.ctx.heap.get(r)
    {
        return Ok((*label, fields.clone()));
    }
    Err(type_error(cx, who, "a record", v))
}

/// `(label r)`
pub fn label(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    record_parts(cx, "label", args[0]).map(|(l, _)| Value::Sym(l))
}

/// `(fields r)`
pub fn fields(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let (_, fields) = record_parts(cx, "fields", args[0])?;
    Ok(cx.ctx.vector(fields))
}

/// `(field r index)`
pub fn field(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let (_, fields) = record_parts(cx, "field", args[0])?;
    let i = int_arg(cx, "field", args[1])?;
    match usize::try_from(i).ok().and_then(|i| fields.get(i)) {
        Some(v) => Ok(*v),
        None => {
            let shown = short(cx, args[0]);
            Err(cx.ctx.error(
                "index",
                format!("`field` index {i} is out of range for {shown}"),
            ))
        }
    }
}

/// `(gensym prefix?)`: a symbol containing a space, which no source text can write.
pub fn gensym(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let prefix = match args.first() {
        Some(&p) => string_arg(cx, "gensym", p)?,
        None => "g".into(),
    };
    cx.ctx.gensyms += 1;
    let name = format!("{prefix} {}", cx.ctx.gensyms);
    Ok(Value::Sym(cx.ctx.symbols.intern(&name)))
}

/// `(json-encode v)`
pub fn json_encode(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let json = to_json(cx, args[0], 0)?;
    Ok(cx.ctx.string(json.to_string()))
}

fn to_json(cx: &mut Cx, v: Value, depth: usize) -> Result<serde_json::Value, Flow> {
    use serde_json::Value as J;
    if depth > 500 {
        return Err(cx
            .ctx
            .error("value", "`json-encode`: the value is nested too deeply"));
    }
    Ok(match v {
        Value::Nil => J::Null,
        Value::Bool(b) => J::Bool(b),
        Value::Int(i) => J::from(i),
        Value::Float(f) => serde_json::Number::from_f64(f)
            .map(J::Number)
            .ok_or_else(|| {
                cx.ctx
                    .error("value", format!("`json-encode`: {f} has no JSON form"))
            })?,
        Value::Kw(k) | Value::Sym(k) => J::String(cx.ctx.symbols.name(k).to_string()),
        Value::EmptyList => J::Array(Vec::new()),
        Value::Obj(r) => match cx.ctx.heap.get(r).clone() {
            Object::Str(s) => J::String(s.into_string()),
            Object::Map(pairs) => {
                let mut object = serde_json::Map::new();
                for (k, val) in pairs.to_vec() {
                    let key = match k {
                        Value::Kw(k) | Value::Sym(k) => cx.ctx.symbols.name(k).to_string(),
                        _ => match cx.ctx.as_str(k) {
                            Some(s) => s.to_string(),
                            None => {
                                return Err(type_error(
                                    cx,
                                    "json-encode",
                                    "string or keyword map keys",
                                    k,
                                ));
                            }
                        },
                    };
                    let val = to_json(cx, val, depth + 1)?;
                    object.insert(key, val);
                }
                J::Object(object)
            }
            Object::Vector(xs) => J::Array(
                xs.iter()
                    .map(|x| to_json(cx, x, depth + 1))
                    .collect::<Result<_, _>>()?,
            ),
            Object::Pair { .. } => {
                let xs = equal::sequence(cx.ctx, v).unwrap_or_default();
                J::Array(
                    xs.into_iter()
                        .map(|x| to_json(cx, x, depth + 1))
                        .collect::<Result<_, _>>()?,
                )
            }
            _ => {
                return Err(type_error(
                    cx,
                    "json-encode",
                    "data (nil, booleans, numbers, strings, lists, vectors, maps)",
                    v,
                ));
            }
        },
        Value::Builtin(_) => return Err(type_error(cx, "json-encode", "data", v)),
    })
}

/// `(json-decode text)`
pub fn json_decode(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let text = string_arg(cx, "json-decode", args[0])?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(json) => Ok(from_json(cx, &json)),
        Err(e) => Err(cx
            .ctx
            .error("value", format!("`json-decode`: not valid JSON: {e}"))),
    }
}

fn from_json(cx: &mut Cx, json: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match json {
        J::Null => Value::Nil,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => cx.ctx.string(s.clone()),
        J::Array(items) => {
            let values = items.iter().map(|i| from_json(cx, i)).collect();
            cx.ctx.vector(values)
        }
        J::Object(object) => {
            // JSON object keys are distinct.
            let pairs = object
                .iter()
                .map(|(k, v)| (cx.ctx.string(k.clone()), from_json(cx, v)))
                .collect();
            cx.ctx.heap.alloc(Object::Map(pairs))
        }
    }
}

/// `(%duration-ms d)`: a duration as milliseconds (`poll :timeout` uses it).
pub fn duration_ms(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    match args[0] {
        Value::Int(ms) if ms >= 0 => Ok(Value::Int(ms)),
        v => match cx.ctx.as_str(v).map(duet_lang::duration::parse) {
            Some(Ok(ms)) => Ok(Value::Int(ms as i64)),
            Some(Err(why)) => Err(cx.ctx.error("type", why)),
            None => Err(type_error(
                cx,
                "poll :timeout",
                "a duration like \"30s\" or milliseconds",
                v,
            )),
        },
    }
}
