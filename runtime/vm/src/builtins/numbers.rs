//! Arithmetic and numeric comparison. Integers overflow into an error, never wrap; an
//! integer and a float give a float.

use super::{int_arg, type_error};
use crate::equal::number;
use crate::value::Value;
use crate::{BuiltinResult, Cx, Flow};

fn overflow(cx: &mut Cx, op: &str, a: i64, b: i64) -> Flow {
    cx.ctx.error(
        "overflow",
        format!("integer overflow in ({op} {a} {b}); use floats for values beyond ±9.2e18"),
    )
}

fn not_number(cx: &mut Cx, op: &str, v: Value) -> Flow {
    type_error(cx, op, "numbers", v)
}

/// Applies a binary arithmetic operation with overflow checks.
fn arith(
    cx: &mut Cx,
    op: &str,
    a: Value,
    b: Value,
    int: fn(i64, i64) -> Option<i64>,
    float: fn(f64, f64) -> f64,
) -> BuiltinResult {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => int(x, y)
            .map(Value::Int)
            .ok_or_else(|| overflow(cx, op, x, y)),
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => Ok(Value::Float(float(x, y))),
            (None, _) => Err(not_number(cx, op, a)),
            _ => Err(not_number(cx, op, b)),
        },
    }
}

/// `(+ a b)`
#[inline]
pub fn add2(cx: &mut Cx, a: Value, b: Value) -> BuiltinResult {
    if let (Value::Int(x), Value::Int(y)) = (a, b)
        && let Some(z) = x.checked_add(y)
    {
        return Ok(Value::Int(z));
    }
    arith(cx, "+", a, b, i64::checked_add, |x, y| x + y)
}

/// `(- a b)`
#[inline]
pub fn sub2(cx: &mut Cx, a: Value, b: Value) -> BuiltinResult {
    if let (Value::Int(x), Value::Int(y)) = (a, b)
        && let Some(z) = x.checked_sub(y)
    {
        return Ok(Value::Int(z));
    }
    arith(cx, "-", a, b, i64::checked_sub, |x, y| x - y)
}

/// `(* a b)`
#[inline]
pub fn mul2(cx: &mut Cx, a: Value, b: Value) -> BuiltinResult {
    if let (Value::Int(x), Value::Int(y)) = (a, b)
        && let Some(z) = x.checked_mul(y)
    {
        return Ok(Value::Int(z));
    }
    arith(cx, "*", a, b, i64::checked_mul, |x, y| x * y)
}

fn fold(
    cx: &mut Cx,
    args: &[Value],
    init: Value,
    op: fn(&mut Cx, Value, Value) -> BuiltinResult,
) -> BuiltinResult {
    let mut acc = init;
    for &a in args {
        acc = op(cx, acc, a)?;
    }
    Ok(acc)
}

/// `(+ …)`
pub fn add(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    match args {
        [] => Ok(Value::Int(0)),
        [a] => add2(cx, Value::Int(0), *a),
        [a, rest @ ..] => fold(cx, rest, *a, add2),
    }
}

/// `(* …)`
pub fn mul(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    match args {
        [] => Ok(Value::Int(1)),
        [a] => mul2(cx, Value::Int(1), *a),
        [a, rest @ ..] => fold(cx, rest, *a, mul2),
    }
}

/// `(- …)`
pub fn sub(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    match args {
        [a] => sub2(cx, Value::Int(0), *a),
        [a, rest @ ..] => fold(cx, rest, *a, sub2),
        [] => Ok(Value::Int(0)),
    }
}

fn div2(cx: &mut Cx, a: Value, b: Value) -> BuiltinResult {
    match (a, b) {
        (Value::Int(_), Value::Int(0)) => Err(cx.ctx.error("arithmetic", "division by zero")),
        (Value::Int(x), Value::Int(y)) => match x.checked_rem(y) {
            Some(0) => x
                .checked_div(y)
                .map(Value::Int)
                .ok_or_else(|| overflow(cx, "/", x, y)),
            Some(_) => Ok(Value::Float(x as f64 / y as f64)),
            // Only i64::MIN / -1 has no remainder to take: its quotient does not fit.
            None => Err(overflow(cx, "/", x, y)),
        },
        _ => arith(cx, "/", a, b, |_, _| None, |x, y| x / y),
    }
}

/// `(/ …)`
pub fn div(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    match args {
        [a] => div2(cx, Value::Int(1), *a),
        [a, rest @ ..] => fold(cx, rest, *a, div2),
        [] => Ok(Value::Int(1)),
    }
}

/// `(mod n d)` with the sign of `d`.
pub fn modulo(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    match (args[0], args[1]) {
        (Value::Int(_), Value::Int(0)) => Err(cx.ctx.error("arithmetic", "modulo by zero")),
        (Value::Int(n), Value::Int(d)) => Ok(Value::Int(n.checked_rem(d).map_or(0, |r| {
            if r != 0 && (r < 0) != (d < 0) {
                r + d
            } else {
                r
            }
        }))),
        (a, b) => match (number(a), number(b)) {
            (Some(n), Some(d)) => {
                let r = n % d;
                Ok(Value::Float(if r != 0.0 && (r < 0.0) != (d < 0.0) {
                    r + d
                } else {
                    r
                }))
            }
            _ => Err(not_number(
                cx,
                "mod",
                if number(a).is_none() { a } else { b },
            )),
        },
    }
}

/// `(quot n d)`: integer division toward zero.
pub fn quot(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let n = int_arg(cx, "quot", args[0])?;
    let d = int_arg(cx, "quot", args[1])?;
    if d == 0 {
        return Err(cx.ctx.error("arithmetic", "division by zero"));
    }
    n.checked_div(d)
        .map(Value::Int)
        .ok_or_else(|| overflow(cx, "quot", n, d))
}

/// `(abs x)`
pub fn abs(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    match args[0] {
        Value::Int(i) => i.checked_abs().map(Value::Int).ok_or_else(|| {
            cx.ctx
                .error("overflow", format!("integer overflow in (abs {i})"))
        }),
        Value::Float(f) => Ok(Value::Float(f.abs())),
        v => Err(not_number(cx, "abs", v)),
    }
}

/// `(inc x)`
pub fn inc(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    add2(cx, args[0], Value::Int(1))
}

/// `(dec x)`
pub fn dec(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    sub2(cx, args[0], Value::Int(1))
}

fn extreme(cx: &mut Cx, who: &str, args: &[Value], want: std::cmp::Ordering) -> BuiltinResult {
    let mut best = args[0];
    number(best).ok_or_else(|| not_number(cx, who, best))?;
    for &a in &args[1..] {
        let n = number(a).ok_or_else(|| not_number(cx, who, a))?;
        let b = number(best).unwrap_or(0.0);
        if n.partial_cmp(&b) == Some(want) {
            best = a;
        }
    }
    Ok(best)
}

/// `(max …)`
pub fn max(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    extreme(cx, "max", args, std::cmp::Ordering::Greater)
}

/// `(min …)`
pub fn min(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    extreme(cx, "min", args, std::cmp::Ordering::Less)
}

/// Compares two numbers for the comparison operators: exactly, an integer against a float
/// included (no rounding of the integer). `None` when either is NaN, which makes every
/// comparison false.
#[inline]
pub fn compare2(
    cx: &mut Cx,
    op: &str,
    a: Value,
    b: Value,
) -> Result<Option<std::cmp::Ordering>, Flow> {
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        return Ok(Some(x.cmp(&y)));
    }
    match (number(a), number(b)) {
        (Some(x), Some(y)) if x.is_nan() || y.is_nan() => Ok(None),
        (Some(_), Some(_)) => Ok(crate::equal::cmp_numbers(a, b)),
        (None, _) => Err(not_number(cx, op, a)),
        _ => Err(not_number(cx, op, b)),
    }
}

fn chain(
    cx: &mut Cx,
    op: &str,
    args: &[Value],
    ok: fn(std::cmp::Ordering) -> bool,
) -> BuiltinResult {
    for pair in args.windows(2) {
        if !compare2(cx, op, pair[0], pair[1])?.is_some_and(ok) {
            // Still check the types of the rest.
            for &a in args {
                number(a).ok_or_else(|| not_number(cx, op, a))?;
            }
            return Ok(Value::Bool(false));
        }
    }
    if let [a] = args {
        number(*a).ok_or_else(|| not_number(cx, op, *a))?;
    }
    Ok(Value::Bool(true))
}

/// `(< …)`
pub fn lt(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    chain(cx, "<", args, |o| o.is_lt())
}
/// `(<= …)`
pub fn le(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    chain(cx, "<=", args, |o| o.is_le())
}
/// `(> …)`
pub fn gt(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    chain(cx, ">", args, |o| o.is_gt())
}
/// `(>= …)`
pub fn ge(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    chain(cx, ">=", args, |o| o.is_ge())
}
/// `(== …)`
pub fn num_eq(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    chain(cx, "==", args, |o| o.is_eq())
}

fn predicate(cx: &mut Cx, who: &str, v: Value, test: fn(f64) -> bool) -> BuiltinResult {
    number(v)
        .map(|n| Value::Bool(test(n)))
        .ok_or_else(|| not_number(cx, who, v))
}

/// `(zero? x)`
pub fn is_zero(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    predicate(cx, "zero?", args[0], |n| n == 0.0)
}
/// `(pos? x)`
pub fn is_pos(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    predicate(cx, "pos?", args[0], |n| n > 0.0)
}
/// `(neg? x)`
pub fn is_neg(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    predicate(cx, "neg?", args[0], |n| n < 0.0)
}
/// `(even? n)`
pub fn is_even(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    int_arg(cx, "even?", args[0]).map(|n| Value::Bool(n % 2 == 0))
}
/// `(odd? n)`
pub fn is_odd(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    int_arg(cx, "odd?", args[0]).map(|n| Value::Bool(n % 2 != 0))
}
