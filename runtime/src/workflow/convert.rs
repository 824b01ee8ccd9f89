//! Values crossing between a workflow's VM and the dataspace: VM values (heap-indexed)
//! become [`Term`]s (heap-independent, shareable) and back; compiled patterns become
//! dataspace patterns.

use duet_lang::ir;

use duet_sam::{Pattern, Term};
use duet_vm::Ctx;
use duet_vm::equal::sequence;
use duet_vm::value::{Object, Value};

/// Deeper values are refused rather than converted.
const MAX_DEPTH: usize = 200;

/// A VM value as a term, or why it cannot be one (functions and handles are not data).
pub fn to_term(ctx: &Ctx, v: Value) -> Result<Term, String> {
    to_term_at(ctx, v, 0)
}

fn to_term_at(ctx: &Ctx, v: Value, depth: usize) -> Result<Term, String> {
    if depth > MAX_DEPTH {
        return Err("the value is nested too deeply to assert".into());
    }
    let seq = |xs: Vec<Value>| -> Result<Vec<Term>, String> {
        xs.into_iter()
            .map(|x| to_term_at(ctx, x, depth + 1))
            .collect()
    };
    Ok(match v {
        Value::Nil => Term::Nil,
        Value::Bool(b) => Term::Bool(b),
        Value::Int(i) => Term::Int(i),
        Value::Float(f) => Term::Float(f),
        Value::Sym(s) => Term::Symbol(ctx.symbols.name(s).into()),
        Value::Kw(k) => Term::Keyword(ctx.symbols.name(k).into()),
        Value::EmptyList => Term::list(Vec::new()),
        Value::Builtin(_) => return Err("a function cannot be asserted".into()),
        Value::Obj(r) => match ctx.heap.get(r) {
            Object::Str(s) => Term::Str(s.as_str().into()),
            Object::Pair { .. } => Term::list(seq(sequence(ctx, v).unwrap_or_default())?),
            Object::Vector(xs) => Term::vector(seq(xs.to_vec())?),
            Object::Map(pairs) => {
                let mut out = Vec::with_capacity(pairs.len());
                for &(k, val) in pairs {
                    out.push((
                        to_term_at(ctx, k, depth + 1)?,
                        to_term_at(ctx, val, depth + 1)?,
                    ));
                }
                Term::map(out)
            }
            Object::Record { label, fields } => {
                Term::record(ctx.symbols.name(*label), seq(fields.clone())?)
            }
            Object::Cell(inner) => to_term_at(ctx, *inner, depth)?,
            Object::Closure { .. } => return Err("a function cannot be asserted".into()),
            Object::Handle(_) => return Err("an assertion handle cannot be asserted".into()),
            Object::Free(_) => return Err("the value was freed".into()),
        },
    })
}

/// A term as a VM value.
pub fn from_term(ctx: &mut Ctx, t: &Term) -> Value {
    match t {
        Term::Nil => Value::Nil,
        Term::Bool(b) => Value::Bool(*b),
        Term::Int(i) => Value::Int(*i),
        Term::Float(f) => Value::Float(*f),
        Term::Str(s) => ctx.string(s.to_string()),
        Term::Symbol(s) => Value::Sym(ctx.symbols.intern(s)),
        Term::Keyword(k) => ctx.keyword(k),
        Term::List(items) => {
            let values: Vec<Value> = items.iter().map(|i| from_term(ctx, i)).collect();
            ctx.list(values.into_iter())
        }
        Term::Vector(items) => {
            let values = items.iter().map(|i| from_term(ctx, i)).collect();
            ctx.vector(values)
        }
        Term::Map(map) => {
            let pairs = map
                .entries()
                .iter()
                .map(|(k, v)| (from_term(ctx, k), from_term(ctx, v)))
                .collect();
            ctx.heap.alloc(Object::Map(pairs))
        }
        Term::Record(record) => {
            let label = ctx.symbols.intern(&record.label);
            let fields = record.fields.iter().map(|f| from_term(ctx, f)).collect();
            ctx.heap.alloc(Object::Record { label, fields })
        }
        Term::Ref(r) => ctx.string(format!("<ref {}/{}>", r.actor.0, r.oid)),
    }
}

/// The dataspace pattern for compiled pattern `pattern` with its argument values; the
/// whole matching value is captured first, so the observer receives it.
pub fn to_pattern(ctx: &Ctx, pattern: &ir::Pattern, args: &[Value]) -> Result<Pattern, String> {
    Ok(Pattern::Bind(Box::new(shape(ctx, pattern, args)?)))
}

fn shape(ctx: &Ctx, pattern: &ir::Pattern, args: &[Value]) -> Result<Pattern, String> {
    let constant = |c: u32| to_term(ctx, ctx.constants[c as usize]);
    let arg = |i: u16| match args.get(i as usize) {
        Some(&v) => to_term(ctx, v),
        None => Err("a pattern argument is missing".to_string()),
    };
    Ok(match pattern {
        // Variables are bound from the whole value once it arrives.
        ir::Pattern::Any | ir::Pattern::Bind(_) => Pattern::Discard,
        ir::Pattern::Literal(c) => Pattern::Lit(constant(*c)?),
        ir::Pattern::Arg(i) => Pattern::Lit(arg(*i)?),
        ir::Pattern::Record(label, fields) => Pattern::Record {
            label: label_name(ctx, *label).into(),
            fields: fields
                .iter()
                .enumerate()
                .map(|(i, p)| Ok((i, shape(ctx, p, args)?)))
                .collect::<Result<_, String>>()?,
        },
        ir::Pattern::RecordField(label, index, a) => Pattern::Record {
            label: label_name(ctx, *label).into(),
            fields: [(*index as usize, Pattern::Lit(arg(*a)?))]
                .into_iter()
                .collect(),
        },
        ir::Pattern::Sequence(items) => Pattern::Seq(
            items
                .iter()
                .map(|p| shape(ctx, p, args))
                .collect::<Result<_, _>>()?,
        ),
        ir::Pattern::Map(pairs) => Pattern::Map(
            pairs
                .iter()
                .map(|(k, p)| Ok((constant(*k)?, shape(ctx, p, args)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

fn label_name(ctx: &Ctx, constant: u32) -> String {
    match ctx.constants[constant as usize] {
        Value::Sym(s) => ctx.symbols.name(s).to_string(),
        _ => String::new(),
    }
}
