//! Lists, vectors and maps. All immutable: operations return new collections.

use super::{int_arg, short, type_error};
use crate::equal::{equal, key_hash, total_cmp};
use crate::persistent::PMap;
use crate::print::ListIter;
use crate::value::{ListTail, Object, Value};
use crate::{BuiltinResult, Ctx, Cx, Flow};

/// Ranges longer than this are refused rather than exhausting memory.
const MAX_RANGE: i64 = 100_000_000;

/// The elements of any collection (a map's are `[key value]` vectors, a string's its
/// characters; nil has none), or a type error naming `who`.
pub fn elements(cx: &mut Cx, who: &str, v: Value) -> Result<Vec<Value>, Flow> {
    let items = elements_uncharged(cx, who, v)?;
    cx.ctx.charge(items.len() as u64);
    Ok(items)
}

fn elements_uncharged(cx: &mut Cx, who: &str, v: Value) -> Result<Vec<Value>, Flow> {
    match v {
        Value::Nil | Value::EmptyList => Ok(Vec::new()),
        Value::Obj(r) => match cx.ctx.heap.get(r) {
            Object::Pair { .. } => Ok(ListIter::new(cx.ctx, v).collect()),
            Object::Vector(xs) => Ok(xs.to_vec()),
            Object::Map(pairs) => {
                let pairs = pairs.to_vec();
                Ok(pairs
                    .into_iter()
                    .map(|(k, v)| cx.ctx.vector(vec![k, v]))
                    .collect())
            }
            Object::Str(s) => {
                let chars: Vec<String> = s.chars().map(String::from).collect();
                Ok(chars.into_iter().map(|c| cx.ctx.string(c)).collect())
            }
            _ => Err(type_error(cx, who, "a collection", v)),
        },
        _ => Err(type_error(cx, who, "a collection", v)),
    }
}

/// The value of `key` in the map `map` (which must be one), charging the keys looked at to
/// the step budget.
fn lookup_charged(cx: &mut Cx, map: u32, key: Value) -> Option<Value> {
    let Object::Map(pairs) = cx.ctx.heap.get(map) else {
        return None;
    };
    let (found, looked) = map_find(cx.ctx, pairs, key);
    let found = found.map(|p| pairs.value_at(p));
    cx.ctx.charge(looked as u64);
    found
}

/// Whether a map key equals `key`, as `=` has it.
pub fn key_eq(ctx: &Ctx, k: Value, key: Value) -> bool {
    match key {
        Value::Obj(_) | Value::Float(_) | Value::EmptyList => equal(ctx, k, key),
        _ => k == key,
    }
}

/// Where `key` is among a map's entries (a position for [`PMap::value_at`]), and how many
/// keys were compared.
pub fn map_find(ctx: &Ctx, map: &PMap, key: Value) -> (Option<usize>, usize) {
    map.find(key, &|v| key_hash(ctx, v), &|k, key| key_eq(ctx, k, key))
}

/// `map` with `key` set to `value`, charging the keys compared.
pub fn map_set(ctx: &mut Ctx, map: &PMap, key: Value, value: Value) -> PMap {
    let (found, looked) = map_find(ctx, map, key);
    let map = map.with(found, key, value, &|v| key_hash(ctx, v));
    ctx.charge(looked as u64);
    map
}

fn map_pairs(ctx: &Ctx, v: Value) -> Option<&PMap> {
    match v {
        Value::Obj(r) => match ctx.heap.get(r) {
            Object::Map(pairs) => Some(pairs),
            _ => None,
        },
        _ => None,
    }
}

/// `(list …)`
pub fn list(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    Ok(cx.ctx.list(args.iter().copied()))
}

/// `(vector …)`
pub fn vector(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    Ok(cx.ctx.vector(args.to_vec()))
}

/// `(hash-map k v …)`: later keys replace earlier ones, keeping the first position.
pub fn hash_map(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    if args.len() % 2 == 1 {
        return Err(cx.ctx.error(
            "arity",
            "`hash-map` needs key/value pairs, got an odd number of arguments",
        ));
    }
    let mut map = PMap::new();
    for kv in args.chunks(2) {
        map = map_set(cx.ctx, &map, kv[0], kv[1]);
    }
    Ok(cx.ctx.heap.alloc(Object::Map(map)))
}

/// `(cons x coll)`
pub fn cons(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    if let Some(list) = cx.ctx.heap.cons_onto(args[0], args[1]) {
        return Ok(list.value());
    }
    let items = elements(cx, "cons", args[1])?;
    let tail = cx.ctx.heap.list(items.into_iter());
    Ok(cx.ctx.heap.cons(args[0], tail).value())
}

/// `(conj coll x …)`
pub fn conj(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let coll = args[0];
    match coll {
        Value::Obj(r) => match cx.ctx.heap.get(r) {
            Object::Vector(xs) => {
                let xs = xs.pushed(&args[1..]);
                Ok(cx.ctx.updated(Object::Vector(xs), args.len() - 1, 0))
            }
            Object::Map(pairs) => {
                let before = pairs.len();
                let mut map = pairs.clone();
                for &entry in &args[1..] {
                    let kv = match entry {
                        Value::Obj(e) => match cx.ctx.heap.get(e) {
                            Object::Vector(kv) if kv.len() == 2 => kv.get(0).zip(kv.get(1)),
                            _ => None,
                        },
                        _ => None,
                    };
                    let Some((k, v)) = kv else {
                        return Err(type_error(cx, "conj", "[key value] pairs for a map", entry));
                    };
                    map = map_set(cx.ctx, &map, k, v);
                }
                let (added, replaced) = grown_by(before, map.len(), args.len() - 1);
                Ok(cx.ctx.updated(Object::Map(map), added, replaced))
            }
            Object::Pair { .. } => prepend(cx, ListTail::cell(r), &args[1..]),
            _ => Err(type_error(cx, "conj", "a collection", coll)),
        },
        Value::Nil | Value::EmptyList => prepend(cx, ListTail::EMPTY, &args[1..]),
        _ => Err(type_error(cx, "conj", "a collection", coll)),
    }
}

fn prepend(cx: &mut Cx, mut list: ListTail, xs: &[Value]) -> BuiltinResult {
    for &x in xs {
        list = cx.ctx.heap.cons(x, list);
    }
    Ok(list.value())
}

/// `(first coll)`
pub fn first(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    if let Value::Obj(r) = args[0] {
        match cx.ctx.heap.get(r) {
            Object::Pair { head, .. } => return Ok(*head),
            Object::Vector(xs) => return Ok(xs.first().unwrap_or(Value::Nil)),
            _ => {}
        }
    }
    Ok(elements(cx, "first", args[0])?
        .first()
        .copied()
        .unwrap_or(Value::Nil))
}

/// `(rest coll)`: always a list.
pub fn rest(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    if let Value::Obj(r) = args[0]
        && let Object::Pair { tail, .. } = cx.ctx.heap.get(r)
    {
        return Ok(tail.value());
    }
    let items = elements(cx, "rest", args[0])?;
    Ok(cx
        .ctx
        .list(items.into_iter().skip(1).collect::<Vec<_>>().into_iter()))
}

/// `(count coll)`
pub fn count(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let n = match args[0] {
        Value::Nil | Value::EmptyList => 0,
        Value::Obj(r) => match cx.ctx.heap.get(r) {
            Object::Pair { len, .. } => *len as usize,
            Object::Vector(xs) => xs.len(),
            Object::Map(pairs) => pairs.len(),
            Object::Str(s) => s.chars().count(),
            Object::Record { fields, .. } => fields.len(),
            _ => return Err(type_error(cx, "count", "a collection or string", args[0])),
        },
        v => return Err(type_error(cx, "count", "a collection or string", v)),
    };
    Ok(Value::Int(n as i64))
}

/// `(empty? coll)`
pub fn is_empty(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    match count(cx, args)? {
        Value::Int(n) => Ok(Value::Bool(n == 0)),
        _ => Ok(Value::Bool(false)),
    }
}

/// `(nth coll index default?)`
pub fn nth(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let index = int_arg(cx, "nth", args[1])?;
    let found = if index < 0 {
        None
    } else {
        match args[0] {
            Value::Obj(r) => match cx.ctx.heap.get(r) {
                Object::Vector(xs) => xs.get(index as usize),
                Object::Pair { .. } => ListIter::new(cx.ctx, args[0]).nth(index as usize),
                _ => elements(cx, "nth", args[0])?.get(index as usize).copied(),
            },
            _ => elements(cx, "nth", args[0])?.get(index as usize).copied(),
        }
    };
    match (found, args.get(2)) {
        (Some(v), _) => Ok(v),
        (None, Some(&default)) => Ok(default),
        (None, None) => {
            let n = match count(cx, &args[..1])? {
                Value::Int(n) => n,
                _ => 0,
            };
            Err(cx.ctx.error(
                "index",
                format!("`nth` index {index} is out of range for a collection of {n}"),
            ))
        }
    }
}

/// `(get coll key default?)`
pub fn get(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let default = args.get(2).copied().unwrap_or(Value::Nil);
    let found = match args[0] {
        Value::Obj(r) => match cx.ctx.heap.get(r) {
            Object::Map(_) => lookup_charged(cx, r, args[1]),
            Object::Vector(xs) => match args[1] {
                Value::Int(i) if i >= 0 => xs.get(i as usize),
                _ => None,
            },
            Object::Record { fields, .. } => match args[1] {
                Value::Int(i) if i >= 0 => fields.get(i as usize).copied(),
                _ => None,
            },
            Object::Str(s) => match args[1] {
                Value::Int(i) if i >= 0 => s
                    .chars()
                    .nth(i as usize)
                    .map(String::from)
                    .map(|c| cx.ctx.string(c)),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    };
    Ok(found.unwrap_or(default))
}

/// `(assoc coll key value …)`
pub fn assoc(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    if args.len().is_multiple_of(2) {
        return Err(cx.ctx.error(
            "arity",
            "`assoc` needs key/value pairs after the collection",
        ));
    }
    match args[0] {
        Value::Nil => hash_map(cx, &args[1..]),
        Value::Obj(r) => match cx.ctx.heap.get(r) {
            Object::Map(pairs) => {
                let before = pairs.len();
                let mut map = pairs.clone();
                for kv in args[1..].chunks(2) {
                    map = map_set(cx.ctx, &map, kv[0], kv[1]);
                }
                let (added, replaced) = grown_by(before, map.len(), args.len() / 2);
                Ok(cx.ctx.updated(Object::Map(map), added, replaced))
            }
            Object::Vector(xs) => {
                let before = xs.len();
                let mut xs = xs.clone();
                for kv in args[1..].chunks(2) {
                    match kv[0] {
                        Value::Int(i) if i >= 0 && (i as usize) < xs.len() => {
                            xs = xs.with(i as usize, kv[1])
                        }
                        Value::Int(i) if i >= 0 && i as usize == xs.len() => xs.push(kv[1]),
                        k => {
                            let n = xs.len();
                            let shown = short(cx, k);
                            return Err(cx.ctx.error(
                                "index",
                                format!(
                                    "`assoc` index {shown} is out of range for a vector of {n}"
                                ),
                            ));
                        }
                    }
                }
                let (added, replaced) = grown_by(before, xs.len(), args.len() / 2);
                Ok(cx.ctx.updated(Object::Vector(xs), added, replaced))
            }
            _ => Err(type_error(cx, "assoc", "a map or vector", args[0])),
        },
        v => Err(type_error(cx, "assoc", "a map or vector", v)),
    }
}

/// `(dissoc map key …)`
pub fn dissoc(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    if args[0] == Value::Nil {
        return Ok(Value::Nil);
    }
    let Some(mut map) = map_pairs(cx.ctx, args[0]).cloned() else {
        return Err(type_error(cx, "dissoc", "a map", args[0]));
    };
    for &key in &args[1..] {
        let ctx = &*cx.ctx;
        let (found, looked) = map.find(key, &|v| key_hash(ctx, v), &|k, d| equal(ctx, k, d));
        if let Some(p) = found {
            map = map.without(p);
        }
        cx.ctx.charge(looked as u64);
    }
    Ok(cx.ctx.updated(Object::Map(map), 0, args.len() - 1))
}

/// Of `changes` updates that took a collection from `before` to `after` elements, how many
/// appended and how many replaced.
fn grown_by(before: usize, after: usize, changes: usize) -> (usize, usize) {
    let added = after.saturating_sub(before).min(changes);
    (added, changes - added)
}

fn map_part(cx: &mut Cx, who: &str, v: Value, key: bool) -> BuiltinResult {
    if v == Value::Nil {
        return Ok(Value::EmptyList);
    }
    let Some(pairs) = map_pairs(cx.ctx, v) else {
        return Err(type_error(cx, who, "a map", v));
    };
    let items: Vec<Value> = pairs
        .iter()
        .map(|(k, v)| if key { *k } else { *v })
        .collect();
    Ok(cx.ctx.list(items.into_iter()))
}

/// `(keys map)`
pub fn keys(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    map_part(cx, "keys", args[0], true)
}

/// `(vals map)`
pub fn vals(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    map_part(cx, "vals", args[0], false)
}

/// `(contains? coll key)`
pub fn contains(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let found = match args[0] {
        Value::Nil => false,
        Value::Obj(r) => match cx.ctx.heap.get(r) {
            Object::Map(_) => lookup_charged(cx, r, args[1]).is_some(),
            Object::Vector(xs) => {
                matches!(args[1], Value::Int(i) if i >= 0 && (i as usize) < xs.len())
            }
            _ => return Err(type_error(cx, "contains?", "a map or vector", args[0])),
        },
        v => return Err(type_error(cx, "contains?", "a map or vector", v)),
    };
    Ok(Value::Bool(found))
}

/// `(range end)`, `(range start end)`, `(range start end step)`
pub fn range(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let ints: Vec<i64> = args
        .iter()
        .map(|&a| int_arg(cx, "range", a))
        .collect::<Result<_, _>>()?;
    let (start, end, step) = match ints[..] {
        [end] => (0, end, 1),
        [start, end] => (start, end, 1),
        [start, end, step] => (start, end, step),
        _ => unreachable!("arity is checked"),
    };
    if step == 0 {
        return Err(cx.ctx.error("value", "`range` step must not be zero"));
    }
    let len = if (step > 0 && end > start) || (step < 0 && end < start) {
        ((end as i128 - start as i128).abs() + step.unsigned_abs() as i128 - 1)
            / step.unsigned_abs() as i128
    } else {
        0
    };
    if len > MAX_RANGE as i128 {
        return Err(cx.ctx.error(
            "value",
            format!("`range` of {len} elements is too large (at most {MAX_RANGE})"),
        ));
    }
    cx.ctx.reserve(
        "range",
        (len as usize).saturating_mul(crate::heap::OBJECT_BYTES),
    )?;
    Ok(cx
        .ctx
        .list((0..len as usize).map(|i| Value::Int(start + i as i64 * step))))
}

/// `(concat coll …)`
pub fn concat(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let mut items = Vec::new();
    for &a in args {
        let more = elements(cx, "concat", a)?;
        cx.ctx.reserve(
            "concat",
            (items.len() + more.len()).saturating_mul(crate::heap::OBJECT_BYTES),
        )?;
        items.extend(more);
    }
    Ok(cx.ctx.list(items.into_iter()))
}

/// `(reverse coll)`
pub fn reverse(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    if let Value::Obj(r) = args[0]
        && let Object::Pair { .. } = cx.ctx.heap.get(r)
    {
        // A list: cons its elements onto a new one as they come, without a buffer.
        let mut out = ListTail::EMPTY;
        let mut rest = args[0];
        while let Value::Obj(r) = rest
            && let Object::Pair { head, tail, .. } = *cx.ctx.heap.get(r)
        {
            out = cx.ctx.heap.cons(head, out);
            rest = tail.value();
        }
        cx.ctx.charge(u64::from(cx.ctx.heap.list_len(out)));
        return Ok(out.value());
    }
    let mut items = elements(cx, "reverse", args[0])?;
    items.reverse();
    Ok(cx.ctx.list(items.into_iter()))
}

fn sorted(cx: &mut Cx, who: &str, mut keyed: Vec<(Value, Value)>) -> BuiltinResult {
    // A total order, so the sort itself never fails; values of kinds that do not compare
    // are reported after it.
    let mut failure = None;
    let mut work = 0u64;
    keyed.sort_by(|a, b| {
        let mut comparable = true;
        let ordering = total_cmp(cx.ctx, a.0, b.0, &mut comparable, &mut work);
        if !comparable {
            failure.get_or_insert((a.0, b.0));
        }
        ordering
    });
    cx.ctx.charge(work);
    if let Some((a, b)) = failure {
        let (a, b) = (short(cx, a), short(cx, b));
        return Err(cx
            .ctx
            .error("type", format!("`{who}` cannot compare {a} with {b}")));
    }
    Ok(cx.ctx.list(
        keyed
            .into_iter()
            .map(|(_, v)| v)
            .collect::<Vec<_>>()
            .into_iter(),
    ))
}

/// `(sort coll)`: stable, ascending.
pub fn sort(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let items = elements(cx, "sort", args[0])?;
    sorted(cx, "sort", items.into_iter().map(|v| (v, v)).collect())
}

/// `(%sort-by-key pairs)`: the values of `[key value]` pairs in stable key order.
pub fn sort_by_key(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let pairs = elements(cx, "sort-by", args[0])?;
    let mut keyed = Vec::with_capacity(pairs.len());
    for p in pairs {
        match crate::equal::sequence(cx.ctx, p).as_deref() {
            Some([k, v]) => keyed.push((*k, *v)),
            _ => return Err(type_error(cx, "sort-by", "[key value] pairs", p)),
        }
    }
    sorted(cx, "sort-by", keyed)
}

/// `(%to-list coll)`: a list of the elements; a list is returned as it is.
pub fn to_list(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    if cx.ctx.heap.as_list(args[0]).is_some() {
        return Ok(args[0]);
    }
    let who = match args.get(1) {
        Some(&who) => cx.ctx.as_str(who).unwrap_or("map").to_string(),
        None => "map".to_string(),
    };
    let items = elements(cx, &who, args[0])?;
    Ok(cx.ctx.list(items.into_iter()))
}

/// `%iterate` is handled by the VM's call machinery; this entry only keeps the table complete.
pub fn iterate_placeholder(cx: &mut Cx, _args: &[Value]) -> BuiltinResult {
    Err(cx.ctx.error(
        "internal",
        "`%iterate` reached the builtin table; the VM handles it",
    ))
}

/// `apply` is handled by the VM's call machinery; this entry only keeps the table complete.
pub fn apply_placeholder(cx: &mut Cx, _args: &[Value]) -> BuiltinResult {
    Err(cx.ctx.error(
        "internal",
        "`apply` reached the builtin table; the VM handles it",
    ))
}
