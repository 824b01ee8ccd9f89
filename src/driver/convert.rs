//! Data crossing between the expander and the VM: macro arguments go in as values, the
//! expansion comes back as a datum.

use duet_lang::span::Span;
use duet_lang::syntax::datum::{Datum, DatumKind};
use duet_runtime::equal::sequence;
use duet_runtime::value::{Object, Value};
use duet_runtime::vm::Ctx;

/// Deeper expansions are refused rather than converted.
const MAX_DEPTH: usize = 200;

/// A datum as a value, the way quoting it would give it.
pub fn to_value(ctx: &mut Ctx, d: &Datum) -> Value {
    match &d.kind {
        DatumKind::Nil | DatumKind::Error => Value::Nil,
        DatumKind::Bool(b) => Value::Bool(*b),
        DatumKind::Int(i) => Value::Int(*i),
        DatumKind::Float(f) => Value::Float(*f),
        DatumKind::Str(s) => ctx.string(s.clone()),
        DatumKind::Keyword(k) => ctx.keyword(k),
        DatumKind::Symbol(s) => Value::Sym(ctx.symbols.intern(s)),
        DatumKind::List(items) => {
            let values: Vec<Value> = items.iter().map(|i| to_value(ctx, i)).collect();
            ctx.list(values.into_iter())
        }
        DatumKind::Vector(items) => {
            let values = items.iter().map(|i| to_value(ctx, i)).collect();
            ctx.vector(values)
        }
        DatumKind::Map(pairs) => {
            let values = pairs
                .iter()
                .map(|(k, v)| (to_value(ctx, k), to_value(ctx, v)))
                .collect();
            ctx.heap.alloc(Object::Map(values))
        }
    }
}

/// A value as a datum at `span` (the macro call's): what a macro returned, to expand again.
pub fn to_datum(ctx: &Ctx, v: Value, span: Span) -> Result<Datum, String> {
    to_datum_at(ctx, v, span, 0)
}

fn to_datum_at(ctx: &Ctx, v: Value, span: Span, depth: usize) -> Result<Datum, String> {
    if depth > MAX_DEPTH {
        return Err("the expansion is nested too deeply".into());
    }
    let kind = match v {
        Value::Nil => DatumKind::Nil,
        Value::Bool(b) => DatumKind::Bool(b),
        Value::Int(i) => DatumKind::Int(i),
        Value::Float(f) => DatumKind::Float(f),
        Value::Sym(s) => DatumKind::Symbol(ctx.symbols.name(s).to_string()),
        Value::Kw(k) => DatumKind::Keyword(ctx.symbols.name(k).to_string()),
        Value::EmptyList => DatumKind::List(Vec::new()),
        Value::Builtin(_) => {
            return Err("the expansion contains a function value, which is not code".into());
        }
        Value::Obj(r) => match ctx.heap.get(r) {
            Object::Str(s) => DatumKind::Str(s.clone()),
            Object::Pair { .. } => DatumKind::List(items(ctx, v, span, depth)?),
            Object::Vector(_) => DatumKind::Vector(items(ctx, v, span, depth)?),
            Object::Map(pairs) => DatumKind::Map(
                pairs
                    .iter()
                    .map(|(k, v)| {
                        Ok((
                            to_datum_at(ctx, *k, span, depth + 1)?,
                            to_datum_at(ctx, *v, span, depth + 1)?,
                        ))
                    })
                    .collect::<Result<_, String>>()?,
            ),
            Object::Record { .. } => {
                return Err("the expansion contains a record, which is not code".into());
            }
            _ => {
                return Err(
                    "the expansion contains a function or handle, which is not code".into(),
                );
            }
        },
    };
    Ok(Datum::new(kind, span))
}

fn items(ctx: &Ctx, v: Value, span: Span, depth: usize) -> Result<Vec<Datum>, String> {
    sequence(ctx, v)
        .unwrap_or_default()
        .into_iter()
        .map(|x| to_datum_at(ctx, x, span, depth + 1))
        .collect()
}
