//! Structural equality and ordering of values.

use std::cmp::Ordering;

use crate::Ctx;
use crate::print::ListIter;
use crate::value::{Object, Value};

/// The elements of a sequential value (list or vector), if it is one.
pub fn sequence(ctx: &Ctx, v: Value) -> Option<Vec<Value>> {
    match v {
        Value::EmptyList => Some(Vec::new()),
        Value::Obj(r) => match ctx.heap.get(r) {
            Object::Pair { .. } => Some(ListIter::new(ctx, v).collect()),
            Object::Vector(xs) => Some(xs.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn is_sequential(ctx: &Ctx, v: Value) -> bool {
    match v {
        Value::EmptyList => true,
        Value::Obj(r) => matches!(ctx.heap.get(r), Object::Pair { .. } | Object::Vector(_)),
        _ => false,
    }
}

/// `=`: structural equality. Lists and vectors with equal elements are equal; maps are equal
/// when they have the same keys with equal values, in any order; `1` and `1.0` are not.
pub fn equal(ctx: &Ctx, a: Value, b: Value) -> bool {
    match (a, b) {
        (Value::Obj(x), Value::Obj(y)) if x == y => true,
        (Value::Obj(x), Value::Obj(y)) => match (ctx.heap.get(x), ctx.heap.get(y)) {
            (Object::Str(s), Object::Str(t)) => s == t,
            (Object::Map(p), Object::Map(q)) => {
                p.len() == q.len()
                    && p.iter().all(|(k, v)| {
                        q.iter()
                            .any(|(k2, v2)| equal(ctx, *k, *k2) && equal(ctx, *v, *v2))
                    })
            }
            (
                Object::Record {
                    label: l,
                    fields: f,
                },
                Object::Record {
                    label: m,
                    fields: g,
                },
            ) => l == m && f.len() == g.len() && f.iter().zip(g).all(|(a, b)| equal(ctx, *a, *b)),
            (Object::Handle(h), Object::Handle(i)) => h == i,
            _ if is_sequential(ctx, a) && is_sequential(ctx, b) => sequences_equal(ctx, a, b),
            _ => false,
        },
        (Value::EmptyList, other) | (other, Value::EmptyList) => {
            is_sequential(ctx, other) && sequence(ctx, other).is_some_and(|s| s.is_empty())
        }
        (Value::Float(x), Value::Float(y)) => x == y,
        _ => a == b,
    }
}

fn sequences_equal(ctx: &Ctx, a: Value, b: Value) -> bool {
    let (Some(xs), Some(ys)) = (sequence(ctx, a), sequence(ctx, b)) else {
        return false;
    };
    xs.len() == ys.len() && xs.iter().zip(&ys).all(|(x, y)| equal(ctx, *x, *y))
}

/// A numeric value as f64 with whether it was an integer.
pub fn number(v: Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(i as f64),
        Value::Float(f) => Some(f),
        _ => None,
    }
}

/// The order `sort` uses: numbers by value, strings by code point, keywords and symbols by
/// name, booleans false first, sequences element by element. `None` for values of kinds
/// that do not compare.
pub fn compare(ctx: &Ctx, a: Value, b: Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(&y)),
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            number(a)?.partial_cmp(&number(b)?)
        }
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(&y)),
        (Value::Nil, Value::Nil) => Some(Ordering::Equal),
        (Value::Kw(x), Value::Kw(y)) | (Value::Sym(x), Value::Sym(y)) => {
            Some(ctx.symbols.name(x).cmp(ctx.symbols.name(y)))
        }
        _ => {
            if let (Some(s), Some(t)) = (ctx.as_str(a), ctx.as_str(b)) {
                return Some(s.cmp(t));
            }
            let (xs, ys) = (sequence(ctx, a)?, sequence(ctx, b)?);
            for (x, y) in xs.iter().zip(&ys) {
                match compare(ctx, *x, *y)? {
                    Ordering::Equal => continue,
                    other => return Some(other),
                }
            }
            Some(xs.len().cmp(&ys.len()))
        }
    }
}
