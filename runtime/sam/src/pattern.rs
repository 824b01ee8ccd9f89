//! Dataspace patterns (what `await` and the `on-…` handlers wait for, as the kernel sees
//! them), their matcher, their term encoding (an `Observe` assertion carries its pattern as a
//! term) and the *analysis* the skeleton index needs ([`super::skeleton`]).
//!
//! Semantics, chosen and written down once (syndicate's pattern language changed shape
//! several times, leaving documents and tests that contradict each other):
//!
//! - `Discard` matches anything; inside a group the position must still exist.
//! - `Bind(p)` captures the value at its position, then matches `p`. Captures come in
//!   pre-order, depth first: an outer bind before the binds inside it; record fields in
//!   ascending index order; map entries in ascending key order (the [`Term`] total order).
//! - `Lit(t)` matches a value equal to `t` (duet's `=`: `1 ≠ 1.0`, `"a" ≠ a`). A literal may
//!   be compound; it is compared whole.
//! - `Record { label, fields }` matches a record with that label whose listed fields match;
//!   unlisted fields are ignored and the arity is not checked (records can grow without
//!   breaking observers), but a listed index must exist.
//! - `Seq(ps)` matches a list **or** vector of exactly `ps.len()` elements (duet's `[p …]`;
//!   unlike syndicate's extensible `<arr>`).
//! - `Map(entries)` matches a map containing every listed key whose value matches; other keys
//!   are ignored.
//!
//! Term encoding, format version [`PATTERN_FORMAT`]: `<_>`, `<bind P>`, `<lit T>`,
//! `<rec label {0 P …}>`, `<seq [P …]>`, `<dict {K P …}>`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::term::{Term, arc_str};

/// Version of the pattern term encoding. Bump it when the encoding or the matching rules
/// change, so journals written under older rules are recognised.
pub const PATTERN_FORMAT: u32 = 1;

/// A dataspace pattern.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Pattern {
    /// `_`: anything (that exists).
    Discard,
    /// `?x`: capture the value here, then match the inner pattern.
    Bind(Box<Pattern>),
    /// A value equal to this term.
    Lit(Term),
    /// A record with this label whose listed fields (by index) match.
    Record {
        /// The label's symbol name.
        #[serde(with = "arc_str")]
        label: Arc<str>,
        /// Field patterns by index.
        fields: BTreeMap<usize, Pattern>,
    },
    /// A list or vector of exactly this many elements, each matching.
    Seq(Vec<Pattern>),
    /// A map containing each key, whose value matches.
    Map(BTreeMap<Term, Pattern>),
}

/// One step of a path from the root of a value: a record field or sequence index, or a map
/// key. Which applies is fixed by the class checked at the parent position.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Step {
    /// Field or element index.
    Index(usize),
    /// Map key.
    Key(Term),
}

/// A path from the root of a value.
pub type Path = Vec<Step>;

/// The *class* of a compound: what a group pattern checks before looking inside.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Class {
    /// A record with this label (any arity).
    Record(#[serde(with = "arc_str")] Arc<str>),
    /// A list or vector of this length.
    Seq(usize),
    /// A map.
    Map,
}

/// What the index needs to know about a pattern.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Analysis {
    /// The class required at each group's path, in pre-order.
    pub skeleton: Vec<(Path, Class)>,
    /// Paths of the literals, in pre-order.
    pub const_paths: Vec<Path>,
    /// The literals, matching `const_paths`.
    pub const_values: Vec<Term>,
    /// Paths of the discards: positions that must exist.
    pub required: Vec<Path>,
    /// Paths of the binds, in capture order.
    pub capture_paths: Vec<Path>,
}

/// The class of a value, if it is a compound a group pattern can look into.
pub fn class_of(v: &Term) -> Option<Class> {
    match v {
        Term::Record(r) => Some(Class::Record(r.label.clone())),
        Term::List(xs) | Term::Vector(xs) => Some(Class::Seq(xs.len())),
        Term::Map(_) => Some(Class::Map),
        _ => None,
    }
}

/// One step into `v`.
pub fn step<'a>(v: &'a Term, s: &Step) -> Option<&'a Term> {
    match (v, s) {
        (Term::Record(r), Step::Index(i)) => r.fields.get(*i),
        (Term::List(xs) | Term::Vector(xs), Step::Index(i)) => xs.get(*i),
        (Term::Map(m), Step::Key(k)) => m.get(k),
        _ => None,
    }
}

/// The sub-value of `v` at `path`, if it exists.
pub fn project<'a>(v: &'a Term, path: &[Step]) -> Option<&'a Term> {
    path.iter().try_fold(v, step)
}

impl Pattern {
    /// `?x`: capture anything.
    pub fn bind() -> Pattern {
        Pattern::Bind(Box::new(Pattern::Discard))
    }

    /// A record group over the first fields.
    pub fn record(label: &str, fields: Vec<Pattern>) -> Pattern {
        Pattern::Record {
            label: Arc::from(label),
            fields: fields.into_iter().enumerate().collect(),
        }
    }

    /// Parses the test notation described in the `text` module: `<a ?x _>`, `[?x 'y]`,
    /// `{:k ?v}`, `?x@<inner ?y>`.
    pub fn parse(src: &str) -> Result<Pattern, String> {
        let mut r = super::text::Reader::new(src);
        let p = r.pattern()?;
        r.end()?;
        Ok(p)
    }

    /// The captures if `v` matches.
    pub fn matches(&self, v: &Term) -> Option<Vec<Term>> {
        let mut caps = Vec::new();
        self.match_into(v, &mut caps).then_some(caps)
    }

    /// Whether `v` matches; on success the captures are appended to `caps`, on failure
    /// `caps` is left as it was.
    pub fn match_into(&self, v: &Term, caps: &mut Vec<Term>) -> bool {
        let mark = caps.len();
        let ok = self.match_inner(v, caps);
        if !ok {
            caps.truncate(mark);
        }
        ok
    }

    fn match_inner(&self, v: &Term, caps: &mut Vec<Term>) -> bool {
        match self {
            Pattern::Discard => true,
            Pattern::Bind(p) => {
                caps.push(v.clone());
                p.match_inner(v, caps)
            }
            Pattern::Lit(t) => t == v,
            Pattern::Record { label, fields } => match v {
                Term::Record(r) if r.label == *label => fields.iter().all(|(i, p)| {
                    r.fields
                        .get(*i)
                        .is_some_and(|field| p.match_inner(field, caps))
                }),
                _ => false,
            },
            Pattern::Seq(ps) => match v.as_seq() {
                Some(xs) if xs.len() == ps.len() => {
                    ps.iter().zip(xs).all(|(p, x)| p.match_inner(x, caps))
                }
                _ => false,
            },
            Pattern::Map(entries) => match v {
                Term::Map(m) => entries
                    .iter()
                    .all(|(k, p)| m.get(k).is_some_and(|x| p.match_inner(x, caps))),
                _ => false,
            },
        }
    }

    /// Number of captures a match produces.
    pub fn arity(&self) -> usize {
        match self {
            Pattern::Discard | Pattern::Lit(_) => 0,
            Pattern::Bind(p) => 1 + p.arity(),
            Pattern::Record { fields, .. } => fields.values().map(Pattern::arity).sum(),
            Pattern::Seq(ps) => ps.iter().map(Pattern::arity).sum(),
            Pattern::Map(entries) => entries.values().map(Pattern::arity).sum(),
        }
    }

    /// The index's view of this pattern.
    pub fn analyse(&self) -> Analysis {
        let mut a = Analysis::default();
        let mut path = Vec::new();
        self.walk(&mut path, &mut a);
        a
    }

    fn walk(&self, path: &mut Path, a: &mut Analysis) {
        match self {
            Pattern::Discard => a.required.push(path.clone()),
            Pattern::Bind(p) => {
                a.capture_paths.push(path.clone());
                p.walk(path, a);
            }
            Pattern::Lit(t) => {
                a.const_paths.push(path.clone());
                a.const_values.push(t.clone());
            }
            Pattern::Record { label, fields } => {
                a.skeleton
                    .push((path.clone(), Class::Record(label.clone())));
                for (i, p) in fields {
                    path.push(Step::Index(*i));
                    p.walk(path, a);
                    path.pop();
                }
            }
            Pattern::Seq(ps) => {
                a.skeleton.push((path.clone(), Class::Seq(ps.len())));
                for (i, p) in ps.iter().enumerate() {
                    path.push(Step::Index(i));
                    p.walk(path, a);
                    path.pop();
                }
            }
            Pattern::Map(entries) => {
                a.skeleton.push((path.clone(), Class::Map));
                for (k, p) in entries {
                    path.push(Step::Key(k.clone()));
                    p.walk(path, a);
                    path.pop();
                }
            }
        }
    }

    /// The term encoding (see the module documentation).
    pub fn to_term(&self) -> Term {
        match self {
            Pattern::Discard => Term::record("_", vec![]),
            Pattern::Bind(p) => Term::record("bind", vec![p.to_term()]),
            Pattern::Lit(t) => Term::record("lit", vec![t.clone()]),
            Pattern::Record { label, fields } => Term::record(
                "rec",
                vec![
                    Term::Symbol(label.clone()),
                    Term::map(
                        fields
                            .iter()
                            .map(|(i, p)| (Term::Int(*i as i64), p.to_term())),
                    ),
                ],
            ),
            Pattern::Seq(ps) => Term::record(
                "seq",
                vec![Term::vector(ps.iter().map(Pattern::to_term).collect())],
            ),
            Pattern::Map(entries) => Term::record(
                "dict",
                vec![Term::map(
                    entries.iter().map(|(k, p)| (k.clone(), p.to_term())),
                )],
            ),
        }
    }

    /// Decodes the term encoding; `None` if `t` is not a well-formed pattern.
    pub fn from_term(t: &Term) -> Option<Pattern> {
        let r = t.as_record()?;
        let f = &r.fields[..];
        Some(match (&*r.label, f) {
            ("_", []) => Pattern::Discard,
            ("bind", [p]) => Pattern::Bind(Box::new(Pattern::from_term(p)?)),
            ("lit", [t]) => Pattern::Lit(t.clone()),
            ("rec", [Term::Symbol(label), Term::Map(m)]) => {
                let mut fields = BTreeMap::new();
                for (k, p) in m.sorted() {
                    let i = usize::try_from(k.as_int()?).ok()?;
                    fields.insert(i, Pattern::from_term(p)?);
                }
                Pattern::Record {
                    label: label.clone(),
                    fields,
                }
            }
            ("seq", [Term::Vector(ps)]) => {
                Pattern::Seq(ps.iter().map(Pattern::from_term).collect::<Option<_>>()?)
            }
            ("dict", [Term::Map(m)]) => Pattern::Map(
                m.sorted()
                    .map(|(k, p)| Some((k.clone(), Pattern::from_term(p)?)))
                    .collect::<Option<_>>()?,
            ),
            _ => return None,
        })
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_term())
    }
}
