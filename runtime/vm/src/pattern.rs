//! Matching values against compiled patterns: [`matches`] for `match`, and [`bind`] for the
//! variables of an `await` or an `on-…` handler, whose value the dataspace already matched
//! (with the pattern converted to the kernel's, in `duet-runtime`).

use duet_lang::ir::Pattern;

use super::Ctx;
use crate::builtins::collections::map_find;
use crate::equal::{equal, sequence};
use crate::value::{Object, Value};

/// Whether `v` matches `pattern`, given the pattern's argument values. On success the
/// variables it binds are appended to `binds` as (slot, value).
pub fn matches(
    ctx: &Ctx,
    pattern: &Pattern,
    args: &[Value],
    v: Value,
    binds: &mut Vec<(u16, Value)>,
) -> bool {
    match pattern {
        Pattern::Any => true,
        Pattern::Bind(slot) => {
            binds.push((*slot, v));
            true
        }
        Pattern::Literal(c) => equal(ctx, ctx.constants[*c as usize], v),
        Pattern::Arg(i) => args.get(*i as usize).is_some_and(|a| equal(ctx, *a, v)),
        Pattern::Record(label, fields) => match record(ctx, v) {
            Some((l, values)) => {
                Value::Sym(l) == ctx.constants[*label as usize]
                    && values.len() >= fields.len()
                    && fields
                        .iter()
                        .zip(values)
                        .all(|(p, f)| matches(ctx, p, args, *f, binds))
            }
            None => false,
        },
        Pattern::RecordField(label, index, arg) => match record(ctx, v) {
            Some((l, values)) => {
                Value::Sym(l) == ctx.constants[*label as usize]
                    && values
                        .get(*index as usize)
                        .zip(args.get(*arg as usize))
                        .is_some_and(|(f, a)| equal(ctx, *f, *a))
            }
            None => false,
        },
        Pattern::Sequence(items) => match sequence(ctx, v) {
            Some(values) => {
                values.len() == items.len()
                    && items
                        .iter()
                        .zip(values)
                        .all(|(p, x)| matches(ctx, p, args, x, binds))
            }
            None => false,
        },
        Pattern::Map(pairs) => match v {
            Value::Obj(r) => match ctx.heap.get(r) {
                Object::Map(entries) => pairs.iter().all(|(k, p)| {
                    map_find(ctx, entries, ctx.constants[*k as usize])
                        .0
                        .is_some_and(|i| matches(ctx, p, args, entries.value_at(i), binds))
                }),
                _ => false,
            },
            _ => false,
        },
    }
}

/// Binds the variables of `pattern` from `v` as far as its shape fits, without checking
/// literals or arguments (the value is known to match, or is nil after a timeout).
pub fn bind(ctx: &Ctx, pattern: &Pattern, v: Value, binds: &mut Vec<(u16, Value)>) {
    match pattern {
        Pattern::Bind(slot) => binds.push((*slot, v)),
        Pattern::Record(_, fields) => {
            if let Some((_, values)) = record(ctx, v) {
                for (p, f) in fields.iter().zip(values) {
                    bind(ctx, p, *f, binds);
                }
            }
        }
        Pattern::Sequence(items) => {
            if let Some(values) = sequence(ctx, v) {
                for (p, x) in items.iter().zip(values) {
                    bind(ctx, p, x, binds);
                }
            }
        }
        Pattern::Map(pairs) => {
            if let Value::Obj(r) = v
                && let Object::Map(entries) = ctx.heap.get(r)
            {
                for (k, p) in pairs {
                    if let Some(i) = map_find(ctx, entries, ctx.constants[*k as usize]).0 {
                        bind(ctx, p, entries.value_at(i), binds);
                    }
                }
            }
        }
        Pattern::Any | Pattern::Literal(_) | Pattern::Arg(_) | Pattern::RecordField(..) => {}
    }
}

fn record(ctx: &Ctx, v: Value) -> Option<(u32, &[Value])> {
    match v {
        Value::Obj(r) => match ctx.heap.get(r) {
            Object::Record { label, fields } => Some((*label, fields)),
            _ => None,
        },
        _ => None,
    }
}
