//! Structural equality and ordering of values.
//!
//! Both walk values with an explicit stack, never Rust recursion, so values nested
//! arbitrarily deeply (a vector in a vector 100,000 times) compare without exhausting the
//! Rust stack. Each reports how much work it did, which the VM charges to the step budget.

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
            Object::Vector(xs) => Some(xs.to_vec()),
            _ => None,
        },
        _ => None,
    }
}

/// A hash of a map key consistent with `=`: keys that are equal hash alike. Compound keys
/// hash by their kind and size only (equal ones share both), so hashing never walks a value.
pub fn key_hash(ctx: &Ctx, v: Value) -> u64 {
    // Kinds that `=` may find equal share a tag: lists, vectors and `()` are all sequences.
    let (tag, x): (u64, u64) = match v {
        Value::Nil => (1, 0),
        Value::Bool(b) => (2, b as u64),
        Value::Int(i) => (3, i as u64),
        // 0.0 and -0.0 are equal.
        Value::Float(f) => (4, if f == 0.0 { 0 } else { f.to_bits() }),
        Value::Sym(s) => (5, s as u64),
        Value::Kw(k) => (6, k as u64),
        Value::Builtin(b) => (7, b as u64),
        Value::EmptyList => (8, 0),
        Value::Obj(r) => match ctx.heap.get(r) {
            Object::Str(s) => {
                let mut h = rustc_hash::FxHasher::default();
                std::hash::Hasher::write(&mut h, s.as_bytes());
                (9, std::hash::Hasher::finish(&h))
            }
            Object::Pair { len, .. } => (8, *len as u64),
            Object::Vector(xs) => (8, xs.len() as u64),
            Object::Map(m) => (10, m.len() as u64),
            Object::Record { label, fields } => (11, (*label as u64) << 32 | fields.len() as u64),
            Object::Handle(h) => (12, *h),
            // Equal only to themselves.
            Object::Closure { .. } | Object::Cell(_) | Object::Free(_) => (13, r as u64),
        },
    };
    let h = (tag.rotate_left(59) ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^ (h >> 29)
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
    equal_counted(ctx, a, b).0
}

/// What one comparison of two values needs before it has an answer.
enum Shallow {
    /// The answer.
    Done(bool),
    /// Equal when every pair is.
    All(Vec<(Value, Value)>),
    /// Two maps of the same, non-zero size.
    Maps(Vec<(Value, Value)>, Vec<(Value, Value)>),
}

/// Compares `a` and `b` one level deep.
fn shallow(ctx: &Ctx, a: Value, b: Value) -> Shallow {
    match (a, b) {
        (Value::Obj(x), Value::Obj(y)) if x == y => Shallow::Done(true),
        (Value::Obj(x), Value::Obj(y)) => match (ctx.heap.get(x), ctx.heap.get(y)) {
            (Object::Str(s), Object::Str(t)) => Shallow::Done(s == t),
            (Object::Map(p), Object::Map(q)) => {
                if p.len() != q.len() {
                    Shallow::Done(false)
                } else if p.is_empty() {
                    Shallow::Done(true)
                } else {
                    Shallow::Maps(p.to_vec(), q.to_vec())
                }
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
            ) => {
                if l == m && f.len() == g.len() {
                    Shallow::All(f.iter().copied().zip(g.iter().copied()).collect())
                } else {
                    Shallow::Done(false)
                }
            }
            (Object::Handle(h), Object::Handle(i)) => Shallow::Done(h == i),
            _ if is_sequential(ctx, a) && is_sequential(ctx, b) => {
                match (sequence(ctx, a), sequence(ctx, b)) {
                    (Some(xs), Some(ys)) if xs.len() == ys.len() => {
                        Shallow::All(xs.into_iter().zip(ys).collect())
                    }
                    _ => Shallow::Done(false),
                }
            }
            _ => Shallow::Done(false),
        },
        (Value::EmptyList, other) | (other, Value::EmptyList) => Shallow::Done(
            is_sequential(ctx, other) && sequence(ctx, other).is_some_and(|s| s.is_empty()),
        ),
        (Value::Float(x), Value::Float(y)) => Shallow::Done(x == y),
        _ => Shallow::Done(a == b),
    }
}

/// A comparison waiting for the answers of the comparisons it started.
enum Pending {
    /// Equal if every remaining pair is (popped from the end).
    All(Vec<(Value, Value)>),
    /// Looking, for each entry `i` of `p`, for an entry `j` of `q` with an equal key (then
    /// `value` is false) and an equal value (then `value` is true).
    Maps {
        p: Vec<(Value, Value)>,
        q: Vec<(Value, Value)>,
        i: usize,
        j: usize,
        value: bool,
    },
}

/// [`equal`], and how many pairs of values it looked at.
pub fn equal_counted(ctx: &Ctx, a: Value, b: Value) -> (bool, u64) {
    let mut work = 0u64;
    let mut pending: Vec<Pending> = Vec::new();
    // The next pair to compare; when `None`, `answer` goes to the innermost pending one.
    let mut next = Some((a, b));
    let mut answer = true;
    loop {
        if let Some((a, b)) = next.take() {
            work += 1;
            match shallow(ctx, a, b) {
                Shallow::Done(x) => answer = x,
                Shallow::All(pairs) => {
                    pending.push(Pending::All(pairs));
                    answer = true;
                }
                Shallow::Maps(p, q) => {
                    next = Some((p[0].0, q[0].0));
                    pending.push(Pending::Maps {
                        p,
                        q,
                        i: 0,
                        j: 0,
                        value: false,
                    });
                    continue;
                }
            }
        }
        let Some(top) = pending.last_mut() else {
            return (answer, work);
        };
        match top {
            Pending::All(pairs) => {
                if answer && let Some(pair) = pairs.pop() {
                    next = Some(pair);
                    continue;
                }
                pending.pop();
            }
            Pending::Maps { p, q, i, j, value } => {
                work += 1;
                if answer && !*value {
                    // The keys are equal: compare the values.
                    *value = true;
                    next = Some((p[*i].1, q[*j].1));
                    continue;
                }
                if answer {
                    // Entry i has its match: on to the next one.
                    *i += 1;
                    *j = 0;
                } else {
                    *j += 1;
                }
                *value = false;
                if *i == p.len() {
                    answer = true;
                    pending.pop();
                } else if *j == q.len() {
                    answer = false;
                    pending.pop();
                } else {
                    next = Some((p[*i].0, q[*j].0));
                    continue;
                }
            }
        }
    }
}

/// A numeric value as f64.
pub fn number(v: Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(i as f64),
        Value::Float(f) => Some(f),
        _ => None,
    }
}

/// An integer against a float, exactly (no rounding of the integer to a float), with NaN
/// after every number.
pub fn cmp_int_float(i: i64, f: f64) -> Ordering {
    // 2^63 as a float: every float at or above it is above every i64.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() || f >= TWO_63 {
        return Ordering::Less;
    }
    if f < -TWO_63 {
        return Ordering::Greater;
    }
    // Now -2^63 <= f < 2^63, so its integer part fits an i64 exactly.
    let whole = f.trunc();
    match i.cmp(&(whole as i64)) {
        Ordering::Equal => 0.0.partial_cmp(&(f - whole)).unwrap_or(Ordering::Equal),
        other => other,
    }
}

/// Two numbers in the order `sort` uses: by exact value, `1` and `1.0` equal, NaN after
/// every number (and equal to itself). `None` when either is not a number.
pub fn cmp_numbers(a: Value, b: Value) -> Option<Ordering> {
    Some(match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(&y),
        (Value::Int(x), Value::Float(y)) => cmp_int_float(x, y),
        (Value::Float(x), Value::Int(y)) => cmp_int_float(y, x).reverse(),
        (Value::Float(x), Value::Float(y)) => match (x.is_nan(), y.is_nan()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        },
        _ => return None,
    })
}

/// The kinds of value in the order `sort` puts them when it must (it reports mixing kinds
/// that do not compare as an error, but still needs a total order to sort by).
fn rank(ctx: &Ctx, v: Value) -> u8 {
    match v {
        Value::Nil => 0,
        Value::Bool(_) => 1,
        Value::Int(_) | Value::Float(_) => 2,
        Value::Kw(_) => 4,
        Value::Sym(_) => 5,
        Value::EmptyList => 6,
        Value::Builtin(_) => 9,
        Value::Obj(r) => match ctx.heap.get(r) {
            Object::Str(_) => 3,
            Object::Pair { .. } | Object::Vector(_) => 6,
            Object::Map(_) => 7,
            Object::Record { .. } => 8,
            Object::Closure { .. } => 9,
            _ => 10,
        },
    }
}

/// A total order on all values, for sorting: numbers by exact value with NaN last,
/// strings by code point, keywords and symbols by name, booleans false first, sequences
/// element by element, and kinds that do not compare with each other (or, like maps,
/// with themselves) in a fixed order of kinds. `comparable` becomes false when such a
/// pair was met on the way; [`compare`] is `None` then.
pub fn total_cmp(ctx: &Ctx, a: Value, b: Value, comparable: &mut bool, work: &mut u64) -> Ordering {
    // Each level: the elements of two sequences still to compare, and where.
    let mut levels: Vec<(Vec<Value>, Vec<Value>, usize)> = Vec::new();
    let mut next = Some((a, b));
    loop {
        if let Some((a, b)) = next.take() {
            *work += 1;
            let (ra, rb) = (rank(ctx, a), rank(ctx, b));
            let ordering = if ra != rb {
                *comparable = false;
                ra.cmp(&rb)
            } else {
                match (a, b) {
                    (Value::Nil, Value::Nil) => Ordering::Equal,
                    (Value::Bool(x), Value::Bool(y)) => x.cmp(&y),
                    (Value::Kw(x), Value::Kw(y)) | (Value::Sym(x), Value::Sym(y)) => {
                        ctx.symbols.name(x).cmp(ctx.symbols.name(y))
                    }
                    _ if ra == 2 => cmp_numbers(a, b).unwrap_or(Ordering::Equal),
                    _ if ra == 3 => match (ctx.as_str(a), ctx.as_str(b)) {
                        (Some(s), Some(t)) => s.cmp(t),
                        _ => Ordering::Equal,
                    },
                    _ if ra == 6 => {
                        let xs = sequence(ctx, a).unwrap_or_default();
                        let ys = sequence(ctx, b).unwrap_or_default();
                        levels.push((xs, ys, 0));
                        Ordering::Equal
                    }
                    _ => {
                        *comparable = false;
                        Ordering::Equal
                    }
                }
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        let Some((xs, ys, i)) = levels.last_mut() else {
            return Ordering::Equal;
        };
        match (xs.get(*i), ys.get(*i)) {
            (Some(&x), Some(&y)) => {
                *i += 1;
                next = Some((x, y));
            }
            _ => {
                let ordering = xs.len().cmp(&ys.len());
                if ordering != Ordering::Equal {
                    return ordering;
                }
                levels.pop();
            }
        }
    }
}

/// The order `sort` uses (see [`total_cmp`]); `None` for values of kinds that do not
/// compare.
pub fn compare(ctx: &Ctx, a: Value, b: Value) -> Option<Ordering> {
    let mut comparable = true;
    let ordering = total_cmp(ctx, a, b, &mut comparable, &mut 0);
    comparable.then_some(ordering)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(ctx: &mut Ctx, depth: usize) -> Value {
        let mut v = ctx.vector(Vec::new());
        for _ in 0..depth {
            v = ctx.vector(vec![v]);
        }
        v
    }

    #[test]
    fn deeply_nested_values_compare_without_recursion() {
        let mut ctx = Ctx::new(u64::MAX, 10);
        let a = nested(&mut ctx, 200_000);
        let b = nested(&mut ctx, 200_000);
        let c = nested(&mut ctx, 199_999);
        assert!(equal(&ctx, a, b));
        assert!(!equal(&ctx, a, c));
        assert_eq!(compare(&ctx, a, b), Some(Ordering::Equal));
        assert_eq!(compare(&ctx, c, a), Some(Ordering::Less));
        let (_, work) = equal_counted(&ctx, a, b);
        assert!(work > 200_000, "{work}");
    }

    #[test]
    fn maps_nested_through_their_keys_compare_without_recursion() {
        let mut ctx = Ctx::new(u64::MAX, 10);
        let build = |ctx: &mut Ctx, depth: usize, last: i64| {
            let mut m = ctx
                .heap
                .alloc(Object::Map(vec![(Value::Int(last), Value::Nil)].into()));
            for i in 0..depth {
                m = ctx.heap.alloc(Object::Map(
                    vec![(Value::Int(i as i64), Value::Nil), (m, Value::Int(1))].into(),
                ));
            }
            m
        };
        let a = build(&mut ctx, 100_000, 0);
        let b = build(&mut ctx, 100_000, 0);
        let c = build(&mut ctx, 100_000, 1);
        assert!(equal(&ctx, a, b));
        assert!(!equal(&ctx, a, c));
    }

    #[test]
    fn maps_are_equal_in_any_order() {
        let mut ctx = Ctx::new(u64::MAX, 10);
        let k = ctx.keyword("k");
        let s = ctx.string("s");
        let s2 = ctx.string("s");
        let inner = ctx.vector(vec![Value::Int(1)]);
        let inner2 = ctx.vector(vec![Value::Int(1)]);
        let a = ctx
            .heap
            .alloc(Object::Map(vec![(k, inner), (s, Value::Int(2))].into()));
        let b = ctx
            .heap
            .alloc(Object::Map(vec![(s2, Value::Int(2)), (k, inner2)].into()));
        let c = ctx
            .heap
            .alloc(Object::Map(vec![(s2, Value::Int(3)), (k, inner2)].into()));
        assert!(equal(&ctx, a, b));
        assert!(!equal(&ctx, a, c));
        assert!(!equal(&ctx, Value::Int(1), Value::Float(1.0)));
        assert!(!equal(&ctx, Value::Float(f64::NAN), Value::Float(f64::NAN)));
    }

    #[test]
    fn numbers_compare_exactly_with_nan_last() {
        let big = 9_007_199_254_740_993i64; // 2^53 + 1: not a float
        let f = 9_007_199_254_740_992.0; // 2^53
        assert_eq!(cmp_int_float(big, f), Ordering::Greater);
        assert_eq!(cmp_int_float(big - 1, f), Ordering::Equal);
        assert_eq!(cmp_int_float(i64::MAX, i64::MAX as f64), Ordering::Less);
        assert_eq!(cmp_int_float(i64::MIN, i64::MIN as f64), Ordering::Equal);
        assert_eq!(cmp_int_float(-1, -0.5), Ordering::Less);
        assert_eq!(cmp_int_float(0, -0.5), Ordering::Greater);
        assert_eq!(cmp_int_float(0, 0.5), Ordering::Less);
        assert_eq!(cmp_int_float(i64::MAX, f64::NAN), Ordering::Less);
        assert_eq!(cmp_int_float(5, f64::INFINITY), Ordering::Less);
        assert_eq!(cmp_int_float(5, f64::NEG_INFINITY), Ordering::Greater);
        let nan = Value::Float(f64::NAN);
        assert_eq!(
            cmp_numbers(nan, Value::Float(1e300)),
            Some(Ordering::Greater)
        );
        assert_eq!(cmp_numbers(nan, nan), Some(Ordering::Equal));
        assert_eq!(
            cmp_numbers(Value::Int(1), Value::Float(1.0)),
            Some(Ordering::Equal)
        );
    }

    #[test]
    fn kinds_that_do_not_compare_are_reported_but_still_ordered() {
        let mut ctx = Ctx::new(u64::MAX, 10);
        let s = ctx.string("a");
        let m = ctx.heap.alloc(Object::Map(Vec::new().into()));
        assert_eq!(compare(&ctx, Value::Int(1), s), None);
        assert_eq!(compare(&ctx, m, m), None);
        let mut ok = true;
        assert_eq!(
            total_cmp(&ctx, Value::Int(1), s, &mut ok, &mut 0),
            Ordering::Less
        );
        assert!(!ok);
    }
}
