//! The builtin functions of the prelude written in Rust. Each takes the shared state and
//! its arguments (arity already checked by the VM against `duet_lang::builtins`), and
//! returns a value, raises an error, or suspends with a request (the effects).

pub(crate) mod collections;
mod data;
pub mod effects;
pub(crate) mod numbers;
mod strings;

use crate::print;
use crate::value::{Object, Value};
use crate::{BuiltinResult, Cx, Flow};

/// A builtin's implementation.
pub type BuiltinFn = fn(&mut Cx, &[Value]) -> BuiltinResult;

/// Every builtin implemented in Rust, sorted by name. `map`, `filter`, `reduce` and
/// `sort-by` are written in Duet (`stdlib/prelude.lisp`) around `%iterate`, which, like
/// `apply`, is part of the VM's call machinery.
const TABLE: &[(&str, BuiltinFn)] = &[
    ("%duration-ms", data::duration_ms),
    ("%isolated", effects::isolated),
    ("%iterate", collections::iterate_placeholder),
    ("%sort-by-key", collections::sort_by_key),
    ("%to-list", collections::to_list),
    ("*", numbers::mul),
    ("+", numbers::add),
    ("-", numbers::sub),
    ("/", numbers::div),
    ("<", numbers::lt),
    ("<=", numbers::le),
    ("=", data::equal),
    ("==", numbers::num_eq),
    (">", numbers::gt),
    (">=", numbers::ge),
    ("abs", numbers::abs),
    ("adopt", effects::adopt),
    ("apply", collections::apply_placeholder),
    ("ask-user", effects::ask_user),
    ("assert", effects::assert),
    ("assoc", collections::assoc),
    ("attempt-diff", effects::attempt_diff),
    ("attempt-files", effects::attempt_files),
    ("attempt-value", effects::attempt_value),
    ("boolean?", data::is_boolean),
    ("concat", collections::concat),
    ("conj", collections::conj),
    ("cons", collections::cons),
    ("contains?", collections::contains),
    ("conversation", effects::conversation),
    ("count", collections::count),
    ("dec", numbers::dec),
    ("dissoc", collections::dissoc),
    ("empty?", collections::is_empty),
    ("ends-with?", strings::ends_with),
    ("error", data::error),
    ("even?", numbers::is_even),
    ("field", data::field),
    ("fields", data::fields),
    ("first", collections::first),
    ("float?", data::is_float),
    ("fn?", data::is_fn),
    ("forget", effects::forget),
    ("format", strings::format),
    ("gensym", data::gensym),
    ("get", collections::get),
    ("hash-map", collections::hash_map),
    ("inc", numbers::inc),
    ("includes?", strings::includes),
    ("int?", data::is_int),
    ("join", strings::join),
    ("json-decode", data::json_decode),
    ("json-encode", data::json_encode),
    ("keys", collections::keys),
    ("keyword?", data::is_keyword),
    ("label", data::label),
    ("list", collections::list),
    ("list-files", effects::list_files),
    ("list?", data::is_list),
    ("log", effects::log),
    ("lower", strings::lower),
    ("map?", data::is_map),
    ("max", numbers::max),
    ("min", numbers::min),
    ("mod", numbers::modulo),
    ("neg?", numbers::is_neg),
    ("nil?", data::is_nil),
    ("not", data::not),
    ("now", effects::now),
    ("nth", collections::nth),
    ("number?", data::is_number),
    ("odd?", numbers::is_odd),
    ("pos?", numbers::is_pos),
    ("print", effects::print),
    ("println", effects::println),
    ("prompt", effects::prompt),
    ("quot", numbers::quot),
    ("random-int", effects::random_int),
    ("range", collections::range),
    ("read-file", effects::read_file),
    ("record?", data::is_record),
    ("replace", strings::replace),
    ("rest", collections::rest),
    ("retract", effects::retract),
    ("reverse", collections::reverse),
    ("send!", effects::send),
    ("shell", effects::shell),
    ("sleep", effects::sleep),
    ("sleep-until", effects::sleep_until),
    ("sort", collections::sort),
    ("split", strings::split),
    ("starts-with?", strings::starts_with),
    ("stop", effects::stop),
    ("str", strings::str),
    ("string?", data::is_string),
    ("subs", strings::subs),
    ("symbol?", data::is_symbol),
    ("throw", data::throw),
    ("trim", strings::trim),
    ("type-of", data::type_of),
    ("upper", strings::upper),
    ("uuid", effects::uuid),
    ("vals", collections::vals),
    ("vector", collections::vector),
    ("vector?", data::is_vector),
    ("write-file", effects::write_file),
    ("zero?", numbers::is_zero),
];

/// The implementation of the builtin `name`.
pub fn lookup(name: &str) -> Option<BuiltinFn> {
    TABLE
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()
        .map(|i| TABLE[i].1)
}

/// A builtin resolved for a program: its implementation and what the VM checks before
/// calling it.
#[derive(Clone, Copy)]
pub struct Linked {
    /// The implementation.
    pub f: BuiltinFn,
    /// The checker's description: name, arity, options.
    pub spec: &'static duet_lang::builtins::Builtin,
    /// `apply`, which the VM performs itself.
    pub is_apply: bool,
    /// `%iterate` (`map`, `filter`, `reduce`), which the VM performs itself.
    pub is_iterate: bool,
}

impl Linked {
    /// Resolves `name`.
    pub fn new(name: &str) -> Option<Linked> {
        Some(Linked {
            f: lookup(name)?,
            spec: duet_lang::builtins::lookup(name)?,
            is_apply: name == "apply",
            is_iterate: name == "%iterate",
        })
    }

    /// Whether `args` fit the builtin's arity (keyword options after the positional ones).
    #[inline]
    pub fn accepts(&self, args: &[Value]) -> bool {
        let positional = if self.spec.options.is_empty() {
            args.len()
        } else {
            (self.spec.min..args.len())
                .find(|&i| matches!(args[i], Value::Kw(_)))
                .unwrap_or(args.len())
        };
        self.spec.accepts(positional)
    }
}

/// The type name of a value, as `type-of` gives it (without the colon).
pub fn type_name(cx: &Cx, v: Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::Sym(_) => "symbol",
        Value::Kw(_) => "keyword",
        Value::EmptyList => "list",
        Value::Builtin(_) => "fn",
        Value::Obj(r) => match cx.ctx.heap.get(r) {
            Object::Str(_) => "string",
            Object::Pair { .. } => "list",
            Object::Vector(_) => "vector",
            Object::Map(_) => "map",
            Object::Record { .. } => "record",
            Object::Closure { .. } => "fn",
            Object::Cell(_) | Object::Free(_) => "internal",
            Object::Handle(_) => "handle",
        },
    }
}

/// A `:type` error: `who` expected `what` but got `v`.
pub fn type_error(cx: &mut Cx, who: &str, what: &str, v: Value) -> Flow {
    let shown = short(cx, v);
    let kind = type_name(cx, v);
    cx.ctx.error(
        "type",
        format!("`{who}` expects {what}, got {kind} {shown}"),
    )
}

/// A value's readable form, cut to a length that fits in a message.
pub fn short(cx: &Cx, v: Value) -> String {
    let text = print::repr_limited(cx.ctx, cx.program, v, 256);
    if text.chars().count() > 60 {
        let cut: String = text.chars().take(57).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// The string argument `v` of `who`, or a type error.
pub fn string_arg(cx: &mut Cx, who: &str, v: Value) -> Result<String, Flow> {
    match cx.ctx.as_str(v) {
        Some(s) => {
            // Builtins go through their string arguments: one step per 16 bytes.
            let s = s.to_string();
            cx.ctx.charge((s.len() / crate::run::BYTES_PER_STEP) as u64);
            Ok(s)
        }
        None => Err(type_error(cx, who, "a string", v)),
    }
}

/// The integer argument `v` of `who`, or a type error.
pub fn int_arg(cx: &mut Cx, who: &str, v: Value) -> Result<i64, Flow> {
    match v {
        Value::Int(i) => Ok(i),
        _ => Err(type_error(cx, who, "an integer", v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_covers_the_checkers_builtins() {
        for pair in TABLE.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
        let lisp: Vec<&str> = duet_lang::compile::LISP_BUILTINS
            .iter()
            .map(|(n, _)| *n)
            .collect();
        for b in duet_lang::builtins::BUILTINS {
            assert!(
                lookup(b.name).is_some() || lisp.contains(&b.name),
                "the builtin `{}` has no implementation",
                b.name
            );
        }
    }
}
