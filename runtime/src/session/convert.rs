//! Data crossing between the expander and the VM: macro arguments go in as values, the
//! expansion comes back as a datum.
//!
//! Values carry no source spans, so [`to_value`] records the span of every heap object it
//! makes (lists, vectors, maps, strings) in a [`Spans`] table, and [`to_datum`] gives an object
//! it meets again that span; an atom inside a recorded list or vector takes the span it had
//! there, any other atom the span of the nearest recorded object around it.
//! An error in a macro's argument then points at that argument, not at the whole call. The
//! caller keeps the argument values alive (pinned) while the table is in use, so no recorded
//! slot is reused by another object.

use std::collections::BTreeMap;

use duet_lang::span::Span;
use duet_lang::syntax::datum::{Datum, DatumKind};
use duet_vm::Ctx;
use duet_vm::equal::sequence;
use duet_vm::value::{Object, Value};

/// Deeper expansions are refused rather than converted.
const MAX_DEPTH: usize = 200;

/// Where the heap objects made from macro arguments came from, by object.
pub type Spans = BTreeMap<u32, Origin>;

/// The source of one object made from a datum.
pub struct Origin {
    span: Span,
    /// The spans of a list's or vector's items, in order.
    items: Vec<Span>,
}

/// A datum as a value, the way quoting it would give it; records where its objects came from.
pub fn to_value(ctx: &mut Ctx, d: &Datum, spans: &mut Spans) -> Value {
    let value = value_of(ctx, d, spans);
    if let Value::Obj(r) = value {
        let items = match &d.kind {
            DatumKind::List(items) | DatumKind::Vector(items) => {
                items.iter().map(|i| i.span).collect()
            }
            _ => Vec::new(),
        };
        let origin = Origin {
            span: d.span,
            items,
        };
        spans.insert(r, origin);
    }
    value
}

fn value_of(ctx: &mut Ctx, d: &Datum, spans: &mut Spans) -> Value {
    match &d.kind {
        DatumKind::Nil | DatumKind::Error => Value::Nil,
        DatumKind::Bool(b) => Value::Bool(*b),
        DatumKind::Int(i) => Value::Int(*i),
        DatumKind::Float(f) => Value::Float(*f),
        DatumKind::Str(s) => ctx.string(s.clone()),
        DatumKind::Keyword(k) => ctx.keyword(k),
        DatumKind::Symbol(s) => Value::Sym(ctx.symbols.intern(s)),
        DatumKind::List(items) => {
            let values: Vec<Value> = items.iter().map(|i| to_value(ctx, i, spans)).collect();
            ctx.list(values.into_iter())
        }
        DatumKind::Vector(items) => {
            let values = items.iter().map(|i| to_value(ctx, i, spans)).collect();
            ctx.vector(values)
        }
        DatumKind::Map(pairs) => {
            let values = pairs
                .iter()
                .map(|(k, v)| (to_value(ctx, k, spans), to_value(ctx, v, spans)))
                .collect();
            ctx.heap.alloc(Object::Map(values))
        }
    }
}

/// What a macro returned, as a datum to expand again: objects recorded in `spans` keep their
/// source span; the rest take the span around them, at the top `span` (the macro call's).
/// More than `max_forms` forms is an error starting with [`duet_lang::expand::TOO_LARGE`]
/// (a value that shares structure can stand for exponentially many forms).
pub fn to_datum(
    ctx: &Ctx,
    v: Value,
    span: Span,
    spans: &Spans,
    max_forms: usize,
) -> Result<Datum, String> {
    Converter {
        ctx,
        spans,
        left: std::cell::Cell::new(max_forms),
        max_forms,
    }
    .datum(v, span, 0)
}

struct Converter<'a> {
    ctx: &'a Ctx,
    spans: &'a Spans,
    /// Forms that may still be made.
    left: std::cell::Cell<usize>,
    max_forms: usize,
}

impl Converter<'_> {
    fn datum(&self, v: Value, around: Span, depth: usize) -> Result<Datum, String> {
        if depth > MAX_DEPTH {
            return Err("the expansion is nested too deeply".into());
        }
        match self.left.get().checked_sub(1) {
            Some(left) => self.left.set(left),
            None => {
                return Err(format!(
                    "{} {} forms",
                    duet_lang::expand::TOO_LARGE,
                    self.max_forms
                ));
            }
        }
        let ctx = self.ctx;
        let origin = match v {
            Value::Obj(r) => self.spans.get(&r),
            _ => None,
        };
        let span = origin.map_or(around, |o| o.span);
        let item_spans = origin.map_or(&[][..], |o| &o.items[..]);
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
                Object::Str(s) => DatumKind::Str(s.to_string()),
                Object::Pair { .. } => DatumKind::List(self.items(v, span, item_spans, depth)?),
                Object::Vector(_) => DatumKind::Vector(self.items(v, span, item_spans, depth)?),
                Object::Map(pairs) => DatumKind::Map(
                    pairs
                        .iter()
                        .map(|(k, v)| {
                            Ok((
                                self.datum(*k, span, depth + 1)?,
                                self.datum(*v, span, depth + 1)?,
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

    fn items(
        &self,
        v: Value,
        span: Span,
        item_spans: &[Span],
        depth: usize,
    ) -> Result<Vec<Datum>, String> {
        sequence(self.ctx, v)
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, x)| self.datum(x, item_spans.get(i).copied().unwrap_or(span), depth + 1))
            .collect()
    }
}
